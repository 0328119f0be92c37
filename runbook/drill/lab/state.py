"""Where a running lab is recorded, so that ``lab status`` and ``lab down`` find it later.

The lab outlives the CLI process that started it, so everything needed to stop it (process
ids with their start times, to never signal a recycled pid) and to use it (the variables per
scenario) is kept in ``lab.json`` in the lab directory: ``$RUNBOOK_LAB_DIR`` if set, else
``<data dir>/lab``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runbook.errors import RunbookError

STATE_FILE = "lab.json"


class LabError(RunbookError):
    title = "Fault lab"


def lab_dir() -> Path:
    env = os.environ.get("RUNBOOK_LAB_DIR")
    if env:
        return Path(env).expanduser()
    from runbook.config import data_dir

    return data_dir() / "lab"


@dataclass(frozen=True)
class ProcessRecord:
    """One background process of the lab (a service, or a real server such as etcd)."""

    name: str
    pid: int
    create_time: float
    """psutil's start time of the process: together with the pid it identifies the process."""
    argv: tuple[str, ...]
    ports: dict[str, int] = field(default_factory=dict)
    log: str = ""


@dataclass(frozen=True)
class ScenarioRecord:
    name: str
    title: str
    variables: dict[str, str]
    services: tuple[str, ...]
    notes: tuple[str, ...] = ()
    """What the lab had to substitute (e.g. a Python DNS server when NSD is missing)."""


@dataclass(frozen=True)
class LabState:
    directory: str
    started_at: str
    fast: bool
    scenarios: tuple[ScenarioRecord, ...]
    processes: tuple[ProcessRecord, ...]

    def variables(self, scenario: str) -> dict[str, str]:
        for s in self.scenarios:
            if s.name == scenario:
                return dict(s.variables)
        raise LabError(
            f"lab scenario {scenario!r} is not running; running: "
            + (", ".join(s.name for s in self.scenarios) or "none")
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabState:
        return cls(
            directory=data["directory"],
            started_at=data["started_at"],
            fast=bool(data.get("fast")),
            scenarios=tuple(
                ScenarioRecord(
                    name=s["name"],
                    title=s["title"],
                    variables=dict(s["variables"]),
                    services=tuple(s["services"]),
                    notes=tuple(s.get("notes", ())),
                )
                for s in data["scenarios"]
            ),
            processes=tuple(
                ProcessRecord(
                    name=p["name"],
                    pid=int(p["pid"]),
                    create_time=float(p["create_time"]),
                    argv=tuple(p["argv"]),
                    ports=dict(p.get("ports", {})),
                    log=p.get("log", ""),
                )
                for p in data["processes"]
            ),
        )


def read_state(directory: Path) -> LabState | None:
    path = directory / STATE_FILE
    if not path.is_file():
        return None
    try:
        return LabState.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LabError(
            f"{path}: unreadable lab state ({exc}); remove it after checking no lab "
            "process is left (ps -ef | grep runbook.drill.lab)"
        ) from exc


def write_state(directory: Path, state: LabState) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state.to_dict(), indent=2), encoding="utf-8")
    tmp.replace(directory / STATE_FILE)


def remove_state(directory: Path) -> None:
    (directory / STATE_FILE).unlink(missing_ok=True)
