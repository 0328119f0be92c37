"""A replay drill made from a real incident: the team trains on what actually happened to it.

The record already holds the evidence: every check the responders ran, with its verdict,
figures and (redacted) params, at the node where it ran. ``runbook drill record --from INC-ID``
turns those rows into a recording keyed like a lab recording (``playbook#node#index``), and
writes a scenario whose truth is the rules the incident concluded (or, for an incident that
ended unexplained, the rules ``runbook learn`` gave its knowledge record), starting where the
walk started. There is no lab to run it live (``lab: none``): it replays only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

from runbook.checks.base import CheckResult
from runbook.drill.drill_scenario import NO_LAB
from runbook.drill.recording import Recording, now_iso, save_recording
from runbook.errors import RunbookError
from runbook.record import repo
from runbook.record.models import incident_ref
from runbook.record.steps import check_results, conclusions, steps, to_check_result


@dataclass(frozen=True)
class IncidentDrill:
    """What ``drill record --from`` wrote."""

    scenario_id: str
    scenario_path: Path
    recording_path: Path
    truth: tuple[str, ...]
    start: str
    checks: int
    """Recorded check results kept (one per check block; a re-run replaces the earlier one)."""


def recording_from_incident(incident: int | str, *, session: Session, library: Any) -> Recording:
    """The incident's check results as a replay recording named after it (``inc-0007``)."""
    inc = repo.get_incident(incident, session=session)
    iid = inc.id or 0
    walked = {s.id: s for s in steps(iid, session=session)}
    by_block: dict[str, CheckResult] = {}
    by_type: dict[str, CheckResult] = {}
    used: dict[int, set[int]] = {}
    for rec in sorted(check_results(iid, session=session), key=lambda r: (r.started_at, r.id or 0)):
        step = walked.get(rec.step_id) if rec.step_id is not None else None
        if step is None:  # an undone step's checks, or a check run outside the walk
            continue
        result = to_check_result(rec)
        ref = f"{step.playbook_id}#{step.node_id}"
        index = _block_index(library, ref, rec.check_type, used.setdefault(step.id or 0, set()))
        if index is not None:
            by_block[f"{ref}#{index}"] = result
        by_type[rec.check_type] = result
    variables = {k: str(v) for k, v in (inc.variables or {}).items()}
    return Recording(
        name=incident_ref(iid).lower(), recorded_at=now_iso(), variables=variables, by_block=by_block, by_type=by_type
    )


def _block_index(library: Any, ref: str, check_type: str, used: set[int]) -> int | None:
    """Which check block of the node ran this check type (the first not yet matched).

    A node's checks run once per visit; running them again starts the matching over."""
    try:
        node = library.node(ref)
    except RunbookError:
        return None
    matches = [i for i, b in enumerate(node.checks) if b.check_type == check_type]
    free = [i for i in matches if i not in used]
    if not free and matches:
        used.difference_update(matches)
        free = matches
    if not free:
        return None
    used.add(free[0])
    return free[0]


def write_incident_drill(
    incident: int | str,
    *,
    session: Session,
    library: Any,
    knowledge: Any,
    incidents_dir: Path,
    force: bool = False,
) -> IncidentDrill:
    """Write ``drills/<inc-id>.md`` and its recording under ``incidents_dir``."""
    inc = repo.get_incident(incident, session=session)
    iid = inc.id or 0
    ref = incident_ref(iid)
    walked = steps(iid, session=session)
    if not walked:
        raise RunbookError(
            f"{ref} has no walk in the record; a drill replays a walk ('runbook walk ... --incident {ref}')"
        )
    truth = _truth(ref, [c.rule_ids or [] for c in _kept_conclusions(iid, session, {s.id for s in walked})], knowledge)
    first = walked[0]
    start_pb = library.playbooks.get(first.playbook_id)
    start = (
        first.playbook_id
        if start_pb is not None and start_pb.start == first.node_id
        else f"{first.playbook_id}#{first.node_id}"
    )
    recording = recording_from_incident(iid, session=session, library=library)
    scenario_id = recording.name
    scenario_path = incidents_dir / "drills" / f"{scenario_id}.md"
    if scenario_path.exists() and not force:
        raise RunbookError(f"{scenario_path} already exists; pass --force to record it again")
    recording_path = save_recording(recording, incidents_dir / "drills" / "recordings")
    meta = {
        "id": scenario_id,
        "title": f"Replay of {ref}: {' '.join(inc.title.split())}",
        "incident": ref,
        "truth": list(truth),
        "playbook": start,
        "lab": NO_LAB,
        "replay": scenario_id,
    }
    seen = " ".join((inc.impact or "").split()) or "what the responders saw when it started"
    briefing = [
        f"# {' '.join(inc.title.split())}",
        "",
        f"A replay of {ref} ({inc.severity}), made from the checks the responders ran: every check answers "
        "with what it measured then. Start where they started.",
        "",
        f"Impact: {seen}",
    ]
    scenario_path.parent.mkdir(parents=True, exist_ok=True)
    scenario_path.write_text(
        "---\n"
        + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
        + "---\n\n"
        + "\n".join(briefing)
        + "\n",
        encoding="utf-8",
    )
    return IncidentDrill(scenario_id, scenario_path, recording_path, truth, start, len(recording.by_block))


def _kept_conclusions(iid: int, session: Session, kept_steps: set[int | None]) -> list[Any]:
    return [c for c in conclusions(iid, session=session) if c.step_id is None or c.step_id in kept_steps]


def _truth(ref: str, concluded: Sequence[Sequence[str]], knowledge: Any) -> tuple[str, ...]:
    rules = tuple(dict.fromkeys(r for rs in concluded for r in rs))
    learned = getattr(knowledge, "incidents", {}).get(ref) if knowledge is not None else None
    if learned is None:
        raise RunbookError(
            f"{ref} is not in the knowledge base; run 'runbook learn {ref}' first (the drill's "
            "incident is its knowledge record)"
        )
    if rules:
        return rules
    if learned.rules:
        return tuple(learned.rules)
    raise RunbookError(f"{ref} concluded no rule and its knowledge record names none; a drill needs a truth")
