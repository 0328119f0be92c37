"""Run checks: hard deadline, bounded reads, redaction, concurrency, nothing escapes.

``run_check`` never raises for anything the endpoint does: unreachable, slow, garbage or
hostile peers all give verdict ``unknown`` with the reason. Only cancellation propagates
(the UI cancels running checks), and invalid parameters give ``unknown`` too, with the
validation message, so a sweep never dies on one bad spec.

The deadline is enforced twice: the HTTP helper (``runbook.checks.http``) times each request
out just before it with a precise reason ("body stalled after 10 bytes"), and
``asyncio.timeout`` here cancels the whole check at the deadline whatever it is awaiting. A
check that blocks the event loop cannot be interrupted: blocking calls go through
``runbook.checks.retry.in_thread``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from runbook.checks.base import (
    CheckContext,
    CheckResult,
    Evidence,
    MeasureError,
    Outcome,
    Verdict,
)
from runbook.checks.redact import redact_mapping, redact_text, secret_values
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
    """Run one check to a verdict within ``timeout_s`` (default: the type's own).

    Raises only ``asyncio.CancelledError`` (after telling the observer the check was
    cancelled); everything else becomes a result.
    """
    started_at = datetime.now(UTC)
    t0 = time.monotonic()
    key = key or check_type
    try:
        cls = get_check(check_type)
    except CheckError as exc:
        return _not_run(check_type, params, started_at, t0, secret_values(params), exc)
    secrets = secret_values(params, cls.secret_params)
    try:
        parsed = parse_params(check_type, params)
        if timeout_s is not None and not timeout_s > 0:
            raise CheckError(f"timeout must be a positive number of seconds, not {timeout_s!r}")
    except CheckError as exc:
        return _not_run(check_type, params, started_at, t0, secrets, exc)
    timeout = float(timeout_s if timeout_s is not None else cls.default_timeout_s)
    # The deadline counts from here: loading the catalog on first use is not the check's time.
    t0 = time.monotonic()
    ctx = CheckContext(
        deadline=t0 + timeout,
        max_bytes=max_bytes,
        on_progress=(lambda f, m: observer.check_progress(key, f, m)) if observer else None,
        secrets=secrets,
    )
    if observer:
        observer.check_started(key, check_type)
    try:
        async with asyncio.timeout_at(ctx.deadline):
            outcome = await cls().run(parsed, ctx)
        if not isinstance(outcome, Outcome):
            raise TypeError(f"check {check_type} returned {type(outcome).__name__}, not an Outcome")
    except asyncio.CancelledError:
        if observer:
            cancelled = Outcome(Verdict.UNKNOWN, "cancelled before a verdict", error="cancelled")
            observer.check_finished(key, _result(check_type, params, started_at, t0, ctx.evidence, secrets, cancelled))
        raise
    except TimeoutError:
        seen = _last_seen(ctx.evidence)
        outcome = Outcome(
            Verdict.UNKNOWN,
            f"no verdict within the {timeout:g}s deadline" + (f"; last seen: {seen}" if seen else ""),
            error=f"deadline of {timeout:g}s exceeded",
        )
    except Exception as exc:
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
    concurrency: int | None = None,
) -> list[CheckResult]:
    """Run checks concurrently (at most ``concurrency`` at a time); results in spec order.

    Cancelling the call cancels every check and returns only once all of them have ended.
    """
    gate = asyncio.Semaphore(concurrency) if concurrency else None

    async def one(i: int, spec: CheckSpec) -> CheckResult:
        async def run() -> CheckResult:
            return await run_check(
                spec.check_type,
                spec.params,
                timeout_s=spec.timeout_s,
                max_bytes=max_bytes,
                observer=observer,
                key=spec.key or f"{spec.check_type}#{i}",
            )

        if gate is None:
            return await run()
        async with gate:
            return await run()

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(i, s)) for i, s in enumerate(specs)]
    return [t.result() for t in tasks]


def describe_exception(exc: BaseException) -> str:
    """A one-line reason a responder understands, from whatever went wrong."""
    if isinstance(exc, BaseExceptionGroup):
        # concurrent requests inside a check: report the first real failure, count the rest
        leaves = _leaves(exc)
        first = next((e for e in leaves if isinstance(e, MeasureError)), leaves[0])
        more = f" (and {len(leaves) - 1} more errors)" if len(leaves) > 1 else ""
        return describe_exception(first) + more
    if isinstance(exc, MeasureError):
        return exc.message
    text = str(exc).strip() or exc.__class__.__name__
    name = exc.__class__.__name__
    if name not in text:
        text = f"{name}: {text}"
    return text.splitlines()[0][:500]


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    out: list[BaseException] = []
    for e in group.exceptions:
        out.extend(_leaves(e) if isinstance(e, BaseExceptionGroup) else [e])
    return out or [group]


def _last_seen(evidence: list[Evidence]) -> str:
    if not evidence:
        return ""
    last = evidence[-1]
    return f"{last.label} {last.text.splitlines()[0][:160]}" if last.text else last.label


def _not_run(
    check_type: str,
    params: Mapping[str, Any],
    started_at: datetime,
    t0: float,
    secrets: tuple[str, ...],
    exc: CheckError,
) -> CheckResult:
    outcome = Outcome(Verdict.UNKNOWN, f"not run: {exc.message}", error=exc.message)
    return _result(check_type, params, started_at, t0, [], secrets, outcome)


def _result(
    check_type: str,
    params: Mapping[str, Any],
    started_at: datetime,
    t0: float,
    evidence: list[Evidence],
    secrets: tuple[str, ...],
    outcome: Outcome,
) -> CheckResult:
    return CheckResult(
        check_type=check_type,
        verdict=outcome.verdict,
        summary=redact_text(outcome.summary, secrets),
        figures=_scrub_values(outcome.figures, secrets),
        thresholds=_scrub_values(outcome.thresholds, secrets),
        evidence=tuple(evidence),
        started_at=started_at,
        duration_s=round(time.monotonic() - t0, 6),
        params=redact_mapping(dict(params), secrets),
        error=redact_text(outcome.error, secrets) if outcome.error else None,
    )


def _scrub_values(figures: Mapping[str, Any], secrets: tuple[str, ...]) -> dict[str, Any]:
    # Figure names are ours (e.g. "sessions"), so only string values are scrubbed, not names.
    return {k: redact_text(v, secrets) if isinstance(v, str) else v for k, v in figures.items()}
