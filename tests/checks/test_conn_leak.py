"""connection_leak against a real client process holding sockets a real server has closed.

The server (a thread here) answers every connection with one line and closes its side, like
nginx after keepalive_timeout. The client is a separate Python process: in ``leak`` mode it
never closes its sockets (they sit in CLOSE_WAIT), in ``close`` mode it reads to EOF and
closes, as correct code does. node_exporter (``--collector.tcpstat``) is the remote source.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest

from runbook.checks.base import Verdict
from runbook.checks.runner import run_check
from tests.fixtures.proc import ServerProcess, free_port, require_binary

CLIENT = r"""
import os, resource, socket, sys, time
port, n, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
held = []
if len(sys.argv) > 4:  # expose real process_open_fds / process_max_fds, like a Go service would
    import prometheus_client
    prometheus_client.start_http_server(int(sys.argv[4]), addr="127.0.0.1")
def connect(k):
    for _ in range(k):
        s = socket.create_connection(("127.0.0.1", port))
        s.recv(16)  # the server's line; its FIN follows
        if mode == "close":
            while s.recv(16):
                pass
            s.close()
        else:
            held.append(s)
if mode == "fds":
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    held += [os.open("/dev/null", os.O_RDONLY) for _ in range(40)]
if mode == "grow":
    print("ready", flush=True)
    while True:
        connect(3)
        time.sleep(0.25)
connect(n)
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def closing_server():
    """A TCP server that writes one line and closes every connection it accepts."""
    srv = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def loop():
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.sendall(b"bye\n")
            conn.close()

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join()
    srv.close()


@pytest.fixture
def client_process(closing_server):
    procs = []

    def start(n: int, mode: str, metrics_port: int | None = None) -> subprocess.Popen:
        extra = [str(metrics_port)] if metrics_port else []
        p = subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(closing_server), str(n), mode, *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(p)
        assert p.stdout.readline().strip() == "ready"
        return p

    yield start
    for p in procs:
        p.kill()
        p.wait()


def _params(**kw):
    return {"samples": 2, "interval_s": 0.2, **kw}


async def test_leaking_client_warns_with_the_peer(client_process, closing_server):
    p = client_process(12, "leak")
    r = await run_check("connection_leak", _params(pid=p.pid), timeout_s=10)
    assert r.verdict is Verdict.WARN, r.summary
    assert r.figures["close_wait"] == 12
    assert r.figures["top_peer"] == f"127.0.0.1:{closing_server} x12"
    assert "12 sockets in CLOSE_WAIT (>= 10)" in r.summary
    failing = await run_check("connection_leak", _params(pid=p.pid, fail_close_wait=12), timeout_s=10)
    assert failing.verdict is Verdict.FAIL


async def test_growing_leak_fails(client_process):
    p = client_process(0, "grow")
    r = await run_check("connection_leak", _params(pid=p.pid, samples=3, interval_s=0.6), timeout_s=10)
    assert r.verdict is Verdict.FAIL, r.summary
    assert r.figures["close_wait_rising"] is True
    assert "CLOSE_WAIT rising in every sample" in r.summary


async def test_closing_client_ok(client_process):
    p = client_process(12, "close")
    r = await run_check("connection_leak", _params(pid=p.pid), timeout_s=10)
    assert r.verdict is Verdict.OK, r.summary
    assert r.figures["close_wait"] == 0
    assert r.figures["fd_limit"] > 0


async def test_fd_usage_near_the_limit_warns(client_process):
    p = client_process(0, "fds")
    r = await run_check("connection_leak", _params(pid=p.pid, samples=1), timeout_s=10)
    assert r.verdict is Verdict.WARN, r.summary
    assert r.figures["fd_limit"] == 64 and 40 <= r.figures["fds"] < 0.8 * 64


async def test_missing_pid_and_bad_params_are_unknown():
    r = await run_check("connection_leak", {"pid": 4_000_000}, timeout_s=5)
    assert (r.verdict, r.error) == (Verdict.UNKNOWN, "no process with pid 4000000")
    both = await run_check("connection_leak", {"pid": 1, "metrics_url": "http://x"})
    assert "give exactly one of pid or metrics_url" in both.summary


@pytest.fixture
def node_exporter(tmp_path):
    binary = require_binary("prometheus-node-exporter", package="prometheus-node-exporter")
    port = free_port()
    with ServerProcess(
        [
            binary,
            f"--web.listen-address=127.0.0.1:{port}",
            "--collector.disable-defaults",
            "--collector.tcpstat",
            "--collector.filefd",
        ],
        port=port,
        log_path=tmp_path / "node_exporter.log",
    ) as proc:
        yield f"http://127.0.0.1:{port}/metrics", proc


async def test_process_metrics_source(client_process):
    ok_port, warn_port = free_port(), free_port()
    client_process(5, "close", ok_port)
    client_process(0, "fds", warn_port)
    ok = await run_check("connection_leak", _params(metrics_url=f"http://127.0.0.1:{ok_port}/metrics"), timeout_s=10)
    assert ok.verdict is Verdict.OK, ok.summary
    assert ok.figures["close_wait"] is None and ok.figures["fds"] > 0
    warn = await run_check(
        "connection_leak", _params(metrics_url=f"http://127.0.0.1:{warn_port}/metrics"), timeout_s=10
    )
    assert warn.verdict is Verdict.WARN, warn.summary
    assert warn.figures["fd_limit"] == 64


async def test_node_exporter_source(node_exporter, client_process):
    url, _ = node_exporter
    # tcpstat counts the whole network namespace, which other test suites share: the healthy
    # remote case is test_process_metrics_source; here the leak must show on top of the rest
    before = await run_check("connection_leak", _params(metrics_url=url, samples=1), timeout_s=10)
    assert isinstance(before.figures["close_wait"], int)
    # node_exporter's process_open_fds is node_exporter's own; node_filefd_* is the whole host:
    # neither describes the client, so the fd part is unknown (host figures kept as context)
    assert before.figures["fds"] is None and before.figures["fd_limit"] is None
    assert before.figures["fd_source"].startswith("unknown: node_exporter's process_open_fds is its own process")
    assert before.figures["host_fd_maximum"] > 0
    assert "fds unknown (node_exporter's process_open_fds is its own: give pid or fd_metrics_url)" in before.summary
    metrics_port = free_port()
    client_process(15, "leak", metrics_port)
    leaky = await run_check(
        "connection_leak",
        _params(metrics_url=url, fd_metrics_url=f"http://127.0.0.1:{metrics_port}/metrics"),
        timeout_s=10,
    )
    assert leaky.verdict in (Verdict.WARN, Verdict.FAIL)
    assert leaky.figures["close_wait"] >= 15
    # with the client's own page the fd part is the client's: 15 held sockets and more
    assert leaky.figures["fd_source"] == "metrics" and leaky.figures["fds"] >= 15


@pytest.mark.parametrize("kind", ["no_synack", "silent", "drip", "huge_declared", "garbage", "reset", "ok"])
async def test_hostile_metrics_pages_are_unknown_within_the_deadline(hostile, kind):
    t0 = time.monotonic()
    r = await run_check(
        "connection_leak",
        {"metrics_url": hostile.url(kind, "/metrics"), "samples": 1},
        timeout_s=1.0,
        max_bytes=64 * 1024,
    )
    assert time.monotonic() - t0 < 1.1
    assert r.verdict is Verdict.UNKNOWN, (kind, r.summary)


async def test_deciding_excerpt_is_close_wait_per_sample_and_the_peer(client_process, closing_server):
    """#18: the CLOSE_WAIT counts sample by sample against the thresholds, and who holds them."""
    p = client_process(12, "leak")
    r = await run_check("connection_leak", _params(pid=p.pid), timeout_s=10)
    (deciding,) = r.deciding
    lines = deciding.text.splitlines()
    assert lines[0] == "CLOSE_WAIT per sample: 12, 12 (warn 10, fail 100)"
    assert lines[-1] == f"CLOSE_WAIT peers: 127.0.0.1:{closing_server} x12"
    grow = client_process(0, "grow")
    g = await run_check("connection_leak", _params(pid=grow.pid, samples=3, interval_s=0.6), timeout_s=10)
    counts = [int(n) for n in g.deciding[0].text.splitlines()[0].split(": ")[1].split(" (")[0].split(", ")]
    assert len(counts) == 3 and counts == sorted(counts) and counts[0] < counts[-1]
