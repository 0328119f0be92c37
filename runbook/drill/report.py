"""The facilitator's view of a finished drill: the truth and the responder's path side by side.

Built from the record alone (the drill incident's steps, conclusions and score note) plus the
scenario, so it can be produced any time after the drill, on any machine sharing the record.
The postmortem of the drill itself comes from the ordinary templates (``runbook export``).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from runbook.drill.scoring import Score
from runbook.errors import NotFoundError


@dataclass(frozen=True)
class DrillReport:
    incident_id: int
    scenario_id: str
    title: str
    mode: str
    responder: str
    truth: tuple[str, ...]
    path: tuple[str, ...]
    """Node refs the responder visited (undone ones marked with a trailing ' (undone)')."""
    optimal: tuple[str, ...]
    score: Score

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "scenario": self.scenario_id,
            "title": self.title,
            "mode": self.mode,
            "responder": self.responder,
            "truth": list(self.truth),
            "path": list(self.path),
            "optimal": list(self.optimal),
            "score": self.score.to_dict(),
        }


def drill_report(incident_id: int | str, *, session: Any, content: Any) -> DrillReport:
    from runbook.drill.scoring import scenario_path
    from runbook.record import repo
    from runbook.record.views import load_record

    inc = repo.get_incident(incident_id, session=session)
    iid = inc.id
    assert iid is not None  # a stored row has its id
    notes = [e for e in repo.timeline(iid, session=session) if "drill_score" in (e.payload or {})]
    if not inc.is_drill or not notes:
        raise NotFoundError(f"incident {inc.id} is not a scored drill; run one with 'runbook drill run'")
    data = notes[-1].payload
    scenario = content.scenarios.get(data.get("scenario"))
    if scenario is None:
        raise NotFoundError(f"drill scenario {data.get('scenario')!r} of incident {inc.id} is no longer loaded")
    record = load_record(iid, session=session)
    path = tuple(
        f"{s.playbook_id}#{s.node_id}" + (" (undone)" if s.undone else "")
        for s in sorted(record.steps, key=lambda s: s.seq)
    )
    best = scenario_path(content.library, scenario)
    return DrillReport(
        incident_id=iid,
        scenario_id=scenario.id,
        title=scenario.title,
        mode=str(data.get("mode")),
        responder=inc.created_by,
        truth=scenario.truth,
        path=path,
        optimal=tuple(best),
        score=Score.from_dict(data["drill_score"]),
    )


def format_report(report: DrillReport) -> str:
    s = report.score
    lines = [
        f"# Drill report: {report.title}",
        "",
        f"Scenario `{report.scenario_id}`, {report.mode}, responder {report.responder}, incident {report.incident_id}.",
        "",
        f"**Truth:** {', '.join(report.truth)}. **Found:** {', '.join(s.found) or 'none'}"
        + (f". **Missed:** {', '.join(s.missed)}" if s.missed else "")
        + (f". **Wrong:** {'; '.join('/'.join(w) for w in s.wrong)}" if s.wrong else "")
        + ".",
        "",
        "| # | responder | shortest path |",
        "|---|---|---|",
    ]
    for i, (mine, best) in enumerate(zip_longest(report.path, report.optimal, fillvalue=""), 1):
        mark = "" if mine == best or not mine or not best else " ≠"

        def cell(ref: str) -> str:
            return f"`{ref}`" if ref else ""

        lines.append(f"| {i} | {cell(mine)}{mark} | {cell(best)} |")
    t = s.seconds_to_diagnosis
    lines += [
        "",
        f"**Score: {s.total:g}/100**",
        "",
        "| part | value | detail |",
        "|---|---|---|",
        f"| root cause (50) | {s.root_cause:.2f} | {len(s.found)} of {len(s.found) + len(s.missed)} found, "
        f"{len(s.wrong)} wrong |",
        f"| path (25) | {s.path:.2f} | {s.steps_taken} moves, best {s.optimal_steps} |",
        f"| time (15) | {s.time:.2f} | "
        + (f"{t:.0f}s to diagnosis, par {s.par_s:.0f}s |" if t is not None else "no complete diagnosis |"),
        f"| checks (10) | {s.checks:.2f} | {s.checks_run} run, {s.optimal_checks} on the best path |",
        f"| hints (-5 each) | {s.hints_taken} | |",
        "",
    ]
    return "\n".join(lines)
