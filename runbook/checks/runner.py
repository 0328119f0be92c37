"""Run checks: hard deadline, bounded reads, redaction, concurrency, nothing escapes.

``run_check`` never raises for anything the endpoint does: unreachable, slow, garbage or
hostile peers all give verdict ``unknown`` with the reason. Only cancellation propagates
(the UI cancels running checks), and invalid parameters give ``unknown`` too, with the
validation message, so a sweep never dies on one bad spec.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from runbook.checks.base import CheckContext, CheckResult, Outcome, Verdict
from runbook.checks.redact import redact_mapping, redact_text
from runbook.checks.registry import get_check, parse_params
from runbook.errors import CheckError

DEFAULT_MAX_BYTES = 4 * 1024 * 1024


class CheckObserver(Protocol):
    """Progress of running checks; the walk engine and the UI implement it."""

    def check_started(self, key: str, check_type: str) -> None: ...

    def check_progress(self, key: str, fraction: float | None, message: str) -> None: ...

    def check_finished(self, key: str, result: CheckResult) -> None: ...


@dataclass(frozen=True)
class CheckSpec:
    """One check to run: type, raw params (variables already substituted), deadline."""

    check_type: str
    params: Mapping[str, Any] = field(default_factory=dict)
    timeout_s: float | None = None
    key: str = ""
    """Caller's identifier for observer callbacks (e.g. ``node-id#0``)."""


async def run_check(
    check_type: str,
    params: Mapping[str, Any],
    *,
    timeout_s: float | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    observer: CheckObserver | None = None,
    key: str = "",
) -> CheckResult:
    """Run one check to a verdict within ``timeout_s`` (default: the type's own)."""
    started_at = datetime.now(UTC)
    t0 = time.monotonic()
    key = key or check_type
    secrets: tuple[str, ...] = ()
    try:
        cls = get_check(check_type)
        secrets = tuple(str(params[p]) for p in cls.secret_params if params.get(p))
        parsed = parse_params(check_type, params)
    except CheckError as exc:
        return _result(check_type, params, started_at, t0, [], secrets,
                       Outcome(Verdict.UNKNOWN, f"not run: {exc.message}", error=exc.message))
    timeout = float(timeout_s if timeout_s is not None else cls.default_timeout_s)
    ctx = CheckContext(
        deadline=t0 + timeout,
        max_bytes=max_bytes,
        on_progress=(lambda f, m: observer.check_progress(key, f, m)) if observer else None,
        secrets=secrets,
    )
    if observer:
        observer.check_started(key, check_type)
    try:
        async with asyncio.timeout(timeout):
            outcome = await cls().run(parsed, ctx)
    except TimeoutError:
        outcome = Outcome(
            Verdict.UNKNOWN,
            f"no answer within the {timeout:g}s deadline",
            error=f"deadline of {timeout:g}s exceeded",
        )
    except Exception as exc:  # noqa: BLE001 - nothing a peer does may escape a check
        reason = describe_exception(exc)
        outcome = Outcome(Verdict.UNKNOWN, f"could not measure: {reason}", error=reason)
    result = _result(check_type, params, started_at, t0, ctx.evidence, secrets, outcome)
    if observer:
        observer.check_finished(key, result)
    return result


async def run_many(
    specs: Sequence[CheckSpec],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    observer: CheckObserver | None = None,
) -> list[CheckResult]:
    """Run checks concurrently; results in the order of ``specs``."""
    return list(
        await asyncio.gather(
            *(
                run_check(s.check_type, s.params, timeout_s=s.timeout_s, max_bytes=max_bytes,
                          observer=observer, key=s.key or f"{s.check_type}#{i}")
                for i, s in enumerate(specs)
            )
        )
    )


def describe_exception(exc: BaseException) -> str:
    """A one-line reason a responder understands, from whatever went wrong."""
    text = str(exc).strip() or exc.__class__.__name__
    name = exc.__class__.__name__
    if name not in text:
        text = f"{name}: {text}"
    return text.splitlines()[0][:500]


def _result(check_type, params, started_at, t0, evidence, secrets, outcome: Outcome) -> CheckResult:
    return CheckResult(
        check_type=check_type,
        verdict=outcome.verdict,
        summary=redact_text(outcome.summary, secrets),
        figures=dict(outcome.figures),
        thresholds=dict(outcome.thresholds),
        evidence=tuple(evidence),
        started_at=started_at,
        duration_s=round(time.monotonic() - t0, 6),
        params=redact_mapping(dict(params), secrets),
        error=redact_text(outcome.error, secrets) if outcome.error else None,
    )
