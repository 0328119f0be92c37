"""health_vs_memory against a real process that holds real memory and whose /health always
answers 200 (tests/fixtures/expvar_server.py)."""

from __future__ import annotations

import httpx
import pytest

from runbook.checks.base import Verdict
from runbook.checks.runner import run_check


def _get(url: str) -> dict:
    return httpx.get(url, trust_env=False, timeout=10).json()


async def test_plenty_of_headroom_is_ok(expvar_service):
    s = expvar_service
    r = await run_check(
        "health_vs_memory",
        {
            "health_url": s.url("/health"),
            "vars_url": s.url("/debug/vars"),
            "memory_limit_bytes": 4 * 10**9,
            "sample_gap_s": 0.2,
        },
    )
    assert r.verdict is Verdict.OK, r.summary
    assert r.figures["health_status"] == 200 and r.figures["usage"] < 0.1
    assert r.figures["limit_source"] == "param"
    assert r.thresholds["fail_usage"] == 0.9


async def test_health_200_near_the_limit_fails(expvar_service):
    s = expvar_service
    for _ in range(3):
        _get(s.url("/hog?mb=32"))
    sys_bytes = _get(s.url("/debug/vars"))["memstats"]["Sys"]
    limit = int(sys_bytes / 0.93)
    r = await run_check(
        "health_vs_memory",
        {"health_url": s.url("/health"), "vars_url": s.url("/debug/vars"), "memory_limit_bytes": limit, "samples": 1},
    )
    assert r.verdict is Verdict.FAIL, r.summary
    assert r.figures["usage"] >= 0.9
    assert r.figures["heap_alloc_bytes"] >= 96 * 1024 * 1024
    assert r.summary.startswith("/health answers 200 while memory ")
    assert r.figures["health_blind"] is True
    # the same from the Prometheus metrics and from the local pid agree
    r2 = await run_check(
        "health_vs_memory",
        {"health_url": s.url("/health"), "metrics_url": s.url("/metrics"), "memory_limit_bytes": limit, "samples": 1},
    )
    r3 = await run_check(
        "health_vs_memory", {"health_url": s.url("/health"), "pid": s.pid, "memory_limit_bytes": limit, "samples": 1}
    )
    assert r2.verdict is Verdict.FAIL and r3.verdict is Verdict.FAIL
    assert r3.figures["used_bytes"] == pytest.approx(r.figures["used_bytes"], rel=0.1)


async def test_heap_growth_toward_the_limit_fails(expvar_service):
    s = expvar_service
    base = _get(s.url("/debug/vars"))["memstats"]["Sys"]
    _get(s.url("/leak?mb_per_s=20&cap_mb=60"))
    r = await run_check(
        "health_vs_memory",
        {
            "health_url": s.url("/health"),
            "vars_url": s.url("/debug/vars"),
            "memory_limit_bytes": base + 2 * 10**9,
            "samples": 2,
            "sample_gap_s": 1.0,
        },
    )
    assert r.verdict is Verdict.FAIL, r.summary
    assert r.figures["usage"] < 0.5
    assert 5e6 < r.figures["heap_growth_bytes_per_s"] < 5e7
    assert r.figures["time_to_limit_s"] < 300


async def test_reserved_but_released_memory_is_not_usage(expvar_service):
    """Go's Sys counts heap returned to the OS (HeapReleased): 1 GiB reserved, little resident.
    Judged on Sys this would fail near the limit; on RSS / Sys - HeapReleased it is fine."""
    s = expvar_service
    _get(s.url("/reserve?mb=1024"))
    memstats = _get(s.url("/debug/vars"))["memstats"]
    limit = int(memstats["Sys"] / 0.95)  # Sys alone would read 95% of the limit
    for source in ({"metrics_url": s.url("/metrics")}, {"pid": s.pid}, {"vars_url": s.url("/debug/vars")}):
        r = await run_check(
            "health_vs_memory", {"health_url": s.url("/health"), "memory_limit_bytes": limit, "samples": 1, **source}
        )
        assert r.verdict is Verdict.OK, (source, r.summary)
        assert r.figures["usage"] < 0.2
        assert "pid" in source or r.figures["sys_bytes"] >= 1024 * 1024 * 1024  # a pid has no memstats
    assert r.figures["used_source"] == "estimate: memstats Sys - HeapReleased (no RSS)"


async def test_red_health_near_the_limit_sees_the_problem(expvar_service):
    """A non-2xx /health means the probe sees the problem: not the health-blind failure."""
    s = expvar_service
    for _ in range(3):
        _get(s.url("/hog?mb=32"))
    httpx.get(s.url("/sick"), trust_env=False, timeout=10)
    rss = _get(s.url("/debug/vars"))["memstats"]["Sys"]
    r = await run_check(
        "health_vs_memory",
        {"health_url": s.url("/health"), "pid": s.pid, "memory_limit_bytes": int(rss / 0.93), "samples": 1},
    )
    assert r.verdict is Verdict.WARN, r.summary
    assert r.figures["health_status"] == 503 and r.figures["health_blind"] is False
    assert r.figures["used_source"] == "rss" and r.figures["usage"] >= 0.9
    assert r.summary.startswith("/health answers 503: the probe sees the problem, it is not health-blind")


async def test_no_limit_and_no_source_are_clear_errors(expvar_service):
    s = expvar_service
    r = await run_check("health_vs_memory", {"health_url": s.url("/health")})
    assert r.verdict is Verdict.UNKNOWN
    assert "give vars_url, metrics_url or pid: a source of memory figures" in r.error
    r = await run_check(
        "health_vs_memory", {"health_url": s.url("/health"), "vars_url": s.url("/health"), "samples": 1}
    )
    assert r.error.endswith("has no memstats object (not a Go expvar endpoint?)")


async def test_deciding_excerpt_puts_the_health_answer_beside_the_memory(expvar_service):
    """#18: the 200 from /health and the memory at 90%+ of the limit, in one excerpt."""
    s = expvar_service
    for _ in range(3):
        _get(s.url("/hog?mb=32"))
    limit = int(_get(s.url("/debug/vars"))["memstats"]["Sys"] / 0.93)
    r = await run_check(
        "health_vs_memory",
        {"health_url": s.url("/health"), "vars_url": s.url("/debug/vars"), "memory_limit_bytes": limit, "samples": 1},
    )
    assert r.verdict is Verdict.FAIL
    (deciding,) = r.deciding
    lines = deciding.text.splitlines()
    assert lines[0] == f"GET {s.url('/health')} -> HTTP 200"
    assert lines[1].startswith("  body: ") and lines[1] != "  body: (empty)"
    assert lines[2].startswith("memory: ") and f"of limit {limit / 1e6:.1f} MB (param)" in lines[2]
    assert int(lines[2].rsplit("= ", 1)[1].rstrip("%")) >= 90
    assert "HeapAlloc=" in lines[3]
