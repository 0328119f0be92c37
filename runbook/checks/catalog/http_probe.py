"""http_probe_flapping (R2): would a liveness/readiness probe with this timeout flap?

A probe with a hard-coded timeout trips when the endpoint's latency tail (GC pauses, cold
starts, jitter) reaches it. This check probes the endpoint the way the kubelet does (a fresh
connection per probe, ``Connection: close``, a ``kube-probe`` User-Agent) with a client
timeout well above the probe timeout, so the tail is measured instead of cut off. From the
failure share p it predicts trips per day, 86400/period x (1-p) x p^F, and replays the
probe state machine (F failures to trip, S successes to recover) over the samples.

Failures come in two kinds that lead to different places. A latency failure (slower than
the probe timeout, or no answer) is R2's mode: the timeout is too tight for the tail. A
status failure (a non-2xx answer or a refused connection, within the timeout) means the
probe is right and the service is unhealthy: no timeout change would help. The verdict's R2
figures count latency failures only; ``failure_kind`` tells the playbook which kind it saw.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from pydantic import Field

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
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
    kind: str | None = None
    """``latency`` (too slow or no answer in time), ``status`` (a fast non-2xx or refused), None: ok."""


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
class HttpProbeFlapping(Check[HttpProbeParams]):
    name = "http_probe_flapping"
    title = "HTTP probe flapping: latency tail vs probe timeout"
    description = (
        "Sends n kubelet-like probes (fresh connection each) and compares the latency distribution "
        "with the configured probe timeout; predicts probe trips per day from the failure share. "
        "Latency failures (slower than the timeout) are R2's; status failures (a fast non-2xx) mean "
        "the probe is right and the service unhealthy (figure failure_kind: none/latency/status/mixed). "
        "fail: every probe too slow, a latency-failure run >= failure_threshold, >= 1 predicted trip/day "
        "from latency failures, or p99 > probe timeout. warn: p99 > 0.5 x timeout, any latency failure, "
        "or any status failure (the service, not the timeout)."
    )
    rules = ("R2",)
    Params = HttpProbeParams
    default_timeout_s = 30.0

    async def run(self, params: HttpProbeParams, ctx: CheckContext) -> Outcome:
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
                kind = "latency" if latency > params.probe_timeout_s else None if reply.ok else "status"
                probes.append(Probe(latency, reply.status, None, kind is not None, kind))
            except MeasureError as exc:
                timed_out = exc.message.startswith("no complete response")
                probes.append(
                    Probe(budget if timed_out else 0.0, None, exc.message, True, "latency" if timed_out else "status")
                )
                if i == 0:
                    ctx.record("error", exc.message)
            ctx.progress((i + 1) / params.n, f"probe {i + 1} of {params.n}")
            if i + 1 < params.n and params.interval_s:
                await asyncio.sleep(min(params.interval_s, max(0.0, ctx.remaining() - DECIDE_MARGIN_S * 2)))
        return judge(params, probes, ctx)


def _probe_sequence(params: HttpProbeParams, probes: list[Probe], limit: int = 40) -> str:
    """Every probe in the order sent, as the kubelet would have seen it: latency, status, and
    whether it counts as a failure; runs of failures against failureThreshold show at a glance."""
    lines = [
        f"GET {params.url}: {len(probes)} probes, timeoutSeconds {params.probe_timeout_s:g}, "
        f"failureThreshold {params.failure_threshold}"
    ]
    for i, p in enumerate(probes[:limit], 1):
        status = str(p.status) if p.status is not None else (p.error or "no answer")[:80]
        mark = f"  FAILED ({p.kind})" if p.failed else ""
        lines.append(f"  {i:>2}: {p.latency_s * 1000:8.1f} ms  {status}{mark}")
    if len(probes) > limit:
        lines.append(f"  ... {len(probes) - limit} more")
    return "\n".join(lines)


def judge(params: HttpProbeParams, probes: list[Probe], ctx: CheckContext) -> Outcome:
    if not probes:
        raise MeasureError("no probe could be sent before the deadline")
    unreachable = [p for p in probes if p.error and not p.error.startswith("no complete response")]
    if len(unreachable) == len(probes):
        raise MeasureError(f"every probe failed to connect: {unreachable[-1].error}")
    timed = sorted(p.latency_s for p in probes if p.status is not None or (p.error and p.latency_s > 0))
    flags = [p.failed for p in probes]
    slow = [p.kind == "latency" for p in probes]
    n = len(probes)
    p_fail = sum(flags) / n
    p_slow = sum(slow) / n
    n_status = sum(p.kind == "status" for p in probes)
    f = params.failure_threshold
    trips_day = 86400 / params.period_s * (1 - p_fail) * p_fail**f
    slow_trips_day = 86400 / params.period_s * (1 - p_slow) * p_slow**f
    run, slow_run = longest_run(flags), longest_run(slow)
    p50, p95, p99 = (quantile(timed, q) for q in (0.5, 0.95, 0.99))
    statuses: dict[str, int] = {}
    for p in probes:
        key = str(p.status) if p.status is not None else ("timeout" if p.latency_s else "error")
        statuses[key] = statuses.get(key, 0) + 1
    kind = {(False, False): "none", (True, False): "latency", (False, True): "status"}.get(
        (sum(slow) > 0, n_status > 0), "mixed"
    )
    figures: dict[str, Figure] = {
        "p_fail": round(p_fail, 4),
        "p50_s": round(p50, 4),
        "p95_s": round(p95, 4),
        "p99_s": round(p99, 4),
        "max_s": round(timed[-1], 4) if timed else None,
        "failure_kind": kind,
        "latency_failures": sum(slow),
        "status_failures": n_status,
        "longest_failure_run": run,
        "longest_latency_failure_run": slow_run,
        "trips_per_day": round(trips_day, 3),
        "latency_trips_per_day": round(slow_trips_day, 3),
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
    ctx.record("probes", _probe_sequence(params, probes), deciding=True)
    ctx.record("sample", "slowest probes: " + ", ".join(f"{v * 1000:.1f} ms" for v in timed[-5:][::-1]))
    ctx.record("sample", f"status counts: {figures['statuses']}")
    timeout = params.probe_timeout_s
    unhealthy = (
        f"{n_status} of {n} probes answered {_non_2xx(statuses)} within the timeout: the probe is right, "
        "the service is unhealthy (not the timeout)"
    )
    # R2's verdict rests on latency failures only: a fast 503 is not a timeout that is too tight
    if p_slow == 1:
        verdict, why = Verdict.FAIL, f"every probe failed, too slow (p99 {p99:.3f}s vs timeout {timeout:g}s)"
    elif slow_run >= f:
        verdict, why = Verdict.FAIL, f"{slow_run} consecutive too-slow probes seen (threshold {f}): the probe trips"
    elif slow_trips_day >= params.fail_trips_per_day:
        verdict, why = Verdict.FAIL, f"p={p_slow:.3f} too-slow probes predicts {slow_trips_day:.1f} trips/day"
    elif p99 > timeout:
        verdict, why = Verdict.FAIL, f"p99 {p99:.3f}s exceeds the {timeout:g}s probe timeout"
    elif p99 > params.warn_p99_fraction * timeout:
        verdict, why = Verdict.WARN, f"p99 {p99:.3f}s is over {params.warn_p99_fraction:g}x the {timeout:g}s timeout"
    elif p_slow > 0:
        verdict, why = (
            Verdict.WARN,
            f"{sum(slow)} of {n} probes too slow ({slow_trips_day:.2f} trips/day predicted)",
        )
    elif n_status:
        verdict, why = Verdict.WARN, f"{unhealthy}; p99 {p99 * 1000:.1f} ms"
    else:
        verdict, why = Verdict.OK, f"p99 {p99 * 1000:.1f} ms well under the {timeout:g}s timeout, no failures"
    if verdict is not Verdict.OK and kind != "status":
        why += "; suggest timeout >= 2 x p99.9, failureThreshold >= 3, successThreshold >= 2 for readiness"
        if n_status:
            why += f"; also {unhealthy}"
    return Outcome(verdict, f"{n} probes: {why}", figures=figures, thresholds=thresholds)


def _non_2xx(statuses: dict[str, int]) -> str:
    """``HTTP 503x30`` style list of the failing answers (refused connections count as ``error``)."""
    bad = [f"{k}x{v}" for k, v in sorted(statuses.items()) if not k.startswith("2") and k != "timeout"]
    return "HTTP " + ", ".join(bad) if bad else "errors"
