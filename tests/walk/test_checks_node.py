"""A check node with several blocks: they run concurrently, the most severe verdict decides,
and a block whose optional variables are missing is recorded as not run."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runbook.checks.base import CheckResult, Verdict
from runbook.playbook.library import load_library
from runbook.record import repo
from runbook.record.store import results_run
from runbook.walk.state import BlockResult
from runbook.walk.suggest import suggest

MULTI = Path(__file__).parent / "data_multi"


@pytest.fixture(scope="module")
def multi():
    return load_library([MULTI])


async def test_blocks_run_concurrently_and_fail_outranks_ok(
    make_engine, multi, etcd_server, expiring_lease, healthy_lease, session
):
    ticks = iter(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i) for i in range(100))
    engine = make_engine(multi, clock=lambda: next(ticks))
    iid = engine.create_incident(
        "two registries",
        variables={
            "etcd_url": etcd_server.url,
            "prefix_a": expiring_lease["service_prefix"],
            "prefix_b": healthy_lease["service_prefix"],
        },
    )
    engine.start("walkmulti")

    t0 = time.monotonic()
    results = await engine.run_checks()
    elapsed = time.monotonic() - t0

    assert elapsed < 5.5, f"two 3 s checks took {elapsed:.1f}s: not concurrent"
    assert [(r.index, r.verdict.value) for r in results] == [(0, "ok"), (1, "fail"), (2, "unknown")]
    assert results[2].result.summary == "not run: variable(s) not given: pprof_url"
    # "did it run?" is a typed answer, live and from the record (the drills count checks so)
    assert [r.result.ran for r in results] == [True, True, False]
    assert results_run(iid, session=session) == 2
    # Block 0 (ok) comes first, but block 1's fail is more severe: it decides.
    s = engine.suggestion
    assert (s.target, s.block, s.verdict, s.contested) == ("walkmulti#race", 1, Verdict.FAIL, False)
    # The injected clock stamps what the engine writes.
    assert engine.path[0].entered_at == datetime(2026, 1, 1, tzinfo=UTC)
    started = [e for e in repo.timeline(iid, session=session) if e.kind == "check_started"]
    assert [e.summary for e in started] == [
        "etcd_lease_keepalive started",
        "etcd_lease_keepalive started",
        "goroutine_pileup_logging skipped",
    ]
    assert started[0].at == datetime(2026, 1, 1, 0, 1, tzinfo=UTC)


def _br(ref, i, verdict, target):
    r = CheckResult("x", Verdict(verdict), verdict, {}, {}, (), datetime.now(UTC), 0.0, {})
    return BlockResult(ref, i, r, target)


def test_suggestion_rules(multi):
    node = multi.node("walkmulti#both")
    ref = node.ref
    # warn maps to nothing in block 0: the deciding verdict is unmapped, so no suggestion.
    assert suggest(node, [_br(ref, 0, "warn", None), _br(ref, 1, "ok", "walkmulti#fine")]) is None
    # Equal severity pointing to different choices: the first block wins, flagged contested.
    s = suggest(node, [_br(ref, 0, "fail", "walkmulti#diverge"), _br(ref, 1, "fail", "walkmulti#race")])
    assert (s.target, s.contested) == ("walkmulti#diverge", True)
    # unknown never outvotes a measurement ...
    s = suggest(node, [_br(ref, 0, "unknown", "walkmulti#fine"), _br(ref, 1, "ok", "walkmulti#fine")])
    assert (s.target, s.block) == ("walkmulti#fine", 1)
    # ... and suggests only when every block is unknown (and all have run).
    partial = [_br(ref, 0, "unknown", "walkmulti#fine")]
    assert suggest(node, partial) is None
    every = [_br(ref, i, "unknown", "walkmulti#fine" if i == 0 else None) for i in range(3)]
    assert suggest(node, every).target == "walkmulti#fine"
