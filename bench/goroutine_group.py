"""Benchmark: group a goroutine dump of 100,000 goroutines; throughput in MB/s.

Run ``python bench/goroutine_group.py [--goroutines N]``. The dump is rendered by the same
model the tests replay (a zap pile-up plus a service's ordinary goroutines, Go 1.19 format),
with a mix of stacks so grouping has real work: most goroutines queue on zap's locked writer,
the rest are spread over per-handler stacks. Prints MB/s for ``?debug=2`` and ``?debug=1``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build(n: int):
    from tests.fixtures.pprof_stub import BLOCKED_ON_LOCK, HTTP_TAIL, Goroutine, pileup_process

    gs = pileup_process(n * 6 // 10, minutes=3)
    # the rest: request goroutines in 200 distinct handlers, waiting on channels or I/O
    for i in range(n - len(gs)):
        frames = [
            ("runtime.gopark", "0x0?, 0x0?, 0x0?, 0x0?, 0x0?", "/usr/lib/go-1.19/src/runtime/proc.go:363", 0xD6),
            ("runtime.chanrecv1", f"0xc000{i:06x}?, 0x0?", "/usr/lib/go-1.19/src/runtime/chan.go:442", 0x18),
            (f"main.handler{i % 200}", f"{{0x8c8f40, 0xc000{i:06x}}}", f"/src/app/h{i % 200}.go:{40 + i % 7}", 0x6B),
            *HTTP_TAIL,
        ]
        gs.append(Goroutine("chan receive" if i % 3 else "IO wait", i % 4, frames))
    assert len(gs) == n and BLOCKED_ON_LOCK
    return gs


def measure(text: str, repeat: int = 3) -> tuple[float, object]:
    from runbook.parsers.pprof_goroutine import parse_dump

    best = float("inf")
    dump = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        dump = parse_dump(text)
        best = min(best, time.perf_counter() - t0)
    return best, dump


def main() -> int:
    from tests.fixtures.pprof_stub import render_debug1, render_debug2

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--goroutines", type=int, default=100_000)
    args = ap.parse_args()
    gs = build(args.goroutines)
    d2, d1 = render_debug2(gs), render_debug1(gs)
    for name, text in (("debug=2", d2), ("debug=1", d1)):
        secs, dump = measure(text)
        mb = len(text.encode()) / 1e6
        print(
            f"{name}: {mb:.1f} MB, {dump.total} goroutines -> {len(dump.groups)} groups "
            f"in {secs:.3f} s: {mb / secs:.0f} MB/s, {dump.total / secs / 1e3:.0f}k goroutines/s"
        )
    dump = measure(d2, 1)[1]
    top = dump.groups[0]
    assert top.count == args.goroutines * 6 // 10, top.count
    print(f"largest group: {top.count} x [{top.state}, {top.max_minutes} minutes] {top.functions[3]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
