"""One drill run: a drill incident walked on the real engine, then scored and recorded.

Live mode runs the real checks against the running lab (variables from ``runbook lab up``);
replay mode plugs the :class:`ReplayRunner` into the same engine. Either way the walk is an
incident in the record with ``is_drill=True`` (kept out of real-incident search and figures),
and the score is appended to its timeline, which is where the history and the leaderboard
read it from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook.checks.base import CheckResult
from runbook.drill.drill_scenario import NO_LAB
from runbook.drill.scenarios import DrillScenario
from runbook.drill.scoring import DrillPath, Score, checks_on_path, concluded_rules, scenario_path, score
from runbook.errors import RunbookError

REPLAY, LIVE = "replay", "live"


class DrillError(RunbookError):
    title = "Drill"


@dataclass(frozen=True)
class DrillRun:
    scenario: DrillScenario
    incident_id: int
    mode: str
    stop_reason: str
    """Why the walk stopped (``conclusion``, ``question``, ...): see ``runbook.walk.state.StopReason``."""
    stop_ref: str
    path: tuple[str, ...]
    optimal: tuple[str, ...]
    conclusions: tuple[tuple[str, ...], ...]
    score: Score | None
    """None while the drill is still open (stopped at a question without --auto answers)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.id,
            "incident_id": self.incident_id,
            "mode": self.mode,
            "stop_reason": self.stop_reason,
            "stop_ref": self.stop_ref,
            "path": list(self.path),
            "optimal": list(self.optimal),
            "conclusions": [list(c) for c in self.conclusions],
            "score": self.score.to_dict() if self.score else None,
        }


class CheckCounter:
    """Observer that counts checks that really ran (``CheckResult.ran``; skipped blocks do not count)."""

    def __init__(self, inner: Any = None) -> None:
        self.inner = inner
        self.count = 0

    def check_finished(self, key: str, result: CheckResult) -> None:
        if result.ran:
            self.count += 1
        if self.inner is not None:
            self.inner.check_finished(key, result)

    def __getattr__(self, name: str) -> Any:
        if self.inner is not None:
            return getattr(self.inner, name)
        return lambda *a, **k: None


def drill_variables(
    scenario: DrillScenario, mode: str, recording_dirs: Sequence[Path], lab_directory: Path | None = None
) -> tuple[dict[str, str], Any]:
    """(variables, check runner) for ``mode``: the lab's variables and the real runner, or the
    recording's variables and the replay runner."""
    if mode == LIVE and scenario.lab == NO_LAB:
        raise DrillError(f"drill {scenario.id!r} replays a recorded incident and has no lab; run it with --replay")
    if mode == LIVE:
        from runbook.checks.runner import run_check
        from runbook.drill.lab import lab_status

        status = lab_status(directory=lab_directory)
        if status.state is None or not any(s.name == scenario.lab for s in status.state.scenarios):
            raise DrillError(
                f"drill {scenario.id!r} runs live against lab scenario {scenario.lab!r}, which is "
                f"not running; start it with 'runbook lab up {scenario.lab}' (or use --replay)"
            )
        if not status.running:
            dead = ", ".join(n for n, alive in status.alive.items() if not alive)
            raise DrillError(
                f"lab processes have stopped ({dead}); restart with 'runbook lab down' then "
                f"'runbook lab up {scenario.lab}'"
            )
        return {**status.state.variables(scenario.lab), **scenario.variables}, run_check
    if mode == REPLAY:
        from runbook.drill.recording import load_recording
        from runbook.drill.replay import ReplayRunner

        recording = load_recording(scenario.replay, recording_dirs)
        return {**recording.variables, **scenario.variables}, ReplayRunner(recording)
    raise DrillError(f"unknown drill mode {mode!r}; use 'live' or 'replay'")


def open_drill(scenario: DrillScenario, engine: Any, variables: Mapping[str, str], mode: str) -> int:
    """Create the drill incident, note the drill, and enter the start node; returns the incident id."""
    from runbook.record import repo
    from runbook.record.models import EventKind

    incident_id: int = engine.create_incident(
        f"Drill: {scenario.title}", variables=dict(variables), severity="P0", service=scenario.incident, is_drill=True
    )
    repo.add_event(
        incident_id,
        EventKind.NOTE.value,
        session=engine.session,
        author=engine.author,
        summary=f"drill {scenario.id} started ({mode})",
        payload={"drill": {"scenario": scenario.id, "mode": mode, "lab": scenario.lab}},
    )
    engine.enter(scenario.start_ref(engine.library))
    return incident_id


def count_hints(engine: Any) -> int:
    """Hints taken so far in this drill, from its timeline."""
    from runbook.record import repo

    return sum(
        1 for e in repo.timeline(engine.incident_id, session=engine.session) if "drill_hint" in (e.payload or {})
    )


def take_hint(scenario: DrillScenario, engine: Any) -> str | None:
    """The next hint (None when there are no more), recorded on the drill's timeline."""
    from runbook.record import repo
    from runbook.record.models import EventKind

    n = count_hints(engine)
    if n >= len(scenario.hints):
        return None
    repo.add_event(
        engine.incident_id,
        EventKind.NOTE.value,
        session=engine.session,
        author=engine.author,
        summary=f"hint {n + 1} taken",
        payload={"drill_hint": n + 1},
    )
    return scenario.hints[n]


def count_checks(engine: Any) -> int:
    """Checks that really ran in this drill (not the placeholders of skipped blocks), from the record."""
    from runbook.record.store import results_run

    return results_run(engine.incident_id, session=engine.session)


def finish_drill(
    scenario: DrillScenario,
    engine: Any,
    mode: str,
    *,
    checks_run: int | None = None,
    hints_taken: int | None = None,
    stop_reason: str = "stopped",
    stop_ref: str = "",
) -> DrillRun:
    """Score the walk so far, append the score to the drill's timeline, and describe the run.

    ``checks_run`` and ``hints_taken`` default to what the record holds (hints taken with
    :func:`take_hint`), so a UI only has to call this when the responder is done.
    """
    from runbook.record import repo
    from runbook.record.models import EventKind

    if checks_run is None:
        checks_run = count_checks(engine)
    if hints_taken is None:
        hints_taken = count_hints(engine)
    stop_ref = stop_ref or engine.ref or ""

    steps = engine.path
    conclusions = engine.conclusions
    truth = set(scenario.truth)
    seconds = None
    found: set[str] = set()
    for c in conclusions:
        found |= truth & set(concluded_rules(c.rules))
        if found == truth and seconds is None:
            at = next((s.entered_at for s in steps if s.step_id == c.step_id), None)
            if at is not None and steps:
                seconds = (at - steps[0].entered_at).total_seconds()
    mitigated = None
    if scenario.mitigation and steps:
        at = next((s.entered_at for s in steps if s.ref == scenario.mitigation and not s.undone), None)
        if at is not None:
            mitigated = (at - steps[0].entered_at).total_seconds()
    best = scenario_path(engine.library, scenario)
    walk = DrillPath(
        refs=tuple(s.ref for s in steps),
        conclusions=tuple(concluded_rules(c.rules) for c in conclusions),
        checks_run=checks_run,
        hints_taken=hints_taken,
        seconds_to_diagnosis=seconds,
        seconds_to_mitigation=mitigated,
    )
    result = score(
        walk,
        scenario.truth,
        best,
        len(checks_on_path(engine.library, best)),
        scenario.par_s,
        mitigation_par_s=scenario.mitigation_par_s if scenario.mitigation else None,
    )
    repo.add_event(
        engine.incident_id,
        EventKind.NOTE.value,
        session=engine.session,
        author=engine.author,
        summary=f"drill {scenario.id} scored {result.total:g}/100 ({mode})",
        payload={"drill_score": result.to_dict(), "scenario": scenario.id, "mode": mode},
    )
    # A scored drill is over: closing it keeps it off every list of open incidents.
    repo.update_status(
        engine.incident_id,
        "closed",
        session=engine.session,
        author=engine.author,
        note=f"drill scored {result.total:g}/100",
    )
    return DrillRun(
        scenario=scenario,
        incident_id=engine.incident_id,
        mode=mode,
        stop_reason=stop_reason,
        stop_ref=stop_ref,
        path=walk.refs,
        optimal=tuple(best),
        conclusions=walk.conclusions,
        score=result,
    )


async def run_drill(
    scenario: DrillScenario,
    engine_factory: Any,
    *,
    mode: str = REPLAY,
    recording_dirs: Sequence[Path] = (),
    auto: bool = True,
    answers: Mapping[str, str] | None = None,
    hints_taken: int = 0,
    max_steps: int = 50,
    observer: Any = None,
    lab_directory: Path | None = None,
    extra_variables: Mapping[str, str] | None = None,
) -> DrillRun:
    """Run a drill headlessly: autopilot (``auto``) plus pre-given ``answers``; score when it stops.

    ``engine_factory(runner=..., observer=...)`` builds the walk engine (``Services.engine_factory``).
    ``extra_variables`` (``--var``) override the lab's or the recording's, e.g. a live lab's token.
    """
    from runbook.walk.autopilot import autopilot

    variables, runner = drill_variables(scenario, mode, recording_dirs, lab_directory)
    variables = {**variables, **(extra_variables or {})}
    counter = CheckCounter(observer)
    engine = engine_factory(runner=runner, observer=counter)
    open_drill(scenario, engine, variables, mode)
    stop = await autopilot(engine, answers=answers, follow=auto, max_steps=max_steps)
    return finish_drill(
        scenario,
        engine,
        mode,
        checks_run=counter.count,
        hints_taken=hints_taken,
        stop_reason=stop.reason.value,
        stop_ref=stop.ref,
    )


async def run_drill_along(
    scenario: DrillScenario,
    engine_factory: Any,
    path: Sequence[str],
    *,
    mode: str = REPLAY,
    recording_dirs: Sequence[Path] = (),
    hints_taken: int = 0,
    lab_directory: Path | None = None,
) -> DrillRun:
    """Run a drill by walking ``path`` exactly (the ideal responder, or a scripted wrong one)."""
    variables, runner = drill_variables(scenario, mode, recording_dirs, lab_directory)
    counter = CheckCounter()
    engine = engine_factory(runner=runner, observer=counter)
    open_drill(scenario, engine, variables, mode)
    await drive_path(engine, path)
    return finish_drill(
        scenario,
        engine,
        mode,
        checks_run=counter.count,
        hints_taken=hints_taken,
        stop_reason="conclusion" if engine.at_conclusion else "stopped",
        stop_ref=engine.ref or "",
    )


async def drive_path(engine: Any, path: Sequence[str]) -> None:
    """Walk ``path`` (node refs) exactly, running each check node's checks on the way: the
    ideal responder. A step back to triage's start after a conclusion continues from triage."""
    from runbook.playbook.model import NodeKind

    if engine.ref != path[0]:
        raise DrillError(f"the walk is at {engine.ref}, not at the path's start {path[0]}")
    for ref in path[1:]:
        node = engine.node
        if node.kind == NodeKind.CONCLUSION:
            engine.continue_from_triage()
            if engine.ref != ref:
                engine.choose(ref)
            continue
        if engine.needs_checks:
            await engine.run_checks()
        engine.choose(ref)
