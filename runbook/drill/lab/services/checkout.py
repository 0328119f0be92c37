"""The checkout service of P0-2: the caller whose resilience logic has gaps (R6, R7, R8).

- ``/checkout`` calls ``payments.v1.Payments/Charge`` over gRPC. The fallback is guarded by an
  ``errors.Is(err, codes.Unavailable)``-style test that never matches a wrapped status, so an
  UNAVAILABLE backend becomes HTTP 502 for the user instead of the degraded answer. A
  background load keeps calling it, so the counters move as in production.
- ``/metrics``: ``grpc_client_handled_total`` by code, ``checkout_fallback_total`` (stuck at 0),
  ``http_requests_total`` by code, and ``http_request_duration_seconds``, a histogram with the
  buckets {0.05, 1, 5} fed with ~150 ms requests: p95 estimates land near 0.95 s.
- ``/hystrix.stream``: the hystrix-go event stream of the ``payments.charge`` command, whose
  breaker opens and then closes after 2 s although the sleep window is 5 s: a late success
  closed it without a probe (the half-open race).
"""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import prometheus_client as prom

from runbook.drill.lab.services.httpkit import Handler, serve

SLEEP_WINDOW_MS = 5000
CYCLE_S, OPEN_AT_S = 7.0, 5.0  # closed for 5 s, then open for only 2 s


class Checkout:
    def __init__(self, target: str) -> None:
        self.charge: grpc.UnaryUnaryMultiCallable[bytes, bytes] = grpc.insecure_channel(target).unary_unary(
            "/payments.v1.Payments/Charge"
        )
        self.registry = prom.CollectorRegistry()
        labels = ("grpc_type", "grpc_service", "grpc_method", "grpc_code")
        self.handled = prom.Counter(
            "grpc_client_handled", "RPCs completed on the client side.", labels, registry=self.registry
        )
        self.fallbacks = prom.Counter(
            "checkout_fallback", "Checkout answers served by the fallback.", registry=self.registry
        )
        self.requests = prom.Counter(
            "http_requests", "HTTP requests by handler and code.", ("handler", "code"), registry=self.registry
        )
        self.latency = prom.Histogram(
            "http_request_duration_seconds",
            "Request latency.",
            ("handler",),
            buckets=(0.05, 1, 5),
            registry=self.registry,
        )
        for _ in range(200):
            self.latency.labels("/checkout").observe(random.gauss(0.15, 0.008))
        self.t0 = time.time()

    def checkout(self) -> tuple[int, dict[str, Any]]:
        started = time.monotonic()
        try:
            self.charge(b"\x0a\x03ord", timeout=0.3)
            code, status, body = "OK", 200, {"status": "charged"}
        except grpc.RpcError as err:
            code = err.code().name.title().replace("_", "")
            # The bug: the status is wrapped with %w, the Unavailable test never matches,
            # so the fallback is skipped and the error goes to the user.
            status = 502
            body = {"error": f"charge failed: rpc error: code = {code} desc = {err.details()}"}
        self.handled.labels("unary", "payments.v1.Payments", "Charge", code).inc()
        self.requests.labels("/checkout", str(status)).inc()
        # What the user waited for is dominated by the page render (~150 ms).
        self.latency.labels("/checkout").observe(time.monotonic() - started + random.gauss(0.15, 0.008))
        return status, body

    def load(self) -> None:
        while True:
            self.checkout()
            time.sleep(0.2)

    def stream_event(self) -> dict[str, Any]:
        now = time.time()
        phase = (now - self.t0) % CYCLE_S
        is_open = phase >= OPEN_AT_S
        cycles = int((now - self.t0) // CYCLE_S)
        pct = [0, 5, 20, 45, 70][min(int(phase), 4)] if not is_open else 70
        pcts = {
            k: round(150 * f)
            for k, f in (
                ("0", 0.5),
                ("25", 0.9),
                ("50", 1),
                ("75", 1.1),
                ("90", 1.3),
                ("95", 1.5),
                ("99", 2),
                ("99.5", 2.2),
                ("100", 3),
            )
        }
        return {
            "type": "HystrixCommand",
            "name": "payments.charge",
            "group": "payments.charge",
            "currentTime": int(now * 1000),
            "isCircuitBreakerOpen": is_open,
            "errorPercentage": pct,
            "errorCount": pct // 2,
            "requestCount": 50,
            "rollingCountSuccess": 50 - pct // 2,
            "rollingCountFailure": pct // 2,
            "rollingCountTimeout": 0,
            "rollingCountShortCircuited": 10 * cycles + (5 if is_open else 0),
            "rollingCountThreadPoolRejected": 0,
            "rollingCountFallbackSuccess": 0,
            "rollingCountFallbackFailure": 0,
            "latencyTotal": pcts,
            "latencyExecute": pcts,
            "propertyValue_circuitBreakerSleepWindowInMilliseconds": SLEEP_WINDOW_MS,
            "propertyValue_circuitBreakerErrorThresholdPercentage": 50,
            "propertyValue_circuitBreakerRequestVolumeThreshold": 20,
            "propertyValue_circuitBreakerForceOpen": False,
        }

    # -- routes
    def route_checkout(self, h: Handler) -> None:
        status, body = self.checkout()
        h.send_json(status, body)

    def route_health(self, h: Handler) -> None:
        h.send_text(200, "ok\n")

    def route_metrics(self, h: Handler) -> None:
        h.send_text(200, prom.generate_latest(self.registry).decode(), prom.CONTENT_TYPE_LATEST)

    def route_stream(self, h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        pool = {
            "type": "HystrixThreadPool",
            "name": "payments.charge",
            "currentTime": 0,
            "currentActiveCount": 2,
            "currentQueueSize": 0,
            "rollingCountThreadsExecuted": 50,
            "propertyValue_queueSizeRejectionThreshold": 10,
        }
        try:
            while True:
                event = self.stream_event()
                pool["currentTime"] = event["currentTime"]
                h.wfile.write(f"data:{json.dumps(event)}\n\ndata:{json.dumps(pool)}\n\n".encode())
                h.wfile.flush()
                time.sleep(1.0)
        except OSError:
            return  # the client went away


def main(name: str, directory: Path, opts: dict[str, Any]) -> None:
    if hasattr(prom, "disable_created_metrics"):
        # a Go service exposes no _created series (prometheus_client leaves this unannotated)
        prom.disable_created_metrics()  # type: ignore[no-untyped-call]
    app = Checkout(opts["grpc_target"])
    threading.Thread(target=app.load, daemon=True).start()
    serve(
        int(opts["port"]),
        {
            "/checkout": app.route_checkout,
            "/health": app.route_health,
            "/metrics": app.route_metrics,
            "/hystrix.stream": app.route_stream,
        },
    ).serve_forever()
