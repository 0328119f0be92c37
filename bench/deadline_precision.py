"""Benchmark: how far past its deadline does a check end against a stalling endpoint?

Run ``python bench/deadline_precision.py [--repeats 5]``. Misbehaving peers from
``tests/fixtures/hostile_servers.py`` (no SYN-ACK, accept-then-silence, headers then a stalled
body, one byte per second) are probed by ``health_vs_memory`` (GET /health, then
/debug/vars) with deadlines of 0.25 s, 0.5 s and 1 s; each run's overshoot = elapsed - deadline.
Printed: max and median overshoot per peer and overall, against the aim of < 100 ms.
Also checks 20 such runs at once, since a sweep must not blur the deadline either.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KINDS = ("no_synack", "silent", "stall_body", "drip")
DEADLINES = (0.25, 0.5, 1.0)


async def one(url: str, deadline: float) -> tuple[float, str]:
    from runbook.checks.runner import run_check

    t0 = time.perf_counter()
    r = await run_check(
        "health_vs_memory", {"health_url": url, "vars_url": url, "memory_limit_bytes": 10**9}, timeout_s=deadline
    )
    return time.perf_counter() - t0 - deadline, r.verdict.value


async def measure(servers, repeats: int) -> dict[str, list[float]]:
    from runbook.checks.runner import run_check

    await run_check(
        "health_vs_memory",
        {"health_url": servers.url("ok"), "vars_url": servers.url("ok"), "memory_limit_bytes": 1},
        timeout_s=1,
    )  # warm-up
    out: dict[str, list[float]] = {k: [] for k in KINDS}
    for kind in KINDS:
        for deadline in DEADLINES:
            for _ in range(repeats):
                over, verdict = await one(servers.url(kind, "/health"), deadline)
                assert verdict == "unknown", (kind, verdict)
                out[kind].append(over)
    together = await asyncio.gather(*(one(servers.url(KINDS[i % 4], "/health"), 0.5) for i in range(20)))
    out["20 at once"] = [o for o, _ in together]
    return out


def main() -> None:
    from tests.fixtures.hostile_servers import HostileServers

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    servers = HostileServers().start()
    try:
        results = asyncio.run(measure(servers, args.repeats))
    finally:
        servers.close()
    every = [o for v in results.values() for o in v]
    print(f"{'peer':<14}{'runs':>6}{'median ms':>12}{'max ms':>10}")
    for kind, overs in results.items():
        print(f"{kind:<14}{len(overs):>6}{statistics.median(overs) * 1000:>12.1f}{max(overs) * 1000:>10.1f}")
    worst = max(every)
    print(
        f"overall max overshoot {worst * 1000:.1f} ms over {len(every)} runs; "
        f"ratio to the 100 ms aim {worst / 0.1:.2f} (aim < 1.00)"
    )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
