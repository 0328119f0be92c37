"""A diagnosis as JSON-ready data and as the text ``runbook diagnose`` prints.

The text leads with the groups a responder acts on (implicated, then latent, unlikely, not
examined), each rule on one line naming its evidence: the check, its verdict, its key figures
and where in the playbooks it ran. ``weighing_dict`` and ``weighing_lines`` are shared with the
UI's sweep result, so both faces say the same thing.
"""

from __future__ import annotations

from typing import Any

from runbook.record.models import incident_ref
from runbook.walk.diagnose import Diagnosis
from runbook.walk.ranking import RuleEvidence
from runbook.walk.summary import check_dict, key_figures
from runbook.walk.weighing import Group, WeighedRule, Weighing

SUMMARY_CHARS = 140

HEADINGS = {
    Group.IMPLICATED.value: "implicated (evidence for, and a given symptom points at it)",
    Group.LATENT.value: "latent (evidence for, but no given symptom points at it: a risk, not yet the cause)",
    Group.UNLIKELY.value: "unlikely (a check that would have found it said ok)",
    Group.NOT_EXAMINED.value: "not examined (no check could reach it)",
}


def group_key(group: Group) -> str:
    return group.value.replace(" ", "_")


def evidence_dict(e: RuleEvidence) -> dict[str, Any]:
    return {
        "bearing": e.bearing,
        "verdict": e.verdict,
        "block": f"{e.ref}#{e.index}",
        "check_type": e.check_type,
        "figure": e.figure,
        "summary": e.summary,
        "explanation": e.explanation,
    }


def weighed_dict(w: WeighedRule) -> dict[str, Any]:
    out: dict[str, Any] = {"rule": w.rule, "group": w.group.value, "symptoms": list(w.symptoms)}
    if w.group in (Group.NOT_EXAMINED, Group.UNLIKELY):
        out["needs"] = list(w.needs)
        out["blocks"] = [
            {"block": f"{u.ref}#{u.index}", "check_type": u.check_type, "needs": list(u.needs), "reason": u.reason}
            for u in w.unexamined
        ]
    if w.group == Group.NOT_EXAMINED:
        return out
    out["evidence"] = [evidence_dict(e) for e in w.evidence]
    if w.group != Group.UNLIKELY:
        out["against"] = [evidence_dict(e) for e in w.against]
        out["path"] = [{"ref": p.ref, "title": p.title, "kind": p.kind, "how": p.how} for p in w.path]
    return out


def weighing_dict(weighing: Weighing) -> dict[str, Any]:
    return {
        "symptoms": list(weighing.symptoms),
        "groups": {group_key(g): [weighed_dict(w) for w in ws] for g, ws in weighing.groups()},
    }


def diagnosis_dict(d: Diagnosis) -> dict[str, Any]:
    return {
        "incident": incident_ref(d.incident_id) if d.incident_id else None,
        "incident_id": d.incident_id,
        "checks": [
            dict(check_dict(result), params=dict(result.params), blocks=[f"{r}#{i}" for r, i in c.blocks])
            for c, result in d.checks
        ],
        "skipped": [{"block": f"{s.ref}#{s.index}", "check_type": s.check_type, "reason": s.reason} for s in d.skipped],
        **weighing_dict(d.weighing),
    }


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def evidence_line(e: dict[str, Any]) -> str:
    """``check VERDICT [figures] at block: summary``: one piece of evidence, named."""
    figure = f" [{e['figure']}]" if e["figure"] else ""
    summary = f": {_short(e['summary'])}" if e["summary"] else ""
    return f"{e['check_type']} {e['verdict'].upper()}{figure} at {e['block']}{summary}"


def rule_line(w: dict[str, Any]) -> str:
    """One rule of a group, with its strongest evidence (or what would examine it)."""
    if w["group"] == Group.NOT_EXAMINED.value:
        if not w["blocks"]:
            return f"{w['rule']}: no check block leads to it; only a person's answer reaches it"
        parts = []
        told = next((b for b in w["blocks"] if not b["needs"]), None)
        if told is not None:  # a check ran and could not tell, or left the choice to a person
            parts.append(f"{told['check_type']} at {told['block']}: {_short(told['reason'])}")
        if w["needs"]:
            checks = ", ".join(dict.fromkeys(b["check_type"] for b in w["blocks"] if b["needs"]))
            parts.append(f"needs {', '.join(w['needs'])} ({checks})")
        return f"{w['rule']}: " + "; ".join(parts)
    line = f"{w['rule']}: {evidence_line(w['evidence'][0])}"
    if w["group"] == Group.UNLIKELY.value and w["needs"]:
        checks = ", ".join(dict.fromkeys(b["check_type"] for b in w["blocks"] if b["needs"]))
        line += f"; not run: {checks} (needs {', '.join(w['needs'])})"
    return line


def weighing_lines(data: dict[str, Any], *, top: int = 3) -> list[str]:
    """The groups as text lines (``data`` from ``weighing_dict``); the first ``top`` rules of
    implicated and latent show all their evidence, the evidence against and their path."""
    lines: list[str] = []
    if data["symptoms"]:
        lines.append("symptoms: " + "; ".join(data["symptoms"]))
    else:
        lines.append("no symptom given: findings are latent until a symptom points at them (--symptom)")
    shown = 0
    for key, title in HEADINGS.items():
        rules = data["groups"][key.replace(" ", "_")]
        if not rules:
            continue
        lines.append(f"{title}:")
        for w in rules:
            lines.append(f"  {rule_line(w)}")
            if key not in (Group.IMPLICATED.value, Group.LATENT.value) or shown >= top:
                continue
            shown += 1
            if w["symptoms"]:
                lines.append(f"      symptom: {'; '.join(w['symptoms'])}")
            lines += [f"      also: {evidence_line(e)}" for e in w["evidence"][1:]]
            lines += [f"      against: {evidence_line(e)}" for e in w["against"]]
            if w["path"]:
                lines.append("      path: " + " -> ".join(f"{p['ref']} ({p['how']})" for p in w["path"]))
    if not data["groups"]["implicated"]:
        lines.append("nothing is implicated")
    return lines


def diagnosis_text(data: dict[str, Any], *, top: int = 3) -> str:
    head = data["incident"] or "diagnosis"
    lines = [f"{head}: {len(data['checks'])} check(s) run at once, {len(data['skipped'])} block(s) skipped"]
    for c in data["checks"]:
        figures = key_figures(c["figures"])
        lines.append(
            f"  {c['check_type']}: {c['verdict'].upper()}" + (f"  [{figures}]" if figures else "") + f"  {c['summary']}"
        )
    return "\n".join(lines + weighing_lines(data, top=top))
