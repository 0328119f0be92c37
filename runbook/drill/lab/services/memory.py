"""Memory that really grows, reported the way a Go service reports it (expvar and metrics).

The buffers are written when allocated, so the pages are resident and ``process_resident_
memory_bytes`` (read from the OS) climbs for real; ``memstats`` derives the Go runtime's
``MemStats`` fields from the same numbers, so ``/debug/vars`` and ``/metrics`` agree.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import psutil
from prometheus_client.core import GaugeMetricFamily

MiB = 1024 * 1024


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

    def memstats(self) -> dict[str, Any]:
        heap, sys_ = self.heap(), max(self.rss(), self.heap())
        return {
            "Alloc": heap,
            "TotalAlloc": self.total_alloc + heap,
            "Sys": sys_,
            "Lookups": 0,
            "Mallocs": 1000 + self.num_gc * 40,
            "Frees": 800 + self.num_gc * 30,
            "HeapAlloc": heap,
            "HeapSys": int(heap * 1.05),
            "HeapIdle": int(heap * 0.05),
            "HeapInuse": heap,
            "HeapReleased": 0,
            "HeapObjects": 200 + len(self.chunks),
            "StackInuse": 2 * MiB,
            "StackSys": 2 * MiB,
            "MSpanInuse": 80_000,
            "MSpanSys": 98_000,
            "MCacheInuse": 14_400,
            "MCacheSys": 15_600,
            "BuckHashSys": 1_500_000,
            "GCSys": 8 * MiB,
            "OtherSys": 1 * MiB,
            "NextGC": 2 * heap,
            "LastGC": time.time_ns(),
            "PauseTotalNs": self.num_gc * 350_000,
            "PauseNs": [350_000] * min(self.num_gc, 256) + [0] * (256 - min(self.num_gc, 256)),
            "PauseEnd": [0] * 256,
            "NumGC": self.num_gc,
            "NumForcedGC": 0,
            "GCCPUFraction": 0.004,
            "EnableGC": True,
            "DebugGC": False,
            "BySize": [
                {"Size": s, "Mallocs": 0, "Frees": 0}
                for s in [
                    0,
                    8,
                    16,
                    24,
                    32,
                    48,
                    64,
                    80,
                    96,
                    112,
                    128,
                    144,
                    160,
                    176,
                    192,
                    208,
                    224,
                    240,
                    256,
                    288,
                    320,
                    352,
                    384,
                    416,
                    448,
                    480,
                    512,
                    576,
                    640,
                    704,
                    768,
                    896,
                    1024,
                    1152,
                    1280,
                    1408,
                    1536,
                    1792,
                    2048,
                    2304,
                    2688,
                    3072,
                    3200,
                    3456,
                    4096,
                    4864,
                    5376,
                    6144,
                    6528,
                    6784,
                    6912,
                    8192,
                    9472,
                    9728,
                    10240,
                    10880,
                    12288,
                    13568,
                    14336,
                    16384,
                    18432,
                ]
            ],
        }


class MemCollector:
    def __init__(self, leak: Leak, goroutines: Callable[[], int]) -> None:
        self.leak = leak
        self.goroutines = goroutines

    def collect(self) -> Iterator[GaugeMetricFamily]:
        m = self.leak.memstats()
        for name, key, doc in (
            ("go_memstats_heap_alloc_bytes", "HeapAlloc", "Heap bytes allocated and in use."),
            ("go_memstats_sys_bytes", "Sys", "Bytes obtained from the system."),
            ("go_memstats_next_gc_bytes", "NextGC", "Heap size when the next GC runs."),
            ("go_memstats_alloc_bytes", "Alloc", "Bytes allocated and in use."),
        ):
            yield GaugeMetricFamily(name, doc, value=m[key])
        yield GaugeMetricFamily(
            "process_resident_memory_bytes", "Resident memory size in bytes.", value=self.leak.rss()
        )
        yield GaugeMetricFamily("go_goroutines", "Number of goroutines that currently exist.", value=self.goroutines())
