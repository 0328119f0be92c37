"""Deadline-aware waiting for checks: retries with backoff, polling, blocking calls.

Every helper here stops at the check's deadline (``ctx.remaining()``), so a check written with
them never needs its own clock arithmetic:

- ``retry(ctx, fn, attempts=3)`` retries a flaky measurement (only on ``MeasureError``) with
  exponential backoff and jitter, never sleeping past the deadline;
- ``poll_until(ctx, sample, holds, interval_s=1)`` samples until the tolerance holds or the
  time is up, and reports which (``Polled``), with every sample kept;
- ``sleep(ctx, s)`` sleeps at most until the deadline;
- ``in_thread(ctx, fn, *args)`` runs a blocking library call (dnspython, grpc) off the event
  loop and gives up waiting at the deadline, so the runner's timeout still fires on time.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, ParamSpec, TypeVar

from runbook.checks.base import CheckContext, MeasureError

T = TypeVar("T")
P = ParamSpec("P")


async def sleep(ctx: CheckContext, seconds: float) -> bool:
    """Sleep ``seconds`` or until the deadline, whichever is first; False if the deadline cut it."""
    left = ctx.remaining()
    await asyncio.sleep(max(0.0, min(seconds, left)))
    return seconds < left


async def retry(
    ctx: CheckContext,
    fn: Callable[[], Awaitable[T]],
    *,
    attempts: int = 3,
    base_delay_s: float = 0.2,
    max_delay_s: float = 2.0,
    retry_on: tuple[type[BaseException], ...] = (MeasureError,),
) -> T:
    """Call ``fn`` until it succeeds, up to ``attempts`` times, backing off between tries.

    Re-raises the last error when attempts or time run out; each failure is noted in evidence.
    """
    delay = base_delay_s
    for attempt in range(1, attempts + 1):
        try:
            return await fn()
        except retry_on as exc:
            wait = min(delay, max_delay_s) * (0.5 + random.random() / 2)  # jitter: no lockstep
            if attempt == attempts or ctx.remaining() <= wait:
                raise
            ctx.record("note", f"attempt {attempt}/{attempts} failed ({exc}); retrying in {wait:.2f}s")
            await asyncio.sleep(wait)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Polled(Generic[T]):
    """What ``poll_until`` saw: every sample, and whether the tolerance held at the end."""

    samples: tuple[T, ...]
    held: bool
    """True when ``holds(sample)`` became true before the deadline."""
    last: T | None


async def poll_until(
    ctx: CheckContext,
    sample: Callable[[], Awaitable[T]],
    holds: Callable[[T], bool],
    *,
    interval_s: float = 1.0,
    max_samples: int = 10_000,
    margin_s: float = 0.05,
) -> Polled[T]:
    """Sample every ``interval_s`` until ``holds(sample)`` or the deadline (minus ``margin_s``
    kept for deciding the verdict). A sample raising MeasureError stops nothing: the error
    is noted and polling goes on; if no sample ever succeeded the last error is raised."""
    samples: list[T] = []
    last_error: MeasureError | None = None
    while len(samples) < max_samples:
        try:
            value = await sample()
        except MeasureError as exc:
            last_error = exc
            ctx.record("error", f"sample failed: {exc}")
        else:
            samples.append(value)
            if holds(value):
                return Polled(tuple(samples), True, value)
        if ctx.remaining() <= interval_s + margin_s:
            break
        await asyncio.sleep(interval_s)
    if not samples and last_error is not None:
        raise last_error
    return Polled(tuple(samples), False, samples[-1] if samples else None)


async def in_thread(ctx: CheckContext, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking call in a worker thread, waiting no longer than the deadline.

    The thread itself cannot be killed: give the library its own timeout too (e.g. dnspython
    ``lifetime=ctx.remaining()``) so the thread ends soon after.
    """
    left = ctx.remaining()
    if left <= 0:
        raise MeasureError("deadline reached before the call could start")
    try:
        return await asyncio.wait_for(asyncio.to_thread(fn, *args, **kwargs), timeout=left)
    except TimeoutError:
        raise MeasureError(f"{getattr(fn, '__name__', 'call')} gave no answer within {left:.3g}s") from None
