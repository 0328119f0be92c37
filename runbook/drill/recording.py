"""Recorded check results: what replay mode answers instead of touching the network.

A recording is a JSON file ``drills/recordings/<name>.json`` made by running, against the lab
scenario of the same name, every check block of every playbook whose variables the lab
supplies (``runbook drill record <lab>``). It keeps each result under the block's key
(``playbook#node#index``) and, as a fallback, under its check type, plus the variables the
lab printed, so a replayed walk shows the same parameters a live one would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runbook.checks.base import CheckResult
from runbook.errors import NotFoundError, RunbookError


@dataclass(frozen=True)
class Recording:
    name: str
    recorded_at: str
    variables: dict[str, str]
    by_block: dict[str, CheckResult] = field(default_factory=dict)
    by_type: dict[str, CheckResult] = field(default_factory=dict)
    path: Path | None = None

    def result_for(self, check_type: str, key: str = "") -> CheckResult | None:
        found = self.by_block.get(key) if key else None
        if found is not None and found.check_type == check_type:
            return found
        return self.by_type.get(check_type)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "recorded_at": self.recorded_at,
            "variables": self.variables,
            "by_block": {k: r.to_dict() for k, r in sorted(self.by_block.items())},
            "by_type": {k: r.to_dict() for k, r in sorted(self.by_type.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: Path | None = None) -> Recording:
        return cls(
            name=str(data["name"]),
            recorded_at=str(data.get("recorded_at", "")),
            variables={str(k): str(v) for k, v in (data.get("variables") or {}).items()},
            by_block={k: CheckResult.from_dict(v) for k, v in (data.get("by_block") or {}).items()},
            by_type={k: CheckResult.from_dict(v) for k, v in (data.get("by_type") or {}).items()},
            path=path,
        )


def load_recording(name: str, dirs: Sequence[Path]) -> Recording:
    """The recording ``name`` from the first directory that has it."""
    for d in dirs:
        path = d / f"{name}.json"
        if path.is_file():
            try:
                return Recording.from_dict(json.loads(path.read_text(encoding="utf-8")), path)
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise RunbookError(
                    f"{path}:1: unreadable recording ({exc}); record it again with 'runbook drill record {name}'"
                ) from exc
    raise NotFoundError(
        f"no replay recording {name!r} in {', '.join(map(str, dirs)) or 'any drills directory'}; "
        f"record it with 'runbook lab up {name}' then 'runbook drill record {name}'"
    )


def save_recording(recording: Recording, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{recording.name}.json"
    path.write_text(json.dumps(recording.to_dict(), indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return path


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
