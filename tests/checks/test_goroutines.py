"""goroutine_pileup_logging against real Prometheus pprof and a replayed zap pile-up."""

from __future__ import annotations

from runbook.checks.base import Verdict
from runbook.checks.runner import run_check
from runbook.parsers.pprof_goroutine import parse_dump
from tests.fixtures.pprof_stub import HEALTHY, HOLDING_LOCK, Goroutine, pileup_process, render_debug1, render_debug2


def test_stub_formats_agree():
    gs = pileup_process(60)
    d2, d1 = parse_dump(render_debug2(gs)), parse_dump(render_debug1(gs))
    assert d2.total == d1.total == 64
    assert d2.groups[0].count == d1.groups[0].count == 60
    assert d2.groups[0].functions == d1.groups[0].functions


async def test_prometheus_pprof_is_a_healthy_baseline(prometheus_server):
    result = await run_check(
        "goroutine_pileup_logging", {"pprof_base": prometheus_server.url + "/debug/pprof", "gap_s": 0.2}, timeout_s=10
    )
    assert result.verdict is Verdict.OK, result.summary
    assert result.figures["goroutines"] >= 10 and result.figures["logging_blocked"] == 0
    assert abs(result.figures["debug1_total"] - result.figures["goroutines"]) <= 3


async def test_sixty_goroutines_stuck_in_zap_for_two_minutes_fail(pprof_stub):
    stub = pprof_stub([pileup_process(60)])
    result = await run_check("goroutine_pileup_logging", {"pprof_base": stub.base, "gap_s": 0.1}, timeout_s=10)
    assert result.verdict is Verdict.FAIL, result.summary
    assert result.summary == (
        "goroutines piled up behind logging: 60 goroutines [semacquire, 2 minutes] "
        "in go.uber.org/zap/zapcore.(*lockedWriteSyncer).Write"
    )
    assert result.figures["largest_logging_group"] == 60
    assert result.figures["largest_logging_group_minutes"] == 2
    assert result.figures["logging_blocked"] == 61  # the lock holder, stuck in the write syscall, too
    assert result.figures["debug1_logging_goroutines"] == 61


async def test_small_queue_waiting_a_minute_warns_but_not_without_a_wait(pprof_stub):
    waiting = pprof_stub([pileup_process(12, minutes=1)])
    result = await run_check("goroutine_pileup_logging", {"pprof_base": waiting.base, "gap_s": 0}, timeout_s=10)
    assert result.verdict is Verdict.WARN, result.summary
    assert "12 goroutines [semacquire, 1 minutes]" in result.summary
    young = pprof_stub([pileup_process(12, minutes=0)])
    result = await run_check("goroutine_pileup_logging", {"pprof_base": young.base, "gap_s": 0}, timeout_s=10)
    assert result.verdict is Verdict.OK, result.summary


async def test_hot_file_write_path_without_a_wait_is_not_a_pileup(pprof_stub):
    """A busy service caught with 15 goroutines inside os.(*File).Write (zap writing, no wait
    reported, not growing): a hot write path, not R10's queue."""
    busy = [Goroutine(state, 0, frames, created) for state, frames, created in HEALTHY]
    busy += [Goroutine("syscall", 0, HOLDING_LOCK) for _ in range(15)]
    stub = pprof_stub([busy])
    result = await run_check("goroutine_pileup_logging", {"pprof_base": stub.base, "gap_s": 0.1}, timeout_s=10)
    assert result.verdict is Verdict.OK, result.summary
    assert result.figures["largest_logging_group"] == 15
    assert result.figures["largest_logging_group_minutes"] == 0
    assert "15 in syscall.write without a reported wait (a busy write path, not a queue)" in result.summary


async def test_growth_driven_by_the_logging_group_fails(pprof_stub):
    stub = pprof_stub([pileup_process(5, minutes=0), pileup_process(40, minutes=0)])
    result = await run_check("goroutine_pileup_logging", {"pprof_base": stub.base, "gap_s": 0.1}, timeout_s=10)
    assert result.verdict is Verdict.FAIL, result.summary
    assert "goroutines grew 9->44" in result.summary and result.figures["growth"] == round(35 / 9, 3)


async def test_missing_pprof_is_unknown(metrics_target):
    from tests.fixtures.metrics_targets import bad_histogram_registry

    target = metrics_target(bad_histogram_registry())
    base = target.url.rsplit("/", 1)[0] + "/debug/pprof"
    result = await run_check("goroutine_pileup_logging", {"pprof_base": base, "gap_s": 0}, timeout_s=5)
    assert result.verdict is Verdict.UNKNOWN and "HTTP 404" in result.summary


async def test_deciding_excerpt_is_the_group_header_and_its_top_frames(pprof_stub, prometheus_server):
    """#18: the verdict rests on the logging group: its header as the dump prints it, its frames."""
    stub = pprof_stub([pileup_process(60)])
    result = await run_check("goroutine_pileup_logging", {"pprof_base": stub.base, "gap_s": 0.1}, timeout_s=10)
    assert result.verdict is Verdict.FAIL
    (deciding,) = result.deciding
    lines = deciding.text.splitlines()
    assert lines[0] == "60 x [semacquire, 2 minutes]"
    assert "  go.uber.org/zap/zapcore.(*lockedWriteSyncer).Write   <- logging frame" in lines
    assert lines[1:4] == ["  sync.runtime_SemacquireMutex", "  sync.(*Mutex).lockSlow", "  sync.(*Mutex).Lock"]
    ok = await run_check(
        "goroutine_pileup_logging",
        {"pprof_base": f"{prometheus_server.url}/debug/pprof", "samples": 1, "gap_s": 0},
        timeout_s=20,
    )
    assert ok.verdict is Verdict.OK and ok.deciding[0].text.startswith("largest group: ")
