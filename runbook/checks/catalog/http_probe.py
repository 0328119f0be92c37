"""http_probe_flapping (R2): would a liveness/readiness probe with this timeout flap?

A probe with a hard-coded timeout trips when the endpoint's latency tail (GC pauses, cold
starts, jitter) reaches it. This check probes the endpoint the way the kubelet does (a fresh
connection per probe, ``Connection: close``, a ``kube-probe`` User-Agent) with a client
timeout well above the probe timeout, so the tail is measured instead of cut off. From the
failure share p it predicts trips per day, 86400/period x (1-p) x p^F, and replays the
probe state machine (F failures to trip, S successes to recover) over the samples.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from pydantic import Field

from runbook.checks.base import Check, CheckParams, MeasureError, Outcome, Verdict
from runbook.checks.http import fetch
from runbook.checks.registry import register_check

#: Time kept back from the deadline to decide the verdict from the samples already taken.
DECIDE_MARGIN_S = 0.05


class HttpProbeParams(CheckParams):
    url: str = Field(description="The probe endpoint, e.g. http://10.0.0.5:8080/health")
    probe_timeout_s: float = Field(1.0, gt=0, description="The probe's configured timeout (Kubernetes default 1 s)")
    period_s: float = Field(10.0, gt=0, description="The probe's period (Kubernetes periodSeconds, default 10)")
    failure_threshold: int = Field(3, ge=1, description="Consecutive failures that trip the probe (default 3)")
    success_threshold: int = Field(1, ge=1, description="Consecutive successes to recover (default 1)")
    n: int = Field(30, ge=1, le=100_000, description="Probes to send (use >= 100 in production)")
    interval_s: float = Field(0.2, ge=0, description="Pause between probes of this measurement")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra request headers")
    warn_p99_fraction: float = Field(0.5, gt=0, description="warn when p99 > this x probe_timeout_s")
    fail_trips_per_day: float = Field(1.0, gt=0, description="fail when predicted trips/day reach this")


@dataclass(frozen=True)
class Probe:
    latency_s: float
    status: int | None
    """None when no HTTP status came back (timeout or connection error)."""
    error: str | None
    failed: bool


def quantile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank quantile of an ascending list (the sample, not an interpolation)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def longest_run(flags: list[bool]) -> int:
    best = cur = 0
    for f in flags:
        cur = cur + 1 if f else 0
        best = max(best, cur)
    return best


def simulated_trips(flags: list[bool], failure_threshold: int, success_threshold: int) -> int:
    """Replay the probe state machine over the observed results: how often it would trip."""
    healthy, fails, oks, trips = True, 0, 0, 0
    for failed in flags:
        if failed:
            fails, oks = fails + 1, 0
            if healthy and fails >= failure_threshold:
                healthy, trips = False, trips + 1
        else:
            oks, fails = oks + 1, 0
            if not healthy and oks >= success_threshold:
                healthy = True
    return trips


@register_check
class HttpProbeFlapping(Check):
    name = "http_probe_flapping"
    title = "HTTP probe flapping: latency tail vs probe timeout"
    description = (
        "Sends n kubelet-like probes (fresh connection each) and compares the latency distribution "
        "with the configured probe timeout; predicts probe trips per day from the failure share. "
        "fail: every probe failed, a failure run >= failure_threshold, >= 1 predicted trip/day, or "
        "p99 > probe timeout. warn: p99 > 0.5 x timeout or any failure."
    )
    rules = ("R2",)
    Params = HttpProbeParams
    default_timeout_s = 30.0

    async def run(self, params: HttpProbeParams, ctx) -> Outcome:
        client_timeout = max(10.0, 5 * params.probe_timeout_s)
        headers = {"User-Agent": "kube-probe/1.29", "Connection": "close", "Accept": "*/*", **params.headers}
        probes: list[Probe] = []
        for i in range(params.n):
            if ctx.remaining() <= DECIDE_MARGIN_S * 2:
                break
            budget = min(client_timeout, ctx.remaining() - DECIDE_MARGIN_S)
            try:
                reply = await fetch(
                    ctx,
                    "GET",
                    params.url,
                    headers=headers,
                    timeout_s=budget,
                    truncate=True,
                    max_bytes=64 * 1024,
                    evidence=(i == 0),
                )
                latency = reply.elapsed_s
                probes.append(Probe(latency, reply.status, None, not reply.ok or latency > params.probe_timeout_s))
            except MeasureError as exc:
                timed_out = exc.message.startswith("no complete response")
                probes.append(Probe(budget if timed_out else 0.0, None, exc.message, True))
                if i == 0:
                    ctx.record("error", exc.message)
            ctx.progress((i + 1) / params.n, f"probe {i + 1}/{params.n}")
            if i + 1 < params.n and params.interval_s:
                await asyncio.sleep(min(params.interval_s, max(0.0, ctx.remaining() - DECIDE_MARGIN_S * 2)))
        return judge(params, probes, ctx)


def judge(params: HttpProbeParams, probes: list[Probe], ctx) -> Outcome:
    if not probes:
        raise MeasureError("no probe could be sent before the deadline")
    unreachable = [p for p in probes if p.error and not p.error.startswith("no complete response")]
    if len(unreachable) == len(probes):
        raise MeasureError(f"every probe failed to connect: {unreachable[-1].error}")
    timed = sorted(p.latency_s for p in probes if p.status is not None or (p.error and p.latency_s > 0))
    flags = [p.failed for p in probes]
    n = len(probes)
    p_fail = sum(flags) / n
    f = params.failure_threshold
    trips_day = 86400 / params.period_s * (1 - p_fail) * p_fail**f
    run = longest_run(flags)
    p50, p95, p99 = (quantile(timed, q) for q in (0.5, 0.95, 0.99))
    statuses: dict[str, int] = {}
    for p in probes:
        key = str(p.status) if p.status is not None else ("timeout" if p.latency_s else "error")
        statuses[key] = statuses.get(key, 0) + 1
    figures = {
        "p_fail": round(p_fail, 4),
        "p50_s": round(p50, 4),
        "p95_s": round(p95, 4),
        "p99_s": round(p99, 4),
        "max_s": round(timed[-1], 4) if timed else None,
        "longest_failure_run": run,
        "trips_per_day": round(trips_day, 3),
        "simulated_trips": simulated_trips(flags, f, params.success_threshold),
        "probes": n,
        "probes_planned": params.n,
        "statuses": ", ".join(f"{k}x{v}" for k, v in sorted(statuses.items())),
    }
    thresholds = {
        "probe_timeout_s": params.probe_timeout_s,
        "failure_threshold": f,
        "warn_p99_s": round(params.warn_p99_fraction * params.probe_timeout_s, 4),
        "fail_trips_per_day": params.fail_trips_per_day,
    }
    ctx.record("sample", "slowest probes: " + ", ".join(f"{v * 1000:.1f} ms" for v in timed[-5:][::-1]))
    ctx.record("sample", f"status counts: {figures['statuses']}")
    timeout = params.probe_timeout_s
    if p_fail == 1:
        verdict, why = Verdict.FAIL, f"every probe failed (p99 {p99:.3f}s vs timeout {timeout:g}s)"
    elif run >= f:
        verdict, why = Verdict.FAIL, f"{run} consecutive failures seen (threshold {f}): the probe trips"
    elif trips_day >= params.fail_trips_per_day:
        verdict, why = Verdict.FAIL, f"p={p_fail:.3f} predicts {trips_day:.1f} trips/day"
    elif p99 > timeout:
        verdict, why = Verdict.FAIL, f"p99 {p99:.3f}s exceeds the {timeout:g}s probe timeout"
    elif p99 > params.warn_p99_fraction * timeout:
        verdict, why = Verdict.WARN, f"p99 {p99:.3f}s is over {params.warn_p99_fraction:g}x the {timeout:g}s timeout"
    elif p_fail > 0:
        verdict, why = Verdict.WARN, f"{sum(flags)} of {n} probes failed ({trips_day:.2f} trips/day predicted)"
    else:
        verdict, why = Verdict.OK, f"p99 {p99 * 1000:.1f} ms well under the {timeout:g}s timeout, no failures"
    if verdict is not Verdict.OK:
        why += "; suggest timeout >= 2 x p99.9, failureThreshold >= 3, successThreshold >= 2 for readiness"
    return Outcome(verdict, f"{n} probes: {why}", figures=figures, thresholds=thresholds)
