"""http_probe_flapping against a real nginx: /health is ok, /slow (150 ms) with a 0.1 s probe
timeout fails; the trip arithmetic and the probe state machine replay."""

from __future__ import annotations

from runbook.checks.base import Verdict
from runbook.checks.catalog.http_probe import longest_run, quantile, simulated_trips
from runbook.checks.runner import run_check
from tests.fixtures.proc import free_port


async def test_healthy_nginx_health_is_ok(nginx):
    r = await run_check("http_probe_flapping", {"url": nginx.url("/health"), "n": 12, "interval_s": 0.01}, timeout_s=10)
    assert r.verdict is Verdict.OK, r.summary
    assert r.figures["p_fail"] == 0 and r.figures["probes"] == 12
    assert r.figures["p99_s"] < 0.5
    assert r.figures["statuses"] == "200x12"
    assert r.thresholds["probe_timeout_s"] == 1.0
    assert r.summary.startswith("12 probes: p99 ")


async def test_slow_endpoint_with_short_timeout_fails(nginx):
    r = await run_check(
        "http_probe_flapping",
        {"url": nginx.url("/slow"), "probe_timeout_s": 0.1, "n": 4, "interval_s": 0},
        timeout_s=10,
    )
    assert r.verdict is Verdict.FAIL
    assert r.figures["p_fail"] == 1.0
    assert 0.14 < r.figures["p50_s"] < 0.5  # the tail is measured, not cut at 0.1 s
    assert r.figures["longest_failure_run"] == 4 and r.figures["simulated_trips"] == 1
    assert "every probe failed" in r.summary
    assert r.figures["failure_kind"] == "latency" and r.figures["latency_failures"] == 4
    # #18: the deciding excerpt is the probe sequence: four slow 200s, each a failure
    (deciding,) = r.deciding
    lines = deciding.text.splitlines()
    assert lines[0] == f"GET {nginx.url('/slow')}: 4 probes, timeoutSeconds 0.1, failureThreshold 3"
    assert len(lines) == 5 and all(ln.endswith("  200  FAILED (latency)") for ln in lines[1:])
    assert all(float(ln.split(":")[1].split("ms")[0]) > 100 for ln in lines[1:])


async def test_slow_endpoint_with_tight_margin_warns(nginx):
    r = await run_check(
        "http_probe_flapping",
        {"url": nginx.url("/slow"), "probe_timeout_s": 0.25, "n": 3, "interval_s": 0},
        timeout_s=10,
    )
    assert r.verdict is Verdict.WARN, r.summary
    assert "over 0.5x the 0.25s timeout" in r.summary


async def test_steady_fast_503_is_a_status_failure_not_a_tight_timeout(nginx):
    """Every probe gets a fast 503: the probe is right and the service unhealthy. Not R2's fail,
    and the data says which kind of failure it was so the playbook can route on it."""
    r = await run_check(
        "http_probe_flapping", {"url": nginx.url("/unavailable"), "n": 8, "interval_s": 0.01}, timeout_s=10
    )
    assert r.verdict is Verdict.WARN, r.summary
    assert r.figures["failure_kind"] == "status"
    assert (r.figures["status_failures"], r.figures["latency_failures"]) == (8, 0)
    assert r.figures["p_fail"] == 1.0 and r.figures["latency_trips_per_day"] == 0
    assert r.figures["statuses"] == "503x8"
    assert r.summary.startswith(
        "8 probes: 8 of 8 probes answered HTTP 503x8 within the timeout: the probe is right, "
        "the service is unhealthy (not the timeout)"
    )
    assert "suggest timeout" not in r.summary


async def test_unreachable_is_unknown():
    port = free_port()
    r = await run_check("http_probe_flapping", {"url": f"http://127.0.0.1:{port}/health", "n": 3}, timeout_s=5)
    assert r.verdict is Verdict.UNKNOWN
    assert r.error == f"every probe failed to connect: connection refused by 127.0.0.1:{port}"


def test_helpers():
    assert quantile([1, 2, 3, 4], 0.5) == 2 and quantile([1, 2, 3, 4], 0.99) == 4
    flags = [False, True, True, True, False, True, True, True, True]
    assert longest_run(flags) == 4
    assert simulated_trips(flags, 3, 1) == 2
    assert simulated_trips(flags, 3, 2) == 1  # one success is not enough to recover
