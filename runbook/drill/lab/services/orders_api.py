"""The orders API of P0-3: a Go-like service with every observability blind spot (R9-R12).

One process, so that its memory is really its own:
- ``/health`` answers 200 whatever happens, while a leak (real buffers kept in a list) pushes
  the resident memory towards the container limit; ``/debug/vars`` (expvar memstats) and
  ``/metrics`` (``go_memstats_*``, ``process_resident_memory_bytes``) tell the truth.
- ``/metrics`` also carries ``http_requests_total`` labelled with ``user_id``: one series per user.
- ``/debug/pprof/goroutine`` shows request goroutines piling up behind a blocked zap writer.
- ``/api/orders`` calls the inventory hop (a second port). The gateway code copies the trace
  header with a case-sensitive lookup of ``X-Trace-ID`` and does not forward ``traceparent``:
  other spellings of the header are lost and inventory starts a new trace. The answer carries
  what inventory received (``X-Trace-ID`` header and JSON body), nothing the caller sent.
- Spans go to the tracing backend (a third port): the audit goroutine's span points at a
  parent that is never exported (an orphan), inventory's span is a new root.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import sys
import threading
import time
import urllib.request
from pathlib import Path

import prometheus_client as prom
import psutil
from prometheus_client.core import GaugeMetricFamily

from runbook.drill.lab.services import goroutines, tracing
from runbook.drill.lab.services.httpkit import Handler, serve

MiB = 1024 * 1024
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


class Leak:
    """Buffers that are never released, as a cache without eviction would keep them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytearray] = []
        self.total_alloc = 0
        self.num_gc = 0

    def heap(self) -> int:
        return sum(len(c) for c in self.chunks) + 6 * MiB

    def rss(self) -> int:
        return psutil.Process().memory_info().rss

    def grow(self, n: int = 4 * MiB) -> None:
        self.chunks.append(bytearray(b"\x5a") * n)  # written, so the pages are really resident
        self.total_alloc += n
        self.num_gc += 1

    def run(self, interval_s: float) -> None:
        while self.rss() < 0.55 * self.limit:
            self.grow()
        while True:
            usage = self.rss() / self.limit
            if usage < 0.93:
                self.grow()
            elif usage < 0.97:
                self.grow(1 * MiB)
                time.sleep(interval_s * 4)
            time.sleep(interval_s)

    def memstats(self) -> dict:
        heap, sys_ = self.heap(), max(self.rss(), self.heap())
        return {
            "Alloc": heap, "TotalAlloc": self.total_alloc + heap, "Sys": sys_, "Lookups": 0,
            "Mallocs": 1000 + self.num_gc * 40, "Frees": 800 + self.num_gc * 30, "HeapAlloc": heap,
            "HeapSys": int(heap * 1.05), "HeapIdle": int(heap * 0.05), "HeapInuse": heap, "HeapReleased": 0,
            "HeapObjects": 200 + len(self.chunks), "StackInuse": 2 * MiB, "StackSys": 2 * MiB,
            "MSpanInuse": 80_000, "MSpanSys": 98_000, "MCacheInuse": 14_400, "MCacheSys": 15_600,
            "BuckHashSys": 1_500_000, "GCSys": 8 * MiB, "OtherSys": 1 * MiB, "NextGC": 2 * heap,
            "LastGC": time.time_ns(), "PauseTotalNs": self.num_gc * 350_000,
            "PauseNs": [350_000] * min(self.num_gc, 256) + [0] * (256 - min(self.num_gc, 256)),
            "PauseEnd": [0] * 256, "NumGC": self.num_gc, "NumForcedGC": 0, "GCCPUFraction": 0.004,
            "EnableGC": True, "DebugGC": False,
            "BySize": [{"Size": s, "Mallocs": 0, "Frees": 0} for s in [0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128,
                       144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640,
                       704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456,
                       4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568,
                       14336, 16384, 18432]],
        }


class MemCollector:
    def __init__(self, app: OrdersApi) -> None:
        self.app = app

    def collect(self):
        m = self.app.leak.memstats()
        for name, key, doc in (("go_memstats_heap_alloc_bytes", "HeapAlloc", "Heap bytes allocated and in use."),
                               ("go_memstats_sys_bytes", "Sys", "Bytes obtained from the system."),
                               ("go_memstats_next_gc_bytes", "NextGC", "Heap size when the next GC runs."),
                               ("go_memstats_alloc_bytes", "Alloc", "Bytes allocated and in use.")):
            yield GaugeMetricFamily(name, doc, value=m[key])
        yield GaugeMetricFamily("process_resident_memory_bytes", "Resident memory size in bytes.",
                                value=self.app.leak.rss())
        yield GaugeMetricFamily("go_goroutines", "Number of goroutines that currently exist.",
                                value=goroutines.total_goroutines(self.app.blocked()))


class OrdersApi:
    def __init__(self, opts: dict) -> None:
        self.fast = bool(opts.get("fast"))
        self.t0 = time.time()
        self.leak = Leak(int(opts["memory_limit"]))
        self.downstream = int(opts["downstream_port"])
        self.store = tracing.SpanStore(0.2 if self.fast else 1.0)
        self.registry = prom.CollectorRegistry()
        self.requests = prom.Counter("http_requests", "Requests by handler, code and user.",
                                     ("handler", "code", "user_id"), registry=self.registry)
        self.registry.register(MemCollector(self))
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
        h.send_json(200, {"cmdline": ["/app/orders-api", "-listen=:8080"], "memstats": self.leak.memstats(),
                          "orders_in_flight": random.randint(10, 30)})

    def metrics(self, h: Handler) -> None:
        h.send_text(200, prom.generate_latest(self.registry).decode(), prom.CONTENT_TYPE_LATEST)

    def pprof_index(self, h: Handler) -> None:
        total = goroutines.total_goroutines(self.blocked())
        h.send_text(200, f"<html><body>/debug/pprof/<br><a href=goroutine?debug=1>{total} goroutine</a>"
                         "</body></html>\n", "text/html; charset=utf-8")

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
        entry = tracing.Span(trace_id, tracing.new_span_id(), "GET /api/orders", "orders-api", parent,
                             int(started * 1e6), int((time.time() - started) * 1e6) + 900, "server",
                             {"http.method": "GET", "http.status_code": "200"})
        self.store.export(entry)
        self.store.export(tracing.Span(trace_id, tracing.new_span_id(), "orders.validate", "orders-api",
                                       (trace_id, entry.span_id), entry.start_us + 50, 300))
        # The audit goroutine was handed a context whose span is never ended: it is never exported.
        self.store.export(tracing.Span(trace_id, tracing.new_span_id(), "audit.Publish", "orders-api",
                                       (trace_id, tracing.new_span_id()), entry.start_us + 400, 700, "producer"))
        self.requests.labels("/api/orders", "200", user).inc()
        reply = {"order": "accepted", "inventory": seen}
        h.send_json(200, reply, {"X-Trace-ID": seen["x_trace_id"]} if seen.get("x_trace_id") else None)

    def inventory(self, h: Handler) -> None:
        h.body()
        got = h.headers.get("X-Trace-ID")
        parent = h.headers.get("traceparent")
        m = TRACEPARENT.match(parent or "")
        span = tracing.Span(m.group(1) if m else tracing.new_trace_id(), tracing.new_span_id(),
                            "POST /inventory/reserve", "inventory", (m.group(1), m.group(2)) if m else None,
                            int(time.time() * 1e6), 1200, "server")
        self.store.export(span)
        h.send_json(200, {"service": "inventory", "reserved": True, "x_trace_id": got, "traceparent": parent})

    def traffic(self, port: int) -> None:
        while True:
            uid = str(random.randrange(10**7, 10**8))
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/orders", headers={"X-User-ID": uid})
            try:
                urllib.request.urlopen(req, timeout=3).read()
            except OSError:
                pass
            time.sleep(0.5)


def main(name: str, directory: Path, opts: dict) -> None:
    if hasattr(prom, "disable_created_metrics"):
        prom.disable_created_metrics()
    app = OrdersApi(opts)
    threading.Thread(target=app.leak.run, args=(0.25 if app.fast else 1.0,), daemon=True).start()
    down = serve(app.downstream, {"/inventory/reserve": app.inventory})
    threading.Thread(target=down.serve_forever, daemon=True).start()
    tr = serve(int(opts["tracing_port"]), tracing.routes(app.store, ["orders-api", "inventory"]))
    threading.Thread(target=tr.serve_forever, daemon=True).start()
    port = int(opts["port"])
    api = serve(port, {
        "/health": app.health, "/debug/vars": app.vars, "/metrics": app.metrics,
        "/debug/pprof": app.pprof_index, "/debug/pprof/": app.pprof_index,
        "/debug/pprof/goroutine": app.pprof_goroutine,
        "/api/orders": app.entry,
    })
    threading.Thread(target=app.traffic, args=(port,), daemon=True).start()
    print(f"orders-api listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    api.serve_forever()
