"""Benchmark: a sweep of 200 endpoints that each answer after 200 ms vs one endpoint alone.

Run ``python bench/checks_sweep.py [--endpoints 200] [--delay 0.2] [--rounds 3]``. A separate
process serves N ports on 127.0.0.1, each answering ``GET /health`` after the delay. Each
round times one ``http_probe_flapping`` check (n=1, a fresh connection, as the kubelet does)
against one port (best of 3), then ``run_many`` over all N ports; and the floor, the same two
measurements as bare asyncio socket GETs (no HTTP library, no checks, no evidence). Between
the two, a third lane times ``fetch()`` alone, the HTTP layer the check uses (the lean path:
h11, the deadline, the size cap, its two evidence excerpts) without the runner, the probe's
judgement or the result, so the printout shows where the sweep's time beyond the floor goes.
The lanes alternate which goes first from round to round, so a load that comes and goes hits
all of them. Printed per round and as medians: sweep / single (the aim: <= 1.5) beside the
floor's bare sweep / bare single (what this machine can do at all right now).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

Round = tuple[float, float, int]
"""(best single of 3, sweep wall time, answers ok)"""
Sweep = Callable[[list[int]], Awaitable[list[bool]]]


def serve(ports: list[int], delay: float, ready) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(delay)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        for port in ports:
            await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def params(port: int) -> dict:
    return {"url": f"http://127.0.0.1:{port}/health", "n": 1, "probe_timeout_s": 5.0}


async def timed_round(one: Callable[[int], Awaitable[bool]], ports: list[int], sweep: Sweep | None = None) -> Round:
    """One endpoint (best of 3), then all of them at once (``sweep``, default: gather ``one``)."""
    singles = []
    for _ in range(3):
        t0 = time.perf_counter()
        ok = await one(ports[0])
        singles.append(time.perf_counter() - t0)
        assert ok, f"port {ports[0]} did not answer well alone"
    t0 = time.perf_counter()
    oks = await (sweep(ports) if sweep else asyncio.gather(*(one(p) for p in ports)))
    wall = time.perf_counter() - t0
    return min(singles), wall, sum(oks)


async def check_one(port: int) -> bool:
    from runbook.checks.runner import run_check

    return (await run_check("http_probe_flapping", params(port))).verdict.value == "ok"


async def check_sweep(ports: list[int]) -> list[bool]:
    """All of them through the runner's ``run_many``, as a sweep runs them."""
    from runbook.checks.runner import CheckSpec, run_many

    results = await run_many([CheckSpec("http_probe_flapping", params(p)) for p in ports])
    return [r.verdict.value == "ok" for r in results]


async def check_round(ports: list[int]) -> Round:
    return await timed_round(check_one, ports, check_sweep)


async def raw_get(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    data = await reader.read()
    writer.close()
    return data


async def fetch_get(port: int) -> bool:
    """What the probe asks of the HTTP layer, without the runner, the judgement or the result."""
    from runbook.checks.base import CheckContext
    from runbook.checks.http import fetch

    ctx = CheckContext(deadline=time.monotonic() + 30, max_bytes=1 << 20)
    headers = {"User-Agent": "kube-probe/1.29", "Connection": "close", "Accept": "*/*"}
    url = f"http://127.0.0.1:{port}/health"
    reply = await fetch(ctx, "GET", url, headers=headers, timeout_s=10, truncate=True, max_bytes=64 * 1024)
    return reply.status == 200


async def fetch_round(ports: list[int]) -> Round:
    """The HTTP layer alone: ``fetch()`` for one endpoint (best of 3), then for all of them."""
    return await timed_round(fetch_get, ports)


async def raw_ok(port: int) -> bool:
    return (await raw_get(port)).startswith(b"HTTP/1.1 200")


async def floor_round(ports: list[int]) -> Round:
    """The same with bare asyncio socket GETs: no HTTP library, no checks. The machine's floor."""
    return await timed_round(raw_ok, ports)


async def measure(ports: list[int], rounds: int) -> list[tuple[Round, Round, Round]]:
    """Per round: (check, fetch alone, bare floor); the order of the lanes flips every round."""
    from runbook.checks.runner import run_check

    await run_check("http_probe_flapping", params(ports[0]))  # warm-up: imports, TLS context cache
    await fetch_get(ports[0])
    await raw_get(ports[0])
    lanes = (check_round, fetch_round, floor_round)
    out = []
    for i in range(rounds):
        order = lanes if i % 2 == 0 else lanes[::-1]
        done = {lane: await lane(ports) for lane in order}
        out.append((done[check_round], done[fetch_round], done[floor_round]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoints", type=int, default=200)
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    ports = free_ports(args.endpoints)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(ports, args.delay, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(30):
            raise SystemExit("bench server did not start")
        rounds = asyncio.run(measure(ports, args.rounds))
    finally:
        server.terminate()
        server.join(5)
    n = args.endpoints
    print(
        f"endpoints {n}, each answers after {args.delay * 1000:.0f} ms; {args.rounds} rounds, "
        "check sweep, fetch() alone and the bare-socket floor alternating"
    )
    print(
        "round  single ms  sweep ms  ok       ratio | fetch alone: ratio  ok      | bare single ms  bare sweep ms  floor ratio"
    )
    ratios, fetches, floors = [], [], []
    for i, ((single, wall, ok), (f_single, f_wall, f_ok), (b_single, b_wall, b_ok)) in enumerate(rounds, 1):
        ratios.append(wall / single)
        fetches.append(f_wall / f_single)
        floors.append(b_wall / b_single)
        print(
            f"{i:>5}  {single * 1000:9.1f}  {wall * 1000:8.1f}  {ok:>3}/{n:<3}  {ratios[-1]:5.2f} |"
            f"              {fetches[-1]:5.2f}  {f_ok:>3}/{n:<3} |"
            f" {b_single * 1000:14.1f}  {b_wall * 1000:13.1f}  {floors[-1]:5.2f}   ({b_ok}/{n} ok)"
        )
    print(
        f"median ratio sweep / single {statistics.median(ratios):.2f} (aim <= 1.5); "
        f"fetch() alone {statistics.median(fetches):.2f} (the HTTP layer); "
        f"bare-socket floor {statistics.median(floors):.2f} (this machine right now)"
    )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
