"""hystrix_half_open against a replayed hystrix-go stream (real SSE over HTTP)."""

from __future__ import annotations

from runbook.checks.base import Verdict
from runbook.checks.catalog.hystrix import Tick, judge_circuit
from runbook.checks.runner import run_check
from tests.fixtures.hystrix_stream import timeline


async def test_close_two_seconds_after_opening_with_5s_window_fails(hystrix_stream):
    url = hystrix_stream(timeline((False, 3), (True, 2), (False, 20)))
    result = await run_check("hystrix_half_open", {"stream_url": url, "duration_s": 1.2}, timeout_s=5)
    assert result.verdict is Verdict.FAIL, result.summary
    assert result.summary.startswith("payments: closed 2s after opening")
    assert result.figures["opens"] == 1 and result.figures["closes"] == 1
    assert result.figures["shortest_open_s"] == 2.0
    assert result.thresholds["sleep_window_ms"] == 5000 and result.thresholds["premature_below_ms"] == 4000
    assert result.summary.endswith("(sleep window from the stream, which always says 5000 ms: pass sleep_window_ms)")
    assert any("opened at t=" in e.text for e in result.evidence)


async def test_clean_five_second_window_is_ok(hystrix_stream):
    url = hystrix_stream(timeline((False, 3), (True, 5), (False, 20)))
    result = await run_check("hystrix_half_open", {"stream_url": url, "duration_s": 1.2}, timeout_s=5)
    assert result.verdict is Verdict.OK, result.summary
    assert result.figures["shortest_open_s"] == 5.0
    assert result.figures["events"] >= 20  # command + thread-pool events both arrive


async def test_real_sleep_window_param_overrides_the_streams_constant(hystrix_stream):
    url = hystrix_stream(timeline((False, 2), (True, 5), (False, 20)))
    result = await run_check(
        "hystrix_half_open", {"stream_url": url, "duration_s": 1.2, "sleep_window_ms": 10000}, timeout_s=5
    )
    assert result.verdict is Verdict.FAIL and "10s sleep window" in result.summary


async def test_not_a_hystrix_stream_is_unknown(hystrix_stream):
    result = await run_check("hystrix_half_open", {"stream_url": "http://127.0.0.1:9/x", "duration_s": 1}, timeout_s=3)
    assert result.verdict is Verdict.UNKNOWN and "connection refused" in result.summary


def _ticks(states: str, sc: str = "") -> list[Tick]:
    scs = [int(c) for c in sc] if sc else [0] * len(states)
    return [Tick(1000 * i, c == "O", 10, 0, scs[i]) for i, c in enumerate(states)]


def test_flapping_and_short_circuits_while_closed_warn():
    v = judge_circuit("c", _ticks("CCOOOOOCOOOOOCOOOOOC"), sleep_window_ms=5000)
    assert v.verdict is Verdict.WARN and v.closes == 3 and "flapping" in v.reasons[0]
    v = judge_circuit("c", _ticks("CCCC", "0012"), sleep_window_ms=5000)
    assert v.verdict is Verdict.WARN and "shortCircuited rose 0->1" in v.reasons[0]


def test_stuck_open_is_the_dependency_and_open_at_start_cannot_be_judged():
    """Open > 3 x the sleep window under load: the breaker holds against a dead dependency
    (its probes keep failing), not R6: warn, pointing at the dependency."""
    v = judge_circuit("c", _ticks("C" + "O" * 17), sleep_window_ms=5000)
    assert v.verdict is Verdict.WARN and v.stuck_open
    assert v.reasons[0].startswith("open for 16s")
    assert "the breaker holds against a failing dependency; check the dependency's health" in v.reasons[0]
    # opened before we listened: how long it held is unknown, so the close is not judged
    v = judge_circuit("c", _ticks("OOCCC"), sleep_window_ms=5000)
    assert v.verdict is Verdict.UNKNOWN and v.closes == 1


async def test_no_transition_in_the_window_is_unknown(hystrix_stream):
    url = hystrix_stream(timeline((False, 30)))
    result = await run_check("hystrix_half_open", {"stream_url": url, "duration_s": 0.6}, timeout_s=5)
    assert result.verdict is Verdict.UNKNOWN, result.summary
    assert result.error is not None and result.error.startswith("no circuit both opened and closed in 0.6s")
    assert result.error.endswith("(0 open(s), 0 close(s)): the half-open path was not exercised")
    assert result.figures["circuits"] == 1


async def test_breaker_open_against_a_dead_dependency_warns(hystrix_stream):
    url = hystrix_stream(timeline((False, 2), (True, 60)))
    result = await run_check(
        "hystrix_half_open", {"stream_url": url, "duration_s": 1.5, "sleep_window_ms": 3000}, timeout_s=5
    )
    assert result.verdict is Verdict.WARN, result.summary
    assert result.figures["stuck_open_circuits"] == 1 and result.figures["sleep_window_source"] == "param"
    assert "check the dependency's health" in result.summary
    assert "pass sleep_window_ms" not in result.summary


async def test_a_plain_page_is_not_a_hystrix_stream(metrics_target):
    from tests.fixtures.metrics_targets import bad_histogram_registry

    target = metrics_target(bad_histogram_registry())
    result = await run_check("hystrix_half_open", {"stream_url": target.url, "duration_s": 0.5}, timeout_s=3)
    assert result.verdict is Verdict.UNKNOWN
    assert result.summary.startswith("could not judge: no HystrixCommand events in 0.5s")


async def test_deciding_excerpt_is_the_open_and_close_with_how_long_it_stayed_open(hystrix_stream):
    """#18: the state changes of the worst circuit, the open lasting 2000 ms against a 5000 ms window."""
    url = hystrix_stream(timeline((False, 3), (True, 2), (False, 20)))
    result = await run_check("hystrix_half_open", {"stream_url": url, "duration_s": 1.2}, timeout_s=5)
    (deciding,) = result.deciding
    lines = deciding.text.splitlines()
    assert lines[0] == "payments: state changes (sleep window 5000 ms)"
    assert lines[1].startswith("  t=") and " opened (" in lines[1]
    assert " closed after 2000 ms open (" in lines[2]
    assert len(lines) == 3
