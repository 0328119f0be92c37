"""otel_orphan_spans (C9, R9): does a trace survive the trip through every service?

When one hop loses the context (a client that bypasses the SDK, a span never ended so never
exported, a header dropped by a proxy), the tracing UI shows broken traces: spans whose parent
does not exist (orphans) and downstream spans starting brand-new traces. This check sends
requests with a fresh W3C ``traceparent`` each, waits for the spans to be exported, asks a
Jaeger-compatible query API for each trace, and reports missing traces, orphan spans and new
root traces of the downstream service inside the request window.

Only orphan spans in our own traces are evidence of R9's failure mode (``fail``). Every trace
missing looks the same as head sampling, a dead collector or storage lag: ``unknown``. Some
missing, or new root traces of the downstream service during the requests (which other
traffic also produces), are ``warn``.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from runbook.checks.base import Check, CheckContext, CheckParams, MeasureError, Outcome, Verdict
from runbook.checks.http import fetch
from runbook.checks.registry import register_check


def _id(text: object) -> int | None:
    """Jaeger prints trace IDs without leading zeros; compare IDs as numbers."""
    try:
        return int(str(text), 16)
    except ValueError:
        return None


@dataclass(frozen=True)
class TraceFindings:
    trace_id: str
    spans: int
    orphans: tuple[str, ...]
    """``operation (service)`` of spans whose CHILD_OF parent is neither in the trace nor injected."""
    services: tuple[str, ...]
    children_of_injected: int


def analyse_trace(trace: dict[str, Any], injected_parent: str) -> TraceFindings:
    """Find orphans in one Jaeger trace object (``data[0]`` of ``/api/traces/{id}``)."""
    spans = trace.get("spans")
    if not isinstance(spans, list):
        raise MeasureError("trace without a 'spans' list")
    processes = trace.get("processes") if isinstance(trace.get("processes"), dict) else {}
    ids = {_id(s.get("spanID")) for s in spans if isinstance(s, dict)}
    injected = _id(injected_parent)
    orphans, services, children = [], set(), 0
    for s in spans:
        if not isinstance(s, dict):
            raise MeasureError(f"span is not an object: {str(s)[:80]}")
        proc = processes.get(s.get("processID"), {}) if isinstance(processes, dict) else {}
        service = proc.get("serviceName", "?") if isinstance(proc, dict) else "?"
        services.add(service)
        for ref in s.get("references") or ():
            if not isinstance(ref, dict) or ref.get("refType") != "CHILD_OF":
                continue
            parent = _id(ref.get("spanID"))
            if parent == injected:
                children += 1
            elif parent not in ids:
                orphans.append(f"{s.get('operationName', '?')} ({service}) -> missing parent {ref.get('spanID')}")
    return TraceFindings(str(trace.get("traceID", "")), len(spans), tuple(orphans), tuple(sorted(services)), children)


class OtelParams(CheckParams):
    entry_url: str = Field(description="The entry point to send traced requests to")
    tracing_api: str = Field(description="Jaeger query base URL, e.g. http://jaeger:16686")
    service: str | None = Field(None, description="A downstream service: look for new root traces of it")
    n: int = Field(5, ge=1, le=100, description="Traced requests to send")
    wait_s: float = Field(10.0, ge=0, description="Longest wait for spans to be exported (SDK batch delay ~5 s)")
    poll_s: float = Field(0.5, gt=0, description="Query interval while waiting")
    expected_min_spans: int = Field(2, ge=1, description="warn when a trace has fewer spans")


def _per_trace(
    params: OtelParams, sent: list[tuple[str, str]], found: dict[str, TraceFindings], new_roots: list[str]
) -> str:
    """Each injected trace and what the tracing backend holds for it (spans, services, children of
    the injected parent, orphans), then roots that began meanwhile: a broken hop shows as a trace
    that stops, or a new root."""
    lines = [f"{len(sent)} request(s) with injected traceparent, looked up at {params.tracing_api}:"]
    for tid, _parent in sent[:10]:
        f = found.get(tid)
        if f is None:
            lines.append(f"  trace {tid}: not found")
            continue
        orphans = ", ".join(f.orphans) if f.orphans else "none"
        lines.append(
            f"  trace {tid}: {f.spans} span(s) from {', '.join(f.services) or '?'}; "
            f"{f.children_of_injected} child(ren) of the injected parent; orphans: {orphans}"
        )
    lines += [f"  new root meanwhile: {r}" for r in new_roots[:5]]
    return "\n".join(lines)


@register_check
class OtelOrphanSpans(Check[OtelParams]):
    name = "otel_orphan_spans"
    title = "Trace propagation: orphan spans"
    description = (
        "Sends requests with a fresh W3C traceparent, queries /api/traces/{id} on a Jaeger-"
        "compatible API: fail when our traces have orphan spans; warn when some traces are missing, "
        "the downstream service starts new root traces in the window (other traffic does too) or a "
        "trace has fewer spans than expected; unknown when every trace is missing (sampling, a dead "
        "collector, storage lag look the same)."
    )
    rules = ("R9",)
    Params = OtelParams
    default_timeout_s = 30.0

    async def run(self, params: OtelParams, ctx: CheckContext) -> Outcome:
        api = params.tracing_api.rstrip("/")
        sent: list[tuple[str, str]] = []
        start_us = int(time.time() * 1e6)
        for _ in range(params.n):
            tid, pid = secrets.token_hex(16), secrets.token_hex(8)
            reply = await fetch(
                ctx, "GET", params.entry_url, headers={"traceparent": f"00-{tid}-{pid}-01"}, evidence=len(sent) == 0
            )
            if not reply.ok:
                raise MeasureError(f"entry {reply.url} answered HTTP {reply.status}; no trace to follow")
            sent.append((tid, pid))
        end_us = int(time.time() * 1e6)
        found: dict[str, TraceFindings] = {}
        stop = time.monotonic() + min(params.wait_s, max(0.0, ctx.remaining() - 1.0))
        while True:
            for tid, pid in sent:
                if tid in found and self._settled(found[tid], params):
                    continue
                reply = await fetch(ctx, "GET", f"{api}/api/traces/{tid}", evidence=False)
                if reply.status == 404:
                    continue
                body = reply.json()
                data = body.get("data") if isinstance(body, dict) else None
                if reply.status != 200 or not isinstance(data, list):
                    raise MeasureError(
                        f"{reply.url} is not a Jaeger trace API (HTTP {reply.status}): {reply.text()[:160]!r}"
                    )
                if data:
                    found[tid] = analyse_trace(data[0], pid)
            # an orphan may only mean its parent is still in the exporter's batch: keep asking
            complete = all(t in found and self._settled(found[t], params) for t, _ in sent)
            if complete or time.monotonic() >= stop:
                break
            await asyncio.sleep(params.poll_s)
        new_roots = await self._new_roots(ctx, api, params.service, start_us, end_us, {t for t, _ in sent})
        return self._judge(params, sent, found, new_roots, ctx)

    @staticmethod
    def _settled(f: TraceFindings, params: OtelParams) -> bool:
        return f.spans >= params.expected_min_spans and not f.orphans

    async def _new_roots(
        self, ctx: CheckContext, api: str, service: str | None, start_us: int, end_us: int, ours: set[str]
    ) -> list[str]:
        """Traces of ``service`` that began inside our request window but are not ours."""
        if not service:
            return []
        reply = await fetch(
            ctx,
            "GET",
            f"{api}/api/traces",
            params={"service": service, "start": start_us - 1000, "end": end_us + 1000, "limit": 100},
            evidence=False,
        )
        body = reply.json()
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise MeasureError(f"{reply.url}: no trace list in the search answer")
        mine = {_id(t) for t in ours}
        roots = []
        for trace in data:
            if isinstance(trace, dict) and _id(trace.get("traceID")) not in mine:
                for s in trace.get("spans") or ():
                    if isinstance(s, dict) and not s.get("references"):
                        roots.append(f"{s.get('operationName', '?')} in trace {trace.get('traceID')}")
        return roots

    def _judge(
        self,
        params: OtelParams,
        sent: list[tuple[str, str]],
        found: dict[str, TraceFindings],
        new_roots: list[str],
        ctx: CheckContext,
    ) -> Outcome:
        missing = [t for t, _ in sent if t not in found]
        orphans = [o for f in found.values() for o in f.orphans]
        short = [f for f in found.values() if f.spans < params.expected_min_spans]
        for f in list(found.values())[:3]:
            ctx.record(
                "sample",
                f"trace {f.trace_id}: {f.spans} spans from {', '.join(f.services)}; "
                f"{f.children_of_injected} child(ren) of the injected parent; orphans: {list(f.orphans) or 'none'}",
            )
        for t in missing[:3]:
            ctx.record("sample", f"trace {t}: not found at {params.tracing_api}")
        for r in new_roots[:3]:
            ctx.record("sample", f"new root during the requests: {r}")
        ctx.record("traces", _per_trace(params, sent, found, new_roots), deciding=True)
        spans = [f.spans for f in found.values()]
        figures = {
            "requests": len(sent),
            "traces_found": len(found),
            "traces_missing": len(missing),
            "orphan_spans": len(orphans),
            "new_roots": len(new_roots),
            "min_spans": min(spans) if spans else 0,
            "max_spans": max(spans) if spans else 0,
        }
        thresholds = {"expected_min_spans": params.expected_min_spans, "wait_s": params.wait_s}
        if len(missing) == len(sent):
            why = (
                f"none of the {len(sent)} traces reached {params.tracing_api} within {params.wait_s:g}s: "
                "head sampling, a dead collector, storage lag or an entry that ignores traceparent look the same"
            )
            return Outcome(Verdict.UNKNOWN, f"cannot judge propagation: {why}", figures, thresholds, error=why)
        warns: list[str] = []
        if missing:
            warns.append(
                f"{len(missing)}/{len(sent)} traces missing after {params.wait_s:g}s "
                "(sampling, export lag, or spans not exported)"
            )
        if new_roots:
            warns.append(
                f"{len(new_roots)} new root trace(s) of {params.service} during the requests: {new_roots[0]} "
                "(a hop may drop the context, or other traffic)"
            )
        if short:
            warns.append(
                f"{len(short)} trace(s) with fewer than {params.expected_min_spans} spans "
                f"(e.g. {short[0].trace_id}: {short[0].spans})"
            )
        if orphans:  # in our own traces: the context was lost at a hop
            fail = f"broken traces: {len(orphans)} orphan span(s): {orphans[0]}"
            return Outcome(Verdict.FAIL, "; ".join([fail, *warns]), figures, thresholds)
        if warns:
            return Outcome(Verdict.WARN, "; ".join(warns), figures, thresholds)
        return Outcome(
            Verdict.OK,
            f"{len(found)} traces complete: {min(spans)}-{max(spans)} spans each, no orphans, no stray roots",
            figures,
            thresholds,
        )
