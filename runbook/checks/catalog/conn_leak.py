"""Connection leak (R5): sockets stuck in CLOSE_WAIT and file descriptors running out.

CLOSE_WAIT means the peer closed and our process never did: a connection taken from a pool
(the postmortem's ``sync.Pool`` of ``net.Conn``) and dropped without ``Close()``. They pile up
until the process hits RLIMIT_NOFILE and every new dial fails. This check samples either a
local process (psutil: socket states, remote peers, open fds vs the soft limit) or a metrics
page (node_exporter ``node_tcp_connection_states``, ``process_open_fds``/``process_max_fds``,
or ``node_filefd_allocated``/``node_filefd_maximum``) several times and judges the level and
the trend.

On node_exporter's page ``process_open_fds`` is node_exporter's own process and
``node_filefd_*`` counts the whole host: neither is the leaking client's. There the fd part is
``unknown`` (said in the summary and ``fd_source``) unless a ``pid`` or the client's own
``/metrics`` (``fd_metrics_url``) is given; the host-wide figures are kept as context only.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Self

import psutil
from pydantic import Field, model_validator

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.http import fetch
from runbook.checks.registry import register_check
from runbook.parsers.prom_select import select_sum


@dataclass(frozen=True)
class ConnSample:
    close_wait: int | None
    fds: int | None
    fd_limit: int | None
    states: dict[str, int] = field(default_factory=dict)
    peers: tuple[tuple[str, int], ...] = ()
    """Top remote peers of CLOSE_WAIT sockets (``ip:port``, count)."""
    fd_source: str = "pid"
    """Whose fds ``fds`` counts: ``pid``, ``metrics`` (the client's page), or ``unknown: <why>``."""
    host_fds: tuple[int | None, int | None] = (None, None)
    """node_filefd_allocated / node_filefd_maximum: the whole host, context only."""


@register_check
class ConnectionLeak(Check["ConnectionLeak.Params"]):
    name = "connection_leak"
    title = "Connection leak (CLOSE_WAIT, fd usage)"
    description = (
        "Samples socket states and fd usage of a local pid (psutil) or from node_exporter / "
        "process metrics. fail: CLOSE_WAIT >= 100, CLOSE_WAIT rising in every sample, or fds >= "
        "0.8 x limit; warn: CLOSE_WAIT >= 10 or fds >= 0.5 x limit; ok otherwise. On node_exporter "
        "the fd part is unknown (its process_open_fds is its own) unless fd_metrics_url gives the "
        "client's own /metrics."
    )
    rules = ("R5",)
    default_timeout_s = 45.0

    class Params(CheckParams):
        pid: int | None = Field(None, ge=1)
        """A process on this host, in this network namespace."""
        metrics_url: str | None = None
        """node_exporter (``--collector.tcpstat``) or a service's /metrics with process_* fds."""
        fd_metrics_url: str | None = None
        """With node_exporter as ``metrics_url``: the client's own /metrics for its fds."""
        samples: int = Field(3, ge=1, le=20)
        interval_s: float = Field(15.0, ge=0)
        fail_close_wait: int = Field(100, ge=1)
        warn_close_wait: int = Field(10, ge=1)
        fail_fd_ratio: float = Field(0.8, gt=0, le=1)
        warn_fd_ratio: float = Field(0.5, gt=0, le=1)

        @model_validator(mode="after")
        def _one_source(self) -> Self:
            if (self.pid is None) == (self.metrics_url is None):
                raise ValueError("give exactly one of pid or metrics_url")
            if self.fd_metrics_url and not self.metrics_url:
                raise ValueError("fd_metrics_url goes with metrics_url (node_exporter)")
            return self

    async def run(self, params: Params, ctx: CheckContext) -> Outcome:
        samples: list[ConnSample] = []
        for i in range(params.samples):
            if i:
                if ctx.remaining() < params.interval_s + 0.5:
                    ctx.record("note", f"stopped after {i} samples: deadline too close")
                    break
                await asyncio.sleep(params.interval_s)
            if params.pid is not None:
                s = await asyncio.to_thread(sample_pid, params.pid)
            else:
                s = await sample_metrics(ctx, params.metrics_url or "", params.fd_metrics_url)
            samples.append(s)
            peers = ", ".join(f"{p} x{n}" for p, n in s.peers[:5])
            ctx.record(
                "sample",
                f"sample {i + 1}: CLOSE_WAIT={s.close_wait} fds={s.fds}/{s.fd_limit} "
                f"states={s.states} {('peers: ' + peers) if peers else ''}".rstrip(),
            )
            ctx.progress((i + 1) / params.samples, f"sample {i + 1} of {params.samples}")
        if samples:
            ctx.record("samples", _trend(params, samples), deciding=True)
        return _decide(params, samples)


def _trend(params: ConnectionLeak.Params, samples: list[ConnSample]) -> str:
    """CLOSE_WAIT and fds sample by sample against the thresholds, and the peers holding the
    CLOSE_WAIT sockets: a rise in every sample or a count over the line is visible at once."""
    last = samples[-1]
    fds = ", ".join(f"{s.fds}/{s.fd_limit}" if s.fd_limit else str(s.fds) for s in samples)
    lines = [
        f"CLOSE_WAIT per sample: {', '.join(str(s.close_wait) for s in samples)} "
        f"(warn {params.warn_close_wait}, fail {params.fail_close_wait})",
        f"fds per sample: {fds} (warn {params.warn_fd_ratio:.0%}, fail {params.fail_fd_ratio:.0%} of the limit)",
        f"states in the last sample: {last.states}",
    ]
    if last.peers:
        lines.append("CLOSE_WAIT peers: " + ", ".join(f"{peer} x{n}" for peer, n in last.peers))
    return "\n".join(lines)


def sample_pid(pid: int) -> ConnSample:
    """One psutil sample (blocking: run it in a thread)."""
    try:
        proc = psutil.Process(pid)
        conns = proc.net_connections(kind="tcp") if hasattr(proc, "net_connections") else proc.connections(kind="tcp")
        fds = proc.num_fds()
        soft, _hard = proc.rlimit(psutil.RLIMIT_NOFILE)
    except psutil.NoSuchProcess:
        raise MeasureError(f"no process with pid {pid}") from None
    except psutil.AccessDenied:
        raise MeasureError(f"not allowed to inspect pid {pid} (run as its user or root)") from None
    states = Counter({"ESTABLISHED": 0, "CLOSE_WAIT": 0})
    states.update(c.status for c in conns)
    peers = Counter(f"{c.raddr.ip}:{c.raddr.port}" for c in conns if c.status == "CLOSE_WAIT" and c.raddr)
    return ConnSample(
        states.get("CLOSE_WAIT", 0),
        fds,
        soft if soft > 0 else None,
        dict(sorted(states.items())),
        tuple(peers.most_common(5)),
    )


#: The fd part on node_exporter without the client's own page.
NODE_EXPORTER_FDS = (
    "unknown: node_exporter's process_open_fds is its own process and node_filefd_* the whole host; "
    "give pid or the client's /metrics as fd_metrics_url"
)


async def _page(ctx: CheckContext, url: str) -> tuple[str, str]:
    reply = await fetch(ctx, "GET", url, timeout_s=5.0, evidence=False)
    if reply.status != 200:
        raise MeasureError(f"{reply.url} answered HTTP {reply.status}")
    return reply.url, reply.text()


def is_node_exporter(page: str) -> bool:
    """node_exporter's page: its build info, or any node_* family (collectors vary)."""
    return "node_exporter_build_info" in page or "# TYPE node_" in page


async def sample_metrics(ctx: CheckContext, url: str, fd_url: str | None = None) -> ConnSample:
    reply_url, page = await _page(ctx, url)
    states = {}
    # node_exporter's tcpstat only emits states that have sockets: when the family is there,
    # a missing state means zero
    has_tcpstat = "# TYPE node_tcp_connection_states" in page
    for st in ("established", "close_wait", "time_wait", "fin_wait1", "fin_wait2", "last_ack", "listen"):
        v = select_sum(page, f'node_tcp_connection_states{{state="{st}"}}')
        if v is not None or has_tcpstat:
            states[st.upper()] = int(v or 0)
    host = select_sum(page, "node_filefd_allocated"), select_sum(page, "node_filefd_maximum")
    host_fds = (int(host[0]) if host[0] is not None else None, int(host[1]) if host[1] is not None else None)
    close_wait = states.get("CLOSE_WAIT")
    fd_page, fd_source = page, "metrics"
    if fd_url:
        fd_page = (await _page(ctx, fd_url))[1]
    elif is_node_exporter(page):
        fd_page, fd_source = "", NODE_EXPORTER_FDS
    fds = select_sum(fd_page, "process_open_fds") if fd_page else None
    limit = select_sum(fd_page, "process_max_fds") if fd_page else None
    if fds is None and fd_source == "metrics":
        fd_source = "unknown: no process_open_fds on the page"
    if close_wait is None and fds is None:
        raise MeasureError(
            f"{reply_url} has neither node_tcp_connection_states nor the client's process fd metrics "
            "(enable node_exporter --collector.tcpstat, or give the client's /metrics)"
        )
    return ConnSample(
        close_wait,
        int(fds) if fds is not None else None,
        int(limit) if limit and limit > 0 else None,
        states,
        fd_source=fd_source,
        host_fds=host_fds,
    )


def _decide(params: ConnectionLeak.Params, samples: list[ConnSample]) -> Outcome:
    last = samples[-1]
    cw = [s.close_wait for s in samples if s.close_wait is not None]
    rising = len(cw) >= 2 and all(b > a for a, b in itertools.pairwise(cw))
    ratio = last.fds / last.fd_limit if last.fds is not None and last.fd_limit else None
    figures: dict[str, Figure] = {
        "close_wait": last.close_wait,
        "close_wait_max": max(cw) if cw else None,
        "close_wait_series": ",".join(str(c) for c in cw),
        "close_wait_rising": rising,
        "fds": last.fds,
        "fd_limit": last.fd_limit,
        "fd_ratio": round(ratio, 3) if ratio is not None else None,
        "fd_source": last.fd_source,
        "host_fds_allocated": last.host_fds[0],
        "host_fd_maximum": last.host_fds[1],
        "established": last.states.get("ESTABLISHED"),
        "samples": len(samples),
        "top_peer": f"{last.peers[0][0]} x{last.peers[0][1]}" if last.peers else None,
    }
    thresholds = {
        "fail_close_wait": params.fail_close_wait,
        "warn_close_wait": params.warn_close_wait,
        "fail_fd_ratio": params.fail_fd_ratio,
        "warn_fd_ratio": params.warn_fd_ratio,
    }
    fail: list[str] = []
    warn: list[str] = []
    peak = max(cw) if cw else 0
    if peak >= params.fail_close_wait:
        fail.append(f"{peak} sockets in CLOSE_WAIT (>= {params.fail_close_wait})")
    elif rising:
        fail.append(f"CLOSE_WAIT rising in every sample ({figures['close_wait_series']})")
    elif peak >= params.warn_close_wait:
        warn.append(f"{peak} sockets in CLOSE_WAIT (>= {params.warn_close_wait})")
    if ratio is not None and ratio >= params.fail_fd_ratio:
        fail.append(f"{last.fds} of {last.fd_limit} fds in use")
    elif ratio is not None and ratio >= params.warn_fd_ratio:
        warn.append(f"{last.fds} of {last.fd_limit} fds in use")
    if last.peers and (fail or warn):
        warn.append(f"top CLOSE_WAIT peer {figures['top_peer']}")
    fd_part = f"fds {last.fds}/{last.fd_limit}" if last.fds is not None else "fds unknown"
    head = f"CLOSE_WAIT {figures['close_wait_series'] or 'n/a'}, {fd_part}"
    if last.fds is None and last.fd_source.startswith("unknown: node_exporter"):
        head += " (node_exporter's process_open_fds is its own: give pid or fd_metrics_url)"
    if fail:
        return Outcome(Verdict.FAIL, f"{head}: " + "; ".join(fail + warn), figures, thresholds)
    if warn:
        return Outcome(Verdict.WARN, f"{head}: " + "; ".join(warn), figures, thresholds)
    return Outcome(Verdict.OK, f"{head}: no leak seen", figures, thresholds)
