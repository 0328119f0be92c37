"""A tracing backend with a Jaeger-compatible query API, fed by the orders API's spans (R9).

Spans become visible after a short export delay, like an SDK batch exporter's. The query side
serves ``/api/services``, ``/api/traces/{traceID}`` and ``/api/traces?service=&start=&end=``
(microseconds) in Jaeger's JSON shape, so a check reads it exactly as it reads a real Jaeger.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from runbook.drill.lab.services.httpkit import Handler

MAX_TRACES = 5000


@dataclass
class Span:
    trace_id: str
    span_id: str
    operation: str
    service: str
    parent: tuple[str, str] | None
    """(traceID, spanID) of the CHILD_OF reference, None for a root span."""
    start_us: int
    duration_us: int
    kind: str = "internal"
    tags: dict[str, str] = field(default_factory=dict)

    def to_jaeger(self, process_id: str) -> dict[str, Any]:
        refs = [{"refType": "CHILD_OF", "traceID": self.parent[0], "spanID": self.parent[1]}] if self.parent else []
        tags = [{"key": "span.kind", "type": "string", "value": self.kind}]
        tags += [{"key": k, "type": "string", "value": v} for k, v in self.tags.items()]
        return {
            "traceID": self.trace_id,
            "spanID": self.span_id,
            "flags": 1,
            "operationName": self.operation,
            "references": refs,
            "startTime": self.start_us,
            "duration": self.duration_us,
            "tags": tags,
            "logs": [],
            "processID": process_id,
            "warnings": None,
        }


def new_span_id() -> str:
    return secrets.token_hex(8)


def new_trace_id() -> str:
    return secrets.token_hex(16)


class SpanStore:
    def __init__(self, export_delay_s: float) -> None:
        self.export_delay_s = export_delay_s
        self._traces: OrderedDict[str, list[tuple[float, Span]]] = OrderedDict()
        self._lock = threading.Lock()

    def export(self, span: Span) -> None:
        with self._lock:
            self._traces.setdefault(span.trace_id, []).append((time.monotonic() + self.export_delay_s, span))
            self._traces.move_to_end(span.trace_id)
            while len(self._traces) > MAX_TRACES:
                self._traces.popitem(last=False)

    def visible(self, trace_id: str) -> list[Span]:
        now = time.monotonic()
        with self._lock:
            return [s for at, s in self._traces.get(trace_id, ()) if at <= now]

    def search(self, service: str, start_us: int, end_us: int, limit: int) -> list[list[Span]]:
        now = time.monotonic()
        with self._lock:
            ids = list(self._traces)
        out = []
        for tid in reversed(ids):
            spans = [s for at, s in self._traces.get(tid, ()) if at <= now]
            if any(s.service == service and start_us <= s.start_us <= end_us for s in spans):
                out.append(spans)
                if len(out) >= limit:
                    break
        return out


def _trace_json(spans: list[Span]) -> dict[str, Any]:
    services = sorted({s.service for s in spans})
    pids = {name: f"p{i + 1}" for i, name in enumerate(services)}
    return {
        "traceID": spans[0].trace_id,
        "spans": [s.to_jaeger(pids[s.service]) for s in spans],
        "processes": {pid: {"serviceName": name, "tags": []} for name, pid in pids.items()},
        "warnings": None,
    }


def routes(store: SpanStore, services: list[str]) -> dict[str, Any]:
    def list_services(h: Handler) -> None:
        h.send_json(200, {"data": services, "total": len(services), "limit": 0, "offset": 0, "errors": None})

    def traces(h: Handler) -> None:
        tail = h.path_only[len("/api/traces") :].strip("/")
        if tail:
            spans = store.visible(tail.lower())
            if not spans:
                h.send_json(
                    404,
                    {
                        "data": None,
                        "total": 0,
                        "limit": 0,
                        "offset": 0,
                        "errors": [{"code": 404, "msg": "trace not found"}],
                    },
                )
                return
            h.send_json(200, {"data": [_trace_json(spans)], "total": 0, "limit": 0, "offset": 0, "errors": None})
            return
        q = h.query
        service = (q.get("service") or [""])[0]
        if not service:
            h.send_json(400, {"data": None, "errors": [{"code": 400, "msg": "parameter 'service' is required"}]})
            return
        now_us = int(time.time() * 1e6)
        start = int((q.get("start") or [str(now_us - 3_600_000_000)])[0])
        end = int((q.get("end") or [str(now_us)])[0])
        limit = int((q.get("limit") or ["20"])[0])
        found = store.search(service, start, end, limit)
        h.send_json(200, {"data": [_trace_json(t) for t in found], "total": 0, "limit": 0, "offset": 0, "errors": None})

    return {"/api/services": list_services, "/api/traces": traces, "/api/traces/": traces}
