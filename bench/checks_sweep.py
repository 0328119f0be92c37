"""Benchmark: a sweep of 200 endpoints that each answer after 200 ms vs one endpoint alone.

Run ``python bench/checks_sweep.py [--endpoints 200] [--delay 0.2]``. A separate process
serves N ports on 127.0.0.1, each answering ``GET /health`` after the delay. We time one
``http_probe_flapping`` check (n=1, a fresh connection, as the kubelet does) against one port
(best of 3), then ``run_many`` over all N ports, and print wall time / single time. The aim is
under 1.5: a sweep takes about as long as its slowest endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


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


async def measure(ports: list[int], delay: float) -> tuple[float, float, int]:
    from runbook.checks.runner import CheckSpec, run_check, run_many

    def params(port: int) -> dict:
        return {"url": f"http://127.0.0.1:{port}/health", "n": 1, "probe_timeout_s": 5.0}

    await run_check("http_probe_flapping", params(ports[0]))  # warm-up: imports, TLS context cache
    singles = []
    for _ in range(3):
        t0 = time.perf_counter()
        r = await run_check("http_probe_flapping", params(ports[0]))
        singles.append(time.perf_counter() - t0)
        assert r.verdict.value == "ok", r.summary
    t0 = time.perf_counter()
    results = await run_many([CheckSpec("http_probe_flapping", params(p)) for p in ports])
    wall = time.perf_counter() - t0
    ok = sum(r.verdict.value == "ok" for r in results)
    # The machine's floor: the same sweep as bare asyncio socket GETs, no HTTP library, no checks.
    t0 = time.perf_counter()
    await asyncio.gather(*(raw_get(p) for p in ports))
    floor = time.perf_counter() - t0
    return min(singles), wall, ok, floor


async def raw_get(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    data = await reader.read()
    writer.close()
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoints", type=int, default=200)
    ap.add_argument("--delay", type=float, default=0.2)
    args = ap.parse_args()
    ports = free_ports(args.endpoints)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(ports, args.delay, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(30):
            raise SystemExit("bench server did not start")
        single, wall, ok, floor = asyncio.run(measure(ports, args.delay))
    finally:
        server.terminate()
        server.join(5)
    print(f"endpoints              {args.endpoints} (each answers after {args.delay * 1000:.0f} ms)")
    print(f"single endpoint        {single * 1000:.1f} ms (best of 3)")
    print(f"sweep of {args.endpoints:<4}          {wall * 1000:.1f} ms ({ok}/{args.endpoints} ok)")
    print(f"ratio sweep / single   {wall / single:.2f}  (aim < 1.5)")
    print(f"bare-socket sweep      {floor * 1000:.1f} ms, ratio {floor / single:.2f} (this machine's floor right now)")
    print(f"load average           {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
