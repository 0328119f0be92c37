"""lb_skew against real nginx: `hash $arg_key consistent` over three backends is even within
noise; the same ring with weight=5 on one backend fails."""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from runbook.checks.base import Verdict
from runbook.checks.catalog.lb_skew import chi_square_p, skew_stats
from runbook.checks.runner import run_check


async def test_even_hash_is_ok(nginx):
    r = await run_check("lb_skew", {"url": nginx.url("/ring-plain"), "n": 600, "concurrency": 20}, timeout_s=30)
    assert r.verdict is Verdict.OK, r.summary
    assert r.figures["backends"] == 3 and r.figures["requests"] == 600
    assert r.figures["cv"] < 0.25 and r.figures["unattributed"] == 0
    assert r.figures["noise_floor"] == pytest.approx(math.sqrt(2 / 600), abs=1e-4)
    assert {p.split("=")[0] for p in r.figures["counts"].split(", ")} == {"b1", "b2", "b3"}


async def test_consistent_ring_is_measured(nginx):
    # the ring's own imbalance depends on where the random backend ports hash: not asserted
    r = await run_check("lb_skew", {"url": nginx.url("/ring"), "n": 300, "concurrency": 20}, timeout_s=30)
    assert r.verdict is not Verdict.UNKNOWN
    assert r.figures["backends"] == 3 and r.figures["requests"] == 300


async def test_weighted_backend_skews_and_fails(nginx):
    r = await run_check("lb_skew", {"url": nginx.url("/ring-weighted"), "n": 600, "concurrency": 20}, timeout_s=30)
    assert r.verdict is Verdict.FAIL, r.summary
    assert r.figures["cv"] > 0.5 and r.figures["max_over_mean"] > 1.8
    assert r.figures["chi2_p"] < 1e-6
    assert r.summary.startswith("skewed: 3 backends, 600 requests")
    # #18: the deciding excerpt is the count per backend, the heavy one first, against an even share
    (deciding,) = r.deciding
    lines = deciding.text.splitlines()
    assert lines[0].startswith("requests per backend (600 attributed, 0 unattributed;")
    counts = {ln.split(":")[0].strip(): int(ln.split(": ")[1].split(" ")[0]) for ln in lines[1:4]}
    assert set(counts) == {"b1", "b2", "b3"} and sum(counts.values()) == 600
    assert lines[1].endswith("[33.3%]") and counts[lines[1].split(":")[0].strip()] > 300


async def test_declared_weights_make_the_weighted_ring_ok(nginx):
    r = await run_check(
        "lb_skew",
        {"url": nginx.url("/ring-weighted"), "n": 600, "concurrency": 20, "weights": {"b1": 5, "b2": 1, "b3": 1}},
        timeout_s=30,
    )
    assert r.verdict in (Verdict.OK, Verdict.WARN), r.summary
    assert r.figures["max_over_mean"] < 1.5


async def test_missing_backend_header_is_unknown(nginx):
    r = await run_check("lb_skew", {"url": nginx.url("/health"), "n": 10}, timeout_s=10)
    assert r.verdict is Verdict.UNKNOWN
    assert r.error == "no backend id found (header X-Backend) in any of 10 responses"


def test_stats_against_hand_computed_values():
    s = skew_stats({"a": 100, "b": 100, "c": 100}, {}, 3)
    assert s["cv"] == 0 and s["chi2"] == 0 and s["max_over_mean"] == 1
    s = skew_stats({"a": 200, "b": 100}, {}, 3)  # a silent third backend counts as zero
    assert s["k"] == 3 and s["max_over_mean"] == pytest.approx(2.0)
    assert s["chi2"] == pytest.approx(200.0)
    assert chi_square_p(2.0, 2) == pytest.approx(math.exp(-1), abs=0.02)  # exact for df=2


@pytest.fixture
def fleet_lb() -> Iterator:
    """``fleet_lb(backends, heavy=1.0) -> url``: a balancer over many backends that picks one at
    random per request (seeded: the same counts every run), ``b00`` weighted ``heavy`` times."""
    servers: list[ThreadingHTTPServer] = []

    def start(backends: int, heavy: float = 1.0) -> str:
        rng, lock = random.Random(3), threading.Lock()
        names = [f"b{i:02d}" for i in range(backends)]
        weights = [heavy, *([1.0] * (backends - 1))]

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                with lock:
                    backend = rng.choices(names, weights)[0]
                self.send_response(200)
                self.send_header("X-Backend", backend)
                self.send_header("Content-Length", "0")
                self.end_headers()

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


async def test_even_balancer_over_50_backends_is_not_failed_by_chance(fleet_lb):
    """600 requests over 50 even backends: chance alone puts max/mean past 1.5 (noise floor
    0.29 > fail_cv 0.25). Not a fail; the check says how many requests it would need."""
    r = await run_check("lb_skew", {"url": fleet_lb(50), "concurrency": 20}, timeout_s=30)
    assert r.verdict is Verdict.UNKNOWN, r.summary
    assert r.figures["max_over_mean"] > 1.5  # past the old verdict's fail threshold, by chance alone
    assert r.figures["chi2_p"] > 0.001 and r.figures["backends"] == 50
    assert r.figures["requests_needed"] == 7056
    assert r.error.startswith("within sampling noise but too few requests to tell: 50 backends, 600 requests")


async def test_real_skew_over_50_backends_still_fails(fleet_lb):
    r = await run_check("lb_skew", {"url": fleet_lb(50, heavy=4.0), "concurrency": 20}, timeout_s=30)
    assert r.verdict is Verdict.FAIL, r.summary
    assert r.figures["chi2_p"] < 0.001 and r.figures["max_over_mean"] > 2.5
