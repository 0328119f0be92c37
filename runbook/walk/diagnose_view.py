"""A diagnosis as JSON-ready data and as the text ``runbook diagnose`` prints."""

from __future__ import annotations

from typing import Any

from runbook.record.models import incident_ref
from runbook.walk.diagnose import Diagnosis
from runbook.walk.summary import check_dict, key_figures


def diagnosis_dict(d: Diagnosis) -> dict[str, Any]:
    return {
        "incident": incident_ref(d.incident_id) if d.incident_id else None,
        "incident_id": d.incident_id,
        "checks": [
            dict(check_dict(result), params=dict(result.params), blocks=[f"{r}#{i}" for r, i in c.blocks])
            for c, result in d.checks
        ],
        "skipped": [{"block": f"{s.ref}#{s.index}", "check_type": s.check_type, "reason": s.reason} for s in d.skipped],
        "ranking": [
            {
                "rule": r.rule,
                "status": r.status,
                "score": list(r.score),
                "evidence": [
                    {
                        "bearing": e.bearing,
                        "verdict": e.verdict,
                        "block": f"{e.ref}#{e.index}",
                        "check_type": e.check_type,
                        "explanation": e.explanation,
                    }
                    for e in r.evidence
                ],
                "path": [{"ref": p.ref, "title": p.title, "kind": p.kind, "how": p.how} for p in r.path],
            }
            for r in d.ranking
        ],
    }


def diagnosis_text(data: dict[str, Any], *, top: int = 3) -> str:
    head = data["incident"] or "diagnosis"
    lines = [f"{head}: {len(data['checks'])} check(s) run at once, {len(data['skipped'])} block(s) skipped"]
    for c in data["checks"]:
        figures = key_figures(c["figures"])
        lines.append(
            f"  {c['check_type']}: {c['verdict'].upper()}" + (f"  [{figures}]" if figures else "") + f"  {c['summary']}"
        )
    if not data["ranking"]:
        lines.append("no rule has evidence: every verdict is unknown or points nowhere")
    else:
        lines.append("rules, strongest evidence first:")
    for n, r in enumerate(data["ranking"], 1):
        lines.append(f"  {n}. {r['rule']}: {r['status']}")
        if n > top:
            continue
        for e in r["evidence"]:
            lines.append(f"       {e['bearing']}: {e['explanation']}")
        if r["path"]:
            lines.append("       path: " + " -> ".join(f"{p['ref']} ({p['how']})" for p in r["path"]))
    return "\n".join(lines)
