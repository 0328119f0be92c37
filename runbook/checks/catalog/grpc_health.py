"""gRPC health and UNAVAILABLE handling (R7): does the caller fall back when the downstream is down?

The postmortem's bug: a gRPC status wrapped with ``%w`` and tested with
``errors.Is(err, codes.Unavailable)`` never matches, so the fallback is skipped and the caller
returns 5xx exactly when the downstream is down. This check asks the downstream's
``grpc.health.v1.Health/Check`` (SERVING / NOT_SERVING / NOT_FOUND / UNAVAILABLE), then
exercises the fallback in one or both ways:

- passively: Unavailable vs fallback vs 5xx counter deltas on the caller's /metrics page
  over ``window_s``;
- actively: while the downstream is down, ``active_requests`` requests to ``caller_url``,
  each classified fallback (predicate matched), error (5xx or timeout) or normal.

If neither ran into an UNAVAILABLE downstream, nothing was exercised: verdict ``unknown``.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Self

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic import Field, model_validator

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.catalog._grpc_caller import ActiveTally, Deltas, probe_caller, scrape
from runbook.checks.registry import register_check
from runbook.parsers.prom_select import SelectorError, parse_selector

#: States in which callers must be degrading: the active probe runs only then.
DOWN_STATES = ("UNAVAILABLE", "NOT_SERVING", "DEADLINE_EXCEEDED")


@register_check
class GrpcUnavailableFallback(Check["GrpcUnavailableFallback.Params"]):
    name = "grpc_unavailable_fallback"
    title = "gRPC health and UNAVAILABLE fallback"
    description = (
        "grpc.health.v1 Check on the downstream, then caller metrics deltas over a window "
        "and/or active requests to the caller while the downstream is down. fail: Unavailable "
        "rose with no fallback while caller 5xx rose, or an active request got 5xx/timed out; "
        "warn: fallbacks < 0.9 x Unavailable; unknown: nothing exercised."
    )
    rules = ("R7",)
    default_timeout_s = 45.0

    class Params(CheckParams):
        downstream: str
        """``host:port`` of the gRPC server the caller depends on."""
        health_service: str = ""
        """Service name for the health check (``""`` = the whole server)."""
        deadline_ms: int = Field(500, ge=1)
        caller_url: str | None = None
        """Caller endpoint to probe actively while the downstream is down."""
        active_requests: int = Field(5, ge=1, le=200)
        fallback_status: list[int] = Field(default_factory=list)
        """Statuses that mean "served from the fallback" (e.g. [203])."""
        fallback_header: str | None = None
        """``Name`` (present) or ``Name: regex`` on the value marks a fallback response."""
        fallback_body_regex: str | None = None
        caller_metrics_url: str | None = None
        unavailable_selector: str = 'grpc_client_handled_total{grpc_code="Unavailable"}'
        fallback_selector: str | None = None
        errors_selector: str | None = None
        """Caller 5xx counter, e.g. ``http_requests_total{code="500"}``."""
        window_s: float = Field(30.0, gt=0)
        warn_fallback_ratio: float = Field(0.9, gt=0, le=1)

        @model_validator(mode="after")
        def _check(self) -> Self:
            for sel in (self.unavailable_selector, self.fallback_selector, self.errors_selector):
                if sel:
                    try:
                        parse_selector(sel)
                    except SelectorError as exc:
                        raise ValueError(str(exc)) from None
            for rx in (self.fallback_body_regex, self.fallback_header):
                if rx:
                    try:
                        re.compile(rx)
                    except re.error as exc:
                        raise ValueError(f"bad regex {rx!r}: {exc}") from None
            if self.caller_metrics_url and not self.fallback_selector:
                raise ValueError("caller_metrics_url needs fallback_selector")
            return self

    async def run(self, params: Params, ctx: CheckContext) -> Outcome:
        state, detail = await health_state(ctx, params.downstream, params.health_service, params.deadline_ms)
        health = f"grpc.health.v1.Health/Check({params.health_service!r}) on {params.downstream}: {state} {detail}"
        ctx.record("response", health.rstrip())
        if not params.caller_url and not params.caller_metrics_url:
            ctx.record("health", health.rstrip(), deciding=True)
            return _nothing(state, "no caller_url or caller_metrics_url given")
        before = await scrape(ctx, params) if params.caller_metrics_url else None
        t_end = time.monotonic() + min(params.window_s, max(0.0, ctx.remaining() - 2.0))
        active = ActiveTally()
        if params.caller_url and state in DOWN_STATES:
            active = await probe_caller(ctx, params)
        elif params.caller_url:
            ctx.record("note", f"downstream is {state}: active probe skipped (it would not reach the fallback)")
        deltas = None
        if before is not None:
            if (left := t_end - time.monotonic()) > 0:
                ctx.progress(None, f"watching caller counters for {left:.0f}s")
                await asyncio.sleep(left)
            deltas = before.delta(await scrape(ctx, params))
        ctx.record("caller", _what_the_caller_did(health.rstrip(), active, deltas), deciding=True)
        return _decide(params, state, active, deltas)


def _what_the_caller_did(health: str, active: ActiveTally, deltas: Deltas | None) -> str:
    """The downstream's health answer next to what the caller answered meanwhile (fallbacks,
    errors) and its counters over the window: degradation, or errors passed on."""
    lines = [health]
    if active.total:
        lines.append(
            f"caller requests: {active.fallback} fallback, {active.error} error, {active.normal} normal "
            f"of {active.total}" + (f"; first error: {active.first_error}" if active.first_error else "")
        )
    if deltas is not None:
        lines.append(
            f"caller counters over the window: Unavailable +{deltas.unavailable}, "
            f"fallback +{deltas.fallback}, errors +{deltas.errors}"
        )
    return "\n".join(lines)


async def health_state(ctx: CheckContext, target: str, service: str, deadline_ms: int) -> tuple[str, str]:
    """(state, detail): SERVING / NOT_SERVING / SERVICE_UNKNOWN / NOT_FOUND / UNAVAILABLE / <code>."""
    timeout = min(deadline_ms / 1000, ctx.remaining())
    if timeout <= 0:
        raise MeasureError("deadline reached before the health check")
    try:
        async with grpc.aio.insecure_channel(target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            # the stubs' HealthStub declares no methods: grpc adds them to the instance at run time
            reply = await stub.Check(  # type: ignore[attr-defined]
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
    except grpc.aio.AioRpcError as exc:
        return exc.code().name, (exc.details() or "")[:200]
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status), ""


def _nothing(state: str, why: str) -> Outcome:
    return Outcome(
        Verdict.UNKNOWN,
        f"downstream {state}; fallback not exercised: {why}",
        figures={"downstream_state": state},
        error=f"nothing exercised: {why}",
    )


def _decide(params: GrpcUnavailableFallback.Params, state: str, active: ActiveTally, deltas: Deltas | None) -> Outcome:
    figures: dict[str, Figure] = {"downstream_state": state, **active.figures()}
    if deltas is not None:
        figures.update(deltas.figures())
    thresholds = {"warn_fallback_ratio": params.warn_fallback_ratio, "deadline_ms": params.deadline_ms}
    unavailable = deltas.unavailable if deltas else None
    exercised = active.total > 0 or (unavailable or 0) > 0
    if not exercised:
        why = "no Unavailable in the caller's counters over the window" if deltas else "downstream not down"
        out = _nothing(state, why)
        return Outcome(out.verdict, out.summary, figures, thresholds, out.error)
    fail, warn = [], []
    if active.errors:
        fail.append(
            f"{active.errors} of {active.total} caller requests failed while the downstream "
            f"was {state} ({active.first_error})"
        )
    if deltas and unavailable:
        fb = deltas.fallback or 0
        if fb == 0 and (deltas.errors or 0) > 0:
            fail.append(f"{unavailable:g} Unavailable, 0 fallbacks, {deltas.errors:g} caller errors")
        elif fb < params.warn_fallback_ratio * unavailable:
            warn.append(f"only {fb:g} fallbacks for {unavailable:g} Unavailable")
    head = f"downstream {state}"
    if fail:
        return Outcome(Verdict.FAIL, f"{head}: " + "; ".join(fail + warn), figures, thresholds)
    if warn:
        return Outcome(Verdict.WARN, f"{head}: " + "; ".join(warn), figures, thresholds)
    parts = []
    if active.total:
        parts.append(f"{active.fallback} fallback / {active.normal} normal of {active.total} requests")
    if deltas and unavailable:
        parts.append(f"{deltas.fallback:g} fallbacks for {unavailable:g} Unavailable")
    return Outcome(Verdict.OK, f"{head}: the caller degrades gracefully ({'; '.join(parts)})", figures, thresholds)
