"""A client that keeps its connections in a pool it never empties: CLOSE_WAIT piles up (R5).

Like the incident's ``sync.Pool`` of ``net.Conn``, every request takes a new connection and
parks it in a list after use; nothing ever calls ``Close``. The backend closes its side when
idle, so each parked socket sits in CLOSE_WAIT holding a file descriptor. The process serves
its own ``/metrics`` (``process_open_fds``, ``process_max_fds`` and the CLOSE_WAIT count, as a
Go process with a tcpstat exporter would), and its pid is what a local socket check inspects.
"""

from __future__ import annotations

import resource
import socket
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from runbook.drill.lab.services.httpkit import Handler, serve

POOL: list[socket.socket] = []
MAX_LEAKED = 300


def _leak_forever(port: int, interval_s: float) -> None:
    while True:
        if len(POOL) < MAX_LEAKED:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=2)
                sock.sendall(b"GET /orders HTTP/1.1\r\nHost: orders\r\nConnection: keep-alive\r\n\r\n")
                sock.recv(65536)
                POOL.append(sock)  # "returned to the pool": never closed
            except OSError:
                pass
        time.sleep(interval_s)


def _metrics(h: Handler) -> None:
    me = psutil.Process()
    try:
        conns = me.net_connections(kind="tcp")
    except AttributeError:  # psutil < 6
        conns = me.connections(kind="tcp")
    states: dict[str, int] = {}
    for c in conns:
        states[c.status.lower()] = states.get(c.status.lower(), 0) + 1
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    lines = [
        "# HELP process_open_fds Number of open file descriptors.",
        "# TYPE process_open_fds gauge",
        f"process_open_fds {me.num_fds()}",
        "# HELP process_max_fds Maximum number of open file descriptors.",
        "# TYPE process_max_fds gauge",
        f"process_max_fds {soft}",
        "# HELP node_tcp_connection_states Number of connection states.",
        "# TYPE node_tcp_connection_states gauge",
        *(f'node_tcp_connection_states{{state="{s}"}} {n}' for s, n in sorted(states.items())),
        "# HELP orders_client_pool_conns Connections parked in the client pool.",
        "# TYPE orders_client_pool_conns gauge",
        f"orders_client_pool_conns {len(POOL)}",
    ]
    h.send_text(200, "\n".join(lines) + "\n", "text/plain; version=0.0.4; charset=utf-8")


def main(name: str, directory: Path, opts: dict[str, Any]) -> None:
    interval = 0.02 if opts.get("fast") else 0.1
    # Start with a backlog: the leak began long before anyone looked.
    for _ in range(120):
        try:
            sock = socket.create_connection(("127.0.0.1", int(opts["upstream"])), timeout=2)
            sock.sendall(b"GET /orders HTTP/1.1\r\nHost: orders\r\n\r\n")
            sock.recv(65536)
            POOL.append(sock)
        except OSError:
            break
    threading.Thread(target=_leak_forever, args=(int(opts["upstream"]), interval), daemon=True).start()
    serve(int(opts["port"]), {"/metrics": _metrics, "/health": lambda h: h.send_text(200, "ok\n")}).serve_forever()
