"""Record ``healthy-service``: the replay of a service with nothing wrong in what the checks see.

The red-herring drills replay it: their incident is outside the twelve rules (a database
down, an expired certificate), so the service's own endpoints look healthy and the right
answer is to escalate with the evidence. The results are real measurements, made the way
``runbook drill record`` makes a lab's: every playbook check block whose variables are given
runs once against real servers on 127.0.0.1:

- a prometheus_client service in this process: ``/health`` answers 200 and ``/metrics``
  serves request histograms with buckets around the real latency and the process's own
  memory (``ProcessCollector``, so the resident memory is this process's);
- ``/debug/pprof/goroutine`` of a Go service at rest (the pprof stub's idle goroutines).

Run ``python -m tests.drill.record_healthy`` to record it again; ``test_red_herrings``
re-measures and checks that the stored verdicts still hold.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.exposition import choose_encoder

from tests.fixtures.pprof_stub import HEALTHY, Goroutine, PprofStub

NAME = "healthy-service"
RECORDINGS = Path(__file__).parents[2] / "incidents" / "drills" / "recordings"
MEMORY_LIMIT = 2 * 1024**3


def healthy_registry() -> CollectorRegistry:
    reg = CollectorRegistry()
    ProcessCollector(registry=reg)
    h = Histogram(
        "http_request_duration_seconds",
        "Request latency.",
        ["handler"],
        buckets=(0.05, 0.1, 0.125, 0.15, 0.175, 0.2, 0.3, 0.5, 1, 2.5),
        registry=reg,
    )
    c = Counter("http_requests", "Requests.", ["handler", "code"], registry=reg)
    for i in range(400):
        h.labels(handler="/api/orders").observe(0.120 + (i % 50) / 1000)
        c.labels(handler="/api/orders", code="200").inc()
    return reg


class HealthyService:
    """``/health`` (200) and ``/metrics`` of one healthy prometheus_client service."""

    def __init__(self, registry: CollectorRegistry) -> None:
        reg = registry

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/health":
                    body, ctype = b'{"status":"ok"}', "application/json"
                elif path == "/metrics":
                    encoder, ctype = choose_encoder(self.headers.get("Accept", ""))
                    body = encoder(reg)
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def idle_go_service() -> PprofStub:
    return PprofStub([[Goroutine(state, 0, frames, created) for state, frames, created in HEALTHY]])


async def record(library):  # type: ignore[no-untyped-def]
    from runbook.drill.record_lab import record_lab

    service, pprof = HealthyService(healthy_registry()), idle_go_service()
    try:
        variables = {
            "health_url": f"{service.base}/health",
            "metrics_url": f"{service.base}/metrics",
            "memory_limit_bytes": str(MEMORY_LIMIT),
            "pprof_url": pprof.base,
        }
        return await record_lab(NAME, variables, library)
    finally:
        service.close()
        pprof.close()


def main() -> int:
    from runbook.config import shipped_playbooks_dir
    from runbook.drill.recording import save_recording
    from runbook.playbook.library import load_library

    recording = asyncio.run(record(load_library([shipped_playbooks_dir()])))
    for key, r in sorted(recording.by_block.items()):
        print(f"{key}: {r.verdict.value} - {r.summary}")
    print(save_recording(recording, RECORDINGS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
