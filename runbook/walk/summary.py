"""A finished (or stopped) walk as data and as text: what ``runbook walk`` prints.

Pure functions over the engine's snapshots, so the CLI's text and JSON, and any other face
that wants the same summary, agree.
"""

from __future__ import annotations

from typing import Any

from runbook.checks.base import CheckResult
from runbook.playbook.model import Node
from runbook.record.models import incident_ref
from runbook.walk.engine import WalkEngine

#: How many figures a path line cites per check.
KEY_FIGURES = 4


def key_figures(figures: dict[str, Any], limit: int = KEY_FIGURES) -> str:
    """The first few figures as ``name=value`` (what a path line cites)."""
    return " ".join([f"{k}={v}" for k, v in figures.items() if v is not None][:limit])


def check_dict(result: CheckResult) -> dict[str, Any]:
    return {
        "check_type": result.check_type,
        "verdict": result.verdict.value,
        "summary": result.summary,
        "figures": dict(result.figures),
        "duration_s": result.duration_s,
        "error": result.error,
    }


def _conclusion_kind(node: Node | None) -> dict[str, str]:
    """``kind`` (cause or unexplained) and, for the unexplained terminal, who it escalates to."""
    concl = node.conclusion if node else None
    if concl is None or not concl.unexplained:
        return {"kind": "cause"}
    return {"kind": concl.kind, "escalate": concl.escalate}


def walk_dict(engine: WalkEngine, stop: Any = None) -> dict[str, Any]:
    """The walk as JSON-ready data: path with checks, conclusions, where and why it stopped."""
    path = []
    for step in engine.path:
        node = engine.node_at(step.ref)
        path.append(
            {
                "seq": step.seq,
                "ref": step.ref,
                "title": node.title if node else "",
                "kind": node.kind.value if node else "",
                "choice": step.choice,
                "next": step.next_ref,
                "automatic": step.automatic,
                "undone": step.undone,
                "checks": [dict(check_dict(r.result), block=r.index) for r in engine.results_at(step)],
            }
        )
    out: dict[str, Any] = {
        "incident": incident_ref(engine.incident_id or 0),
        "incident_id": engine.incident_id,
        "at": engine.ref,
        "path": path,
        "conclusions": [
            {
                "ref": c.ref,
                "title": c.title,
                "rules": list(c.rules),
                "fix": c.fix,
                "automatic": c.automatic,
                **_conclusion_kind(engine.node_at(c.ref)),
            }
            for c in engine.conclusions
        ],
        "suggestion": None,
        "similar": [s.to_dict() for s in engine.similar()] if engine.ref else [],
    }
    if engine.suggestion is not None:
        s = engine.suggestion
        out["suggestion"] = {
            "target": s.target,
            "label": s.label,
            "verdict": s.verdict.value,
            "contested": s.contested,
            "reason": s.reason,
        }
    if stop is not None:
        out["stop"] = {
            "reason": stop.reason.value,
            "ref": stop.ref,
            "detail": stop.detail,
            "exit_code": stop.exit_code,
            "moves": stop.moves,
        }
    return out


def walk_text(data: dict[str, Any]) -> str:
    """The human summary of ``walk_dict``'s data."""
    lines = [f"{data['incident']}: path"]
    for step in data["path"]:
        mark = " (undone)" if step["undone"] else ""
        lines.append(f"  {step['seq']:>2}. {step['ref']}  {step['title']}{mark}")
        for c in step["checks"]:
            figures = key_figures(c["figures"])
            lines.append(
                f"        {c['check_type']}: {c['verdict'].upper()}"
                + (f"  [{figures}]" if figures else "")
                + f"  {c['summary']}"
            )
        if step["choice"]:
            how = "automatic" if step["automatic"] else "chosen"
            lines.append(f"        -> {step['choice']} ({how})")
    for c in data["conclusions"]:
        if c.get("kind") == "unexplained":
            lines.append(f"unexplained: {c['title']}: no rule explains it; escalate to {c['escalate']}")
        else:
            lines.append(f"conclusion: {c['title']} [{', '.join(c['rules'])}]")
        if c["fix"]:
            lines.append(f"  fix: {c['fix']}")
    if data.get("suggestion") and not data["conclusions"]:
        s = data["suggestion"]
        lines.append(f"suggested: {s['label']} -> {s['target']} ({s['reason']})")
    for s in data.get("similar", []):
        lines.append(f"similar: {s['ref']} {s['title']} ({s['reason']})")
    stop = data.get("stop")
    if stop:
        lines.append(f"stopped: {stop['reason']} at {stop['ref']}: {stop['detail']} (exit {stop['exit_code']})")
    return "\n".join(lines)
