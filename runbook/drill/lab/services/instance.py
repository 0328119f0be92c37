"""An orders instance of P0-1 whose health signal lies twice (R2 and the chapter 1 symptom).

- ``/health`` is answered in a few milliseconds, except that every third probe stalls just
  past the probe timeout and the next one just under it (GC pauses, a cold cache): with a
  hard-coded timeout the probe flaps and the instance goes in and out of rotation.
- Meanwhile a cache without eviction keeps real buffers, so the resident memory climbs
  towards the container limit, and ``/health`` still answers 200: the probe has no memory
  signal. ``/debug/vars`` (expvar memstats) and ``/metrics`` (``go_memstats_*``,
  ``process_resident_memory_bytes``) tell the truth.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from pathlib import Path
from typing import Any

import prometheus_client as prom

from runbook.drill.lab.services.httpkit import Handler, serve
from runbook.drill.lab.services.memory import Leak, MemCollector


class Instance:
    def __init__(self, probe_timeout_s: float, limit: int) -> None:
        self.probe_timeout_s = probe_timeout_s
        self.probes = itertools.count()
        self.leak = Leak(limit)
        self.registry = prom.CollectorRegistry()
        self.registry.register(MemCollector(self.leak, lambda: 42))

    def delay(self) -> float:
        t = self.probe_timeout_s
        return {0: random.uniform(0.002, 0.02), 1: random.uniform(1.1, 1.5) * t, 2: random.uniform(0.75, 0.9) * t}[
            next(self.probes) % 3
        ]

    def health(self, h: Handler) -> None:
        time.sleep(self.delay())
        h.send_json(200, {"status": "UP"})

    def vars(self, h: Handler) -> None:
        h.send_json(200, {"cmdline": ["/app/orders", "-listen=:8080"], "memstats": self.leak.memstats()})

    def metrics(self, h: Handler) -> None:
        h.send_text(200, prom.generate_latest(self.registry).decode(), prom.CONTENT_TYPE_LATEST)


def main(name: str, directory: Path, opts: dict[str, Any]) -> None:
    fast = bool(opts.get("fast"))
    app = Instance(float(opts["probe_timeout_s"]), int(opts["memory_limit"]))
    threading.Thread(target=app.leak.run, args=(0.25 if fast else 1.0,), daemon=True).start()
    serve(
        int(opts["port"]),
        {"/health": app.health, "/healthz": app.health, "/debug/vars": app.vars, "/metrics": app.metrics},
    ).serve_forever()
