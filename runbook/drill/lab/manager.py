"""Bring a lab up, report on it, take it down: the functions behind ``runbook lab``.

``lab_up`` either starts everything asked for or nothing: if one service fails to start, the
ones already started are stopped before the error is raised, so a failed ``lab up`` never
leaves processes behind.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from runbook.drill.lab.plan import LAB_SCENARIOS
from runbook.drill.lab.processes import (
    file_ready,
    is_alive,
    spawn,
    stop,
    tcp_ready,
    wait_ready,
)
from runbook.drill.lab.source import write_sources
from runbook.drill.lab.state import (
    LabError,
    LabState,
    ProcessRecord,
    ScenarioRecord,
    lab_dir,
    read_state,
    remove_state,
    write_state,
)

__all__ = ["LabError", "LabStatus", "lab_down", "lab_status", "lab_up"]


@dataclass(frozen=True)
class LabStatus:
    state: LabState | None
    alive: dict[str, bool]
    """Process name -> still running."""

    @property
    def running(self) -> bool:
        return self.state is not None and all(self.alive.values())


def lab_up(scenarios: list[str] | None = None, *, fast: bool = False, directory: Path | None = None) -> LabState:
    """Start the named lab scenarios (all when empty) and record them; return the state."""
    directory = directory or lab_dir()
    names = list(dict.fromkeys(scenarios or LAB_SCENARIOS))
    unknown = [n for n in names if n not in LAB_SCENARIOS]
    if unknown:
        raise LabError(f"unknown lab scenario {unknown[0]!r}; known: {', '.join(LAB_SCENARIOS)}")
    current = read_state(directory)
    if current is not None:
        status = lab_status(directory=directory)
        if any(status.alive.values()):
            raise LabError(
                f"a lab is already running in {directory} (scenarios: "
                f"{', '.join(s.name for s in current.scenarios)}); run 'runbook lab down' first"
            )
        remove_state(directory)
    directory.mkdir(parents=True, exist_ok=True)
    started: list[ProcessRecord] = []
    records: list[ScenarioRecord] = []
    try:
        for name in names:
            try:
                procs, record = _start_scenario(name, directory / name, fast)
            except LabError:
                # Ports are picked free, then bound by the service: another process may take one
                # in between. One more try with fresh ports; a real failure fails twice.
                procs, record = _start_scenario(name, directory / name, fast)
            started += procs
            records.append(record)
    except BaseException:
        stop(started)
        raise
    state = LabState(
        directory=str(directory),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        fast=fast,
        scenarios=tuple(records),
        processes=tuple(started),
    )
    write_state(directory, state)
    return state


def _start_scenario(name: str, sdir: Path, fast: bool) -> tuple[list[ProcessRecord], ScenarioRecord]:
    """Start one scenario's processes; on any failure stop them all and raise."""
    scenario = LAB_SCENARIOS[name]
    shutil.rmtree(sdir, ignore_errors=True)
    sdir.mkdir(parents=True)
    started: list[ProcessRecord] = []
    try:
        plan = scenario.build(sdir, fast)
        pids: dict[str, int] = {}
        for launch in plan.launches:
            record = spawn(launch.name, launch.argv, directory=sdir, ports=launch.ports)
            started.append(record)
            ready = tcp_ready(launch.ready_port) if launch.ready_port else file_ready(sdir / f"{launch.name}.ready")
            wait_ready(record, ready)
            pids[launch.name] = record.pid
    except BaseException:
        stop(started)
        raise
    variables = {k: _resolve(v, pids) for k, v in plan.variables.items()}
    variables["source_path"] = str(write_sources(name, sdir / "src"))
    return started, ScenarioRecord(
        name=name,
        title=scenario.title,
        variables=variables,
        services=tuple(launch.name for launch in plan.launches),
        notes=plan.notes,
    )


def _resolve(value: str, pids: dict[str, int]) -> str:
    for name, pid in pids.items():
        value = value.replace(f"{{pid:{name}}}", str(pid))
    return value


def lab_status(*, directory: Path | None = None) -> LabStatus:
    state = read_state(directory or lab_dir())
    if state is None:
        return LabStatus(None, {})
    return LabStatus(state, {p.name: is_alive(p) for p in state.processes})


def lab_down(*, directory: Path | None = None) -> list[ProcessRecord]:
    """Stop every recorded process; return the records that were stopped. Idempotent."""
    directory = directory or lab_dir()
    state = read_state(directory)
    if state is None:
        return []
    survivors = stop(state.processes)
    if survivors:
        raise LabError(f"could not stop lab processes: {', '.join(survivors)}; see {directory}")
    remove_state(directory)
    return list(state.processes)
