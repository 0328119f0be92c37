"""The orders service behind a consistent-hash ring whose weights went wrong (R5).

A front end hashes each request's key (``?key=``, the ``X-Hash-Key`` header, else a random
key, as a client without affinity would) onto a ring of virtual nodes and forwards the request
to that backend over HTTP. The ring was rebuilt from connection counts that the leaking
client inflated, so backend b1 owns five times the share of the others: a hot spot that
avalanches. Every answer names its backend in ``X-Backend`` and in the JSON body.

The backends close idle keep-alive connections after half a second, like any Go server with
an ``IdleTimeout``: clients that pool connections and never close them are left in CLOSE_WAIT.
"""

from __future__ import annotations

import bisect
import hashlib
import http.client
import threading
import uuid
from pathlib import Path
from typing import Any

from runbook.drill.lab.services.httpkit import Handler, serve

WEIGHTS = (5, 1, 1)
VNODES = 64


def build_ring(names: list[str], weights: tuple[int, ...]) -> tuple[list[int], list[str]]:
    points = sorted(
        (_hash(f"{name}#{v}"), name)
        for name, weight in zip(names, weights, strict=True)
        for v in range(VNODES * weight)
    )
    return [p for p, _ in points], [n for _, n in points]


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.md5(text.encode()).digest()[:8], "big")  # a ring position, not security


def pick(ring: tuple[list[int], list[str]], key: str) -> str:
    hashes, names = ring
    i = bisect.bisect(hashes, _hash(key)) % len(hashes)
    return names[i]


def _backend_routes(name: str) -> dict[str, Any]:
    def order(h: Handler) -> None:
        h.send_json(200, {"backend": name, "orders": []}, {"X-Backend": name})

    return {"/": order}


def main(name: str, directory: Path, opts: dict[str, Any]) -> None:
    ports = [int(p) for p in opts["backends"]]
    names = [f"b{i + 1}" for i in range(len(ports))]
    for bname, port in zip(names, ports, strict=True):
        server = serve(port, _backend_routes(bname), idle_timeout_s=0.5)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ring = build_ring(names, WEIGHTS)
    by_name = dict(zip(names, ports, strict=True))

    def front(h: Handler) -> None:
        key = (h.query.get("key") or [h.headers.get("X-Hash-Key") or str(uuid.uuid4())])[0]
        backend = pick(ring, key)
        conn = http.client.HTTPConnection("127.0.0.1", by_name[backend], timeout=5)
        try:
            conn.request("GET", h.path, headers={"Connection": "close"})
            reply = conn.getresponse()
            reply.read()
            status = reply.status
        except OSError as exc:
            h.send_json(502, {"error": f"upstream {backend}: {exc}"})
            return
        finally:
            conn.close()
        h.send_json(status, {"backend": backend, "key": key}, {"X-Backend": backend})

    def health(h: Handler) -> None:
        h.send_text(200, "ok\n")

    serve(int(opts["port"]), {"/health": health, "/": front}).serve_forever()
