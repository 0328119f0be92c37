"""The orders API of P0-3: a Go-like service with every observability blind spot (R9-R12).

- ``/metrics`` carries the Go runtime gauges and ``http_requests_total`` labelled with ``user_id``: one series per user.
- ``/debug/pprof/goroutine`` shows request goroutines piling up behind a blocked zap writer.
- ``/api/orders`` calls the inventory hop (a second port). The gateway code copies the trace
  header with a case-sensitive lookup of ``X-Trace-ID`` and does not forward ``traceparent``:
  other spellings of the header are lost and inventory starts a new trace. The answer carries
  what inventory received (``X-Trace-ID`` header and JSON body), nothing the caller sent.
- Spans go to the tracing backend (a third port): the audit goroutine's span points at a
  parent that is never exported (an orphan), inventory's span is a new root.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import re
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import prometheus_client as prom

from runbook.drill.lab.services import goroutines, tracing
from runbook.drill.lab.services.httpkit import Handler, serve
from runbook.drill.lab.services.memory import Leak, MemCollector

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


class OrdersApi:
    def __init__(self, opts: dict[str, Any]) -> None:
        self.fast = bool(opts.get("fast"))
        self.t0 = time.time()
        self.leak = Leak(512 * 1024 * 1024)  # healthy here: the memory fault is P0-1's instance
        self.downstream = int(opts["downstream_port"])
        self.store = tracing.SpanStore(0.2 if self.fast else 1.0)
        self.registry = prom.CollectorRegistry()
        self.requests = prom.Counter(
            "http_requests",
            "Requests by handler, code and user.",
            ("handler", "code", "user_id"),
            registry=self.registry,
        )
        self.registry.register(MemCollector(self.leak, lambda: goroutines.total_goroutines(self.blocked())))
        for _ in range(1500):
            self.requests.labels("/api/orders", "200", str(random.randrange(10**7, 10**8))).inc()

    def blocked(self) -> int:
        return min(5000, 60 + int((time.time() - self.t0) * (6 if self.fast else 3)))

    def minutes(self) -> int:
        return 2 + int((time.time() - self.t0) // 60)  # the pile-up began before anyone looked

    # -- routes
    def health(self, h: Handler) -> None:
        h.send_json(200, {"status": "UP"})  # no memory signal in the probe: the bug

    def vars(self, h: Handler) -> None:
        h.send_json(
            200,
            {
                "cmdline": ["/app/orders-api", "-listen=:8080"],
                "memstats": self.leak.memstats(),
                "orders_in_flight": random.randint(10, 30),
            },
        )

    def metrics(self, h: Handler) -> None:
        h.send_text(200, prom.generate_latest(self.registry).decode(), prom.CONTENT_TYPE_LATEST)

    def pprof_index(self, h: Handler) -> None:
        total = goroutines.total_goroutines(self.blocked())
        h.send_text(
            200,
            f"<html><body>/debug/pprof/<br><a href=goroutine?debug=1>{total} goroutine</a></body></html>\n",
            "text/html; charset=utf-8",
        )

    def pprof_goroutine(self, h: Handler) -> None:
        debug = (h.query.get("debug") or ["0"])[0]
        if debug == "2":
            text = goroutines.render_debug2(self.blocked(), self.minutes())
        else:
            text = goroutines.render_debug1(self.blocked())
        h.send_text(200, text)

    def entry(self, h: Handler) -> None:
        started = time.time()
        user = h.headers.get("X-User-ID") or (h.query.get("user_id") or [str(random.randrange(10**7, 10**8))])[0]
        m = TRACEPARENT.match(h.headers.get("traceparent") or "")
        trace_id = m.group(1) if m else tracing.new_trace_id()
        parent = (m.group(1), m.group(2)) if m else None
        # The gateway's header copy: a case-sensitive lookup of one spelling.
        trace_header = next((v for k, v in h.headers.items() if k == "X-Trace-ID"), None)
        headers = {"Connection": "close", "Content-Type": "application/json"}
        if trace_header:
            headers["X-Trace-ID"] = trace_header
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.downstream, timeout=3)
            conn.request("POST", "/inventory/reserve", body=b'{"sku":"A-1","qty":1}', headers=headers)
            seen = json.loads(conn.getresponse().read() or b"{}")
            conn.close()
        except (OSError, ValueError) as exc:
            h.send_json(502, {"error": f"inventory: {exc}"})
            return
        entry = tracing.Span(
            trace_id,
            tracing.new_span_id(),
            "GET /api/orders",
            "orders-api",
            parent,
            int(started * 1e6),
            int((time.time() - started) * 1e6) + 900,
            "server",
            {"http.method": "GET", "http.status_code": "200"},
        )
        self.store.export(entry)
        self.store.export(
            tracing.Span(
                trace_id,
                tracing.new_span_id(),
                "orders.validate",
                "orders-api",
                (trace_id, entry.span_id),
                entry.start_us + 50,
                300,
            )
        )
        # The audit goroutine was handed a context whose span is never ended: it is never exported.
        self.store.export(
            tracing.Span(
                trace_id,
                tracing.new_span_id(),
                "audit.Publish",
                "orders-api",
                (trace_id, tracing.new_span_id()),
                entry.start_us + 400,
                700,
                "producer",
            )
        )
        self.requests.labels("/api/orders", "200", user).inc()
        reply = {"order": "accepted", "inventory": seen}
        h.send_json(200, reply, {"X-Trace-ID": seen["x_trace_id"]} if seen.get("x_trace_id") else None)

    def inventory(self, h: Handler) -> None:
        h.body()
        got = h.headers.get("X-Trace-ID")
        parent = h.headers.get("traceparent")
        m = TRACEPARENT.match(parent or "")
        span = tracing.Span(
            m.group(1) if m else tracing.new_trace_id(),
            tracing.new_span_id(),
            "POST /inventory/reserve",
            "inventory",
            (m.group(1), m.group(2)) if m else None,
            int(time.time() * 1e6),
            1200,
            "server",
        )
        self.store.export(span)
        h.send_json(200, {"service": "inventory", "reserved": True, "x_trace_id": got, "traceparent": parent})

    def traffic(self, port: int) -> None:
        while True:
            uid = str(random.randrange(10**7, 10**8))
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/orders", headers={"X-User-ID": uid})
            with contextlib.suppress(OSError):
                urllib.request.urlopen(req, timeout=3).read()
            time.sleep(0.5)


def main(name: str, directory: Path, opts: dict[str, Any]) -> None:
    if hasattr(prom, "disable_created_metrics"):
        prom.disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated upstream
    app = OrdersApi(opts)
    down = serve(app.downstream, {"/inventory/reserve": app.inventory})
    threading.Thread(target=down.serve_forever, daemon=True).start()
    tr = serve(int(opts["tracing_port"]), tracing.routes(app.store, ["orders-api", "inventory"]))
    threading.Thread(target=tr.serve_forever, daemon=True).start()
    port = int(opts["port"])
    api = serve(
        port,
        {
            "/health": app.health,
            "/debug/vars": app.vars,
            "/metrics": app.metrics,
            "/debug/pprof": app.pprof_index,
            "/debug/pprof/": app.pprof_index,
            "/debug/pprof/goroutine": app.pprof_goroutine,
            "/api/orders": app.entry,
        },
    )
    threading.Thread(target=app.traffic, args=(port,), daemon=True).start()
    print(f"orders-api listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    api.serve_forever()
