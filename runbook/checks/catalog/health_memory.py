"""health_vs_memory (chapter-1 symptom): /health says 200 while the process nears its limit.

A health endpoint that only answers "I am running" stays green until the OOM killer strikes.
This check samples the service's own memory view (Go expvar ``/debug/vars`` memstats, or the
``go_memstats_*`` / ``process_resident_memory_bytes`` / ``container_memory_working_set_bytes``
metrics, or a local pid), compares what is resident with the memory limit (a parameter, the
cgroup of a local pid, or ``container_spec_memory_limit_bytes``), extrapolates heap growth
between samples to a time to the limit, and reads /health each time.

Resident means the container's working set or the process's RSS. Go's ``Sys`` is reserved
virtual memory, including heap already returned to the OS (``HeapReleased``): it overstates
what the OOM killer sees. Only expvar alone gives no RSS; then ``Sys - HeapReleased`` is the
estimate, and ``used_source`` says so. A /health that answers non-2xx sees the problem: the
probe is not blind, so that is never this check's fail.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.http import fetch
from runbook.checks.registry import register_check
from runbook.parsers.prom_select import select_sum


class HealthMemoryParams(CheckParams):
    health_url: str = Field(description="The health endpoint, e.g. http://svc:8080/health")
    vars_url: str | None = Field(None, description="Go expvar endpoint (/debug/vars) with memstats")
    metrics_url: str | None = Field(None, description="Prometheus /metrics with go_memstats_* and process_* series")
    memory_limit_bytes: int | None = Field(
        None, gt=0, description="The memory limit; else from pid's cgroup or metrics"
    )
    pid: int | None = Field(None, gt=0, description="Local pid: RSS and cgroup memory.max are read from /proc")
    samples: int = Field(2, ge=1, le=100, description="Memory samples to take")
    sample_gap_s: float = Field(1.0, ge=0, description="Seconds between samples")
    warn_usage: float = Field(0.8, gt=0, le=1, description="warn when usage reaches this share of the limit")
    fail_usage: float = Field(0.9, gt=0, le=1, description="fail (with /health 2xx) at this share of the limit")
    fail_time_to_limit_s: float = Field(300, gt=0, description="fail (with /health 2xx) when the limit is this near")
    warn_gc_per_s: float = Field(2.0, gt=0, description="warn above this many GCs per second")

    @model_validator(mode="after")
    def _a_memory_source(self) -> Self:
        if not (self.vars_url or self.metrics_url or self.pid):
            raise ValueError("give vars_url, metrics_url or pid: a source of memory figures")
        return self


@dataclass(frozen=True)
class MemSample:
    at: float
    health_status: int
    sys_bytes: float | None
    rss_bytes: float | None
    heap_bytes: float | None
    num_gc: float | None
    limit_from_metrics: float | None
    working_set_bytes: float | None = None
    """container_memory_working_set_bytes: what the kubelet and the OOM decisions look at."""
    heap_released_bytes: float | None = None

    @property
    def used_and_source(self) -> tuple[float, str]:
        """Resident memory and where it came from: working set, RSS, else Sys - HeapReleased."""
        if self.working_set_bytes is not None:
            return self.working_set_bytes, "container_memory_working_set_bytes"
        if self.rss_bytes is not None:
            return self.rss_bytes, "rss"
        if self.sys_bytes is not None:
            return self.sys_bytes - (self.heap_released_bytes or 0), "estimate: memstats Sys - HeapReleased (no RSS)"
        raise MeasureError("no memory figure (working set, RSS, Sys) in any source")

    @property
    def used(self) -> float:
        return self.used_and_source[0]


def cgroup_limit(pid: int) -> int | None:
    """memory.max (cgroup v2) or memory.limit_in_bytes (v1) of a local process; None = unlimited."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError as exc:
        raise MeasureError(f"cannot read the cgroup of pid {pid}: {exc.strerror}") from None
    for line in lines:
        hier, controllers, path = line.split(":", 2)
        if hier == "0" and controllers == "":
            files = [Path("/sys/fs/cgroup") / path.lstrip("/") / "memory.max"]
        elif "memory" in controllers.split(","):
            files = [Path("/sys/fs/cgroup/memory") / path.lstrip("/") / "memory.limit_in_bytes"]
        else:
            continue
        for f in files:
            try:
                text = f.read_text().strip()
            except OSError:
                continue
            if text != "max" and text.isdigit() and int(text) < 1 << 60:
                return int(text)
    return None


def _rss(pid: int) -> int:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        raise MeasureError(f"cannot read the memory of pid {pid} (no such process?)") from None
    import os

    return pages * os.sysconf("SC_PAGE_SIZE")


@register_check
class HealthVsMemory(Check[HealthMemoryParams]):
    name = "health_vs_memory"
    title = "Health endpoint vs memory near the limit"
    description = (
        "Reads /health and the process's memory (expvar memstats, go_memstats/process metrics, or a "
        "local pid) against the memory limit; usage is the working set or RSS (Go's Sys includes "
        "released heap). fail: /health is 2xx while usage >= 90% of the limit or heap growth reaches "
        "the limit within 300 s; warn: usage >= 80%, > 2 GCs/s, or /health non-2xx (the probe sees "
        "the problem: not health-blind, figure health_blind=false); ok otherwise."
    )
    rules = ("R2",)
    Params = HealthMemoryParams
    default_timeout_s = 15.0

    async def run(self, params: HealthMemoryParams, ctx: CheckContext) -> Outcome:
        samples: list[MemSample] = []
        bodies: list[str] = []
        for i in range(params.samples):
            samples.append(await _sample(params, ctx, evidence=(i == 0), bodies=bodies))
            ctx.progress((i + 1) / params.samples, f"memory sample {i + 1} of {params.samples}")
            if i + 1 < params.samples:
                if ctx.remaining() < params.sample_gap_s + 0.5:
                    break  # judge on what we have rather than run into the deadline
                await asyncio.sleep(params.sample_gap_s)
        limit = params.memory_limit_bytes
        source = "param"
        if limit is None and params.pid:
            limit, source = cgroup_limit(params.pid), "cgroup"
        if limit is None and samples[-1].limit_from_metrics:
            limit, source = int(samples[-1].limit_from_metrics), "container_spec_memory_limit_bytes"
        if not limit:
            raise MeasureError(
                "no memory limit known: give memory_limit_bytes (the cgroup says unlimited or is unreadable)"
            )
        outcome = judge(params, samples, int(limit), source)
        ctx.record("health_vs_memory", _side_by_side(params, samples[-1], bodies[-1], outcome), deciding=True)
        return outcome


def _side_by_side(params: HealthMemoryParams, last: MemSample, body: str, outcome: Outcome) -> str:
    """The last /health answer (status and body) next to the memory figures it was judged against:
    a 200 beside 95% of the limit is the whole finding."""
    f = outcome.figures
    used, limit = f.get("used_bytes"), f.get("limit_bytes")
    usage = f.get("usage")
    lines = [
        f"GET {params.health_url} -> HTTP {last.health_status}",
        f"  body: {body.strip()[:200] or '(empty)'}",
        f"memory: {_mb(float(used)) if isinstance(used, int | float) else '?'} ({f.get('used_source')}) "
        f"of limit {_mb(float(limit)) if isinstance(limit, int | float) else '?'} ({f.get('limit_source')})"
        + (f" = {usage:.0%}" if isinstance(usage, float) else ""),
        f"  Sys={_mb(last.sys_bytes)} RSS={_mb(last.rss_bytes)} HeapAlloc={_mb(last.heap_bytes)} NumGC={last.num_gc}",
        f"  heap growth {f.get('heap_growth_bytes_per_s')} B/s, time to limit {f.get('time_to_limit_s')} s, "
        f"GC {f.get('gc_per_s')}/s over {f.get('samples')} samples",
    ]
    return "\n".join(lines)


async def _sample(
    params: HealthMemoryParams, ctx: CheckContext, *, evidence: bool, bodies: list[str] | None = None
) -> MemSample:
    health = await fetch(ctx, "GET", params.health_url, truncate=True, max_bytes=64 * 1024, evidence=evidence)
    if bodies is not None:
        bodies.append(health.text()[:400])
    sys_b = heap = gc = rss = limit_m = wss = released = None
    if params.vars_url:
        data = (await fetch(ctx, "GET", params.vars_url, evidence=evidence)).json()
        mem = data.get("memstats") if isinstance(data, dict) else None
        if not isinstance(mem, dict):
            raise MeasureError(f"{params.vars_url} has no memstats object (not a Go expvar endpoint?)")
        sys_b, heap, gc, released = (_num(mem.get(k)) for k in ("Sys", "HeapAlloc", "NumGC", "HeapReleased"))
    if params.metrics_url:
        page = (await fetch(ctx, "GET", params.metrics_url, evidence=evidence)).text()
        sys_b = sys_b if sys_b is not None else select_sum(page, "go_memstats_sys_bytes")
        heap = heap if heap is not None else select_sum(page, "go_memstats_heap_alloc_bytes")
        gc = gc if gc is not None else select_sum(page, "go_gc_duration_seconds_count")
        released = released if released is not None else select_sum(page, "go_memstats_heap_released_bytes")
        rss = select_sum(page, "process_resident_memory_bytes")
        wss = select_sum(page, "container_memory_working_set_bytes")
        limit_m = select_sum(page, "container_spec_memory_limit_bytes")
    if params.pid:
        rss = _rss(params.pid)
    s = MemSample(time.monotonic(), health.status, sys_b, rss, heap, gc, limit_m, wss, released)
    ctx.record(
        "sample",
        f"health HTTP {s.health_status}; Sys={_mb(s.sys_bytes)} RSS={_mb(s.rss_bytes)} "
        f"HeapAlloc={_mb(s.heap_bytes)} NumGC={s.num_gc}",
    )
    return s


def judge(params: HealthMemoryParams, samples: list[MemSample], limit: int, source: str) -> Outcome:
    first, last = samples[0], samples[-1]
    used, used_source = last.used_and_source
    usage = used / limit
    dt = last.at - first.at
    growth = None
    if dt > 0 and first.heap_bytes is not None and last.heap_bytes is not None:
        growth = (last.heap_bytes - first.heap_bytes) / dt
    ttl = (limit - used) / growth if growth and growth > 0 else None
    gc_rate = (
        (last.num_gc - first.num_gc) / dt if dt > 0 and first.num_gc is not None and last.num_gc is not None else None
    )
    healthy = 200 <= last.health_status < 300
    figures: dict[str, Figure] = {
        "usage": round(usage, 4),
        "used_bytes": int(used),
        "used_source": used_source,
        "sys_bytes": int(last.sys_bytes) if last.sys_bytes is not None else None,
        "limit_bytes": limit,
        "limit_source": source,
        "health_status": last.health_status,
        "health_blind": None,
        "heap_alloc_bytes": int(last.heap_bytes) if last.heap_bytes is not None else None,
        "heap_growth_bytes_per_s": round(growth, 1) if growth is not None else None,
        "time_to_limit_s": round(ttl, 1) if ttl is not None else None,
        "gc_per_s": round(gc_rate, 3) if gc_rate is not None else None,
        "samples": len(samples),
    }
    thresholds = {
        "warn_usage": params.warn_usage,
        "fail_usage": params.fail_usage,
        "fail_time_to_limit_s": params.fail_time_to_limit_s,
        "warn_gc_per_s": params.warn_gc_per_s,
    }
    state = f"memory {_mb(used)} of {_mb(limit)} ({usage:.0%})"
    if healthy and usage >= params.fail_usage:
        verdict, why = (
            Verdict.FAIL,
            f"/health answers {last.health_status} while {state}: the probe will not see the OOM coming",
        )
    elif healthy and ttl is not None and ttl < params.fail_time_to_limit_s:
        verdict, why = (
            Verdict.FAIL,
            f"/health answers {last.health_status} while heap grows {_mb(growth)}/s: limit in ~{ttl:.0f}s ({state})",
        )
    elif not healthy:
        # a red /health means the probe sees the trouble: not the health-blind failure mode
        verdict, why = (
            Verdict.WARN,
            f"/health answers {last.health_status}: the probe sees the problem, it is not health-blind ({state})",
        )
    elif usage >= params.warn_usage:
        verdict, why = Verdict.WARN, f"{state}, /health still {last.health_status}"
    elif gc_rate is not None and gc_rate > params.warn_gc_per_s:
        verdict, why = Verdict.WARN, f"{gc_rate:.1f} GCs/s: memory pressure ({state})"
    else:
        verdict, why = Verdict.OK, f"{state}, /health {last.health_status}"
    figures["health_blind"] = verdict is Verdict.FAIL if healthy else False
    return Outcome(verdict, why, figures=figures, thresholds=thresholds)


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _mb(value: float | None) -> str:
    return "?" if value is None else f"{value / 1e6:.1f} MB"
