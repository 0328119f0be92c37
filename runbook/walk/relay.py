"""Between the check runner and the walk observer during a node's check run.

The runner reports start and progress as they happen; those pass straight through. Its
``finished`` is held back: the engine reports a result only after recording it, so a view
never shows a result the record does not have. A cancelled run's last word is kept so the
engine can still tell the view how it ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from runbook.checks.base import CheckResult, Verdict
from runbook.playbook.model import CheckBlock
from runbook.walk.observer import WalkObserver


class CheckRelay:
    def __init__(self, observer: WalkObserver) -> None:
        self.observer = observer
        self.cancelled: dict[str, CheckResult] = {}

    def check_started(self, key: str, check_type: str) -> None:
        self.observer.check_started(key, check_type)

    def check_progress(self, key: str, fraction: float | None, message: str) -> None:
        self.observer.check_progress(key, fraction, message)

    def check_finished(self, key: str, result: CheckResult) -> None:
        if result.error == "cancelled":
            self.cancelled[key] = result


def not_run(block: CheckBlock, names: Sequence[str], at: datetime) -> CheckResult:
    """The result of a block skipped for want of optional variables: unknown, saying which."""
    reason = f"variable(s) not given: {', '.join(names)}"
    return CheckResult(
        check_type=block.check_type,
        verdict=Verdict.UNKNOWN,
        summary=f"not run: {reason}",
        figures={},
        thresholds={},
        evidence=(),
        started_at=at,
        duration_s=0.0,
        params={},
        error=reason,
        ran=False,
    )
