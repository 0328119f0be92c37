"""Knowledge records and playbook nodes as Markdown text and as JSON-ready data.

``runbook show`` renders this Markdown in the terminal, the UI can show it in a Markdown
widget, and ``--json`` prints the data form; keeping both here means every face shows the
same thing. Pure functions: no terminal, no I/O.
"""

from __future__ import annotations

from typing import Any

import yaml

from runbook.knowledge.model import IncidentRecord, Record, Rule


def record_markdown(rec: Record) -> str:
    """The record's body, preceded by a line of its key facts."""
    facts = [f"**{rec.id}**", rec.kind]
    if isinstance(rec, Rule):
        facts += [f"incident {rec.incident}"] + ([f"section {rec.section_ref}"] if rec.section_ref else [])
        if rec.conclusions:
            facts.append("concluded at " + ", ".join(f"`{c}`" for c in rec.conclusions))
    elif isinstance(rec, IncidentRecord):
        facts += [f"severity {rec.severity}", "rules " + ", ".join(rec.rules), f"playbook `{rec.playbook}`"]
    elif rec.rules:
        facts.append("rules " + ", ".join(rec.rules))
    head = " · ".join(facts)
    extra = ""
    if isinstance(rec, Rule) and rec.checks:
        lines = ["", "## Live checks (example parameters)", ""]
        for check in rec.checks:
            lines += [
                "```yaml",
                yaml.safe_dump({"type": check.type, "params": check.params}, sort_keys=False).rstrip(),
                "```",
                "",
            ]
        extra = "\n".join(lines)
    return f"{head}\n\n{rec.body.rstrip()}\n{extra}"


def record_data(rec: Record) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rec.id,
        "kind": rec.kind,
        "title": rec.title,
        "path": str(rec.path),
        "rules": list(rec.rules),
        "incidents": list(rec.incidents),
        "sections": {s.title: s.markdown for s in rec.sections},
    }
    if isinstance(rec, Rule):
        data.update(
            incident=rec.incident,
            section=rec.section_ref,
            failure_mode=rec.failure_mode,
            demand=rec.demand,
            checks=[{"type": c.type, "params": c.params} for c in rec.checks],
            conclusions=list(rec.conclusions),
            causes=list(rec.causes),
        )
    elif isinstance(rec, IncidentRecord):
        data.update(
            severity=rec.severity,
            summary=rec.summary,
            causes=list(rec.causes),
            playbook=rec.playbook,
            timeline=rec.timeline,
            actions=[{"text": a.text, "type": a.type, "owner": a.owner} for a in rec.actions],
        )
    return data


def rule_row(rule: Rule) -> dict[str, Any]:
    """One line of ``runbook rules``."""
    return {
        "id": rule.id,
        "incident": rule.incident,
        "section": rule.section_ref,
        "title": rule.title,
        "checks": sorted({c.type for c in rule.checks}),
        "conclusions": list(rule.conclusions),
    }


def incident_row(inc: IncidentRecord) -> dict[str, Any]:
    """One line of ``runbook incidents``."""
    return {
        "id": inc.id,
        "severity": inc.severity,
        "title": inc.title,
        "rules": list(inc.rules),
        "causes": list(inc.causes),
        "playbook": inc.playbook,
        "actions": len(inc.actions),
    }


def node_markdown(node: Any) -> str:
    """A playbook node (duck-typed ``runbook.playbook.model.Node``) as Markdown."""
    out = [f"# {node.title}", "", f"`{node.ref}` · {node.kind}", ""]
    if node.body.strip():
        out += [node.body.rstrip(), ""]
    for check in node.checks:
        block = {"type": check.check_type, "params": check.params}
        if check.verdicts:
            block["verdicts"] = check.verdicts
        out += ["```yaml", yaml.safe_dump(block, sort_keys=False).rstrip(), "```", ""]
    if node.conclusion is not None:
        c = node.conclusion
        out += [f"**Rules:** {', '.join(c.rules)}", "", f"**Fix:** {c.fix}", ""]
        out += [f"- [{a.type}] {a.text} ({a.owner})" for a in c.actions]
        out.append("")
    if node.choices:
        out += ["**Choices:**", ""]
        out += [f"- {ch.label} → `{ch.ref}`" + (" (loop)" if ch.loop else "") for ch in node.choices]
    return "\n".join(out).rstrip() + "\n"


def node_data(node: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ref": node.ref,
        "title": node.title,
        "kind": str(node.kind),
        "body": node.body,
        "checks": [{"type": c.check_type, "params": c.params, "verdicts": c.verdicts} for c in node.checks],
        "choices": [{"label": ch.label, "target": ch.ref, "loop": ch.loop} for ch in node.choices],
        "conclusion": None,
    }
    if node.conclusion is not None:
        c = node.conclusion
        data["conclusion"] = {
            "rules": list(c.rules),
            "fix": c.fix,
            "actions": [{"text": a.text, "type": a.type, "owner": a.owner} for a in c.actions],
        }
    return data
