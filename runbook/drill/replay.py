"""The replay check runner: each check returns its recorded result, the network is never touched.

It has ``run_check``'s signature, so the walk engine takes it as its runner unchanged; the
engine records the replayed results exactly as live ones (with the params of this walk and
the time of this run), so a drill in replay leaves the same kind of record as a live one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from runbook.checks.base import CheckResult, Verdict
from runbook.checks.redact import redact_mapping
from runbook.drill.recording import Recording


class ReplayRunner:
    """Answers checks from a :class:`Recording`; counts what it was asked."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.calls: list[tuple[str, str]] = []
        """(check type, block key) of every call, in order."""

    async def __call__(
        self,
        check_type: str,
        params: Mapping[str, Any],
        *,
        timeout_s: float | None = None,
        observer: Any = None,
        key: str = "",
        max_bytes: int | None = None,
    ) -> CheckResult:
        self.calls.append((check_type, key))
        key = key or check_type
        if observer is not None:
            observer.check_started(key, check_type)
        recorded = self.recording.result_for(check_type, key)
        now = datetime.now(UTC)
        if recorded is None:
            result = CheckResult(
                check_type=check_type,
                verdict=Verdict.UNKNOWN,
                summary=f"replay: recording {self.recording.name!r} has no result for {check_type}",
                figures={},
                thresholds={},
                evidence=(),
                started_at=now,
                duration_s=0.0,
                params=redact_mapping(dict(params), ()),
                error="not recorded",
            )
        else:
            result = dataclasses.replace(recorded, started_at=now, params=redact_mapping(dict(params), ()))
        if observer is not None:
            observer.check_finished(key, result)
        return result
