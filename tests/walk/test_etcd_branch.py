"""etcd's own health before blaming the clients, walked on the shipped P0-1 playbook against
real etcd: a member that refuses writes (NOSPACE) ends at the escalation, not at a rule; a
healthy member with a correct registrar concludes nothing."""

from __future__ import annotations

import urllib.error
from pathlib import Path

import pytest

from runbook.walk.autopilot import autopilot
from runbook.walk.state import StopReason

GOOD_GO = str(Path(__file__).parents[1] / "checks" / "go_samples" / "good")
QUOTA = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def nospace_etcd(etcd_factory):
    """An etcd with a 2 MiB backend quota, written to until it raises the NOSPACE alarm."""
    server = etcd_factory("walk-nospace", extra_args=("--quota-backend-bytes", str(QUOTA)))
    for n in range(200):
        try:
            server.put(f"/fill/{n:04d}", "x" * 100_000)
        except urllib.error.HTTPError as exc:
            assert b"database space exceeded" in exc.read()
            return server
    pytest.fail("etcd never refused a write with a 2 MiB quota")


async def walk_from_etcd_health(make_engine, shipped_library, etcd_url: str):
    engine = make_engine(shipped_library)
    engine.create_incident("instances vanish", variables={"etcd_url": etcd_url, "source_path": GOOD_GO})
    engine.start("p0-1-discovery")
    engine.choose("lease-health")
    engine.choose("etcd-health")  # a person skips the lease window: the leases are known to vanish
    return engine, await autopilot(engine)


async def test_nospace_etcd_is_escalated_not_blamed_on_the_clients(make_engine, shipped_library, nospace_etcd):
    engine, stop = await walk_from_etcd_health(make_engine, shipped_library, nospace_etcd.url)
    check = engine.results_at(engine.active_path[-2])[0].result
    assert check.check_type == "etcd_health" and check.verdict.value == "fail", check.summary
    assert stop.reason == StopReason.UNEXPLAINED and stop.exit_code == 4
    assert stop.ref == "p0-1-discovery#etcd-sick"
    assert [c.rules for c in engine.conclusions] == [()]
    assert "escalate to the etcd operators (platform team)" in stop.detail


async def test_healthy_etcd_and_a_correct_registrar_conclude_nothing(make_engine, shipped_library, etcd_server):
    engine, stop = await walk_from_etcd_health(make_engine, shipped_library, etcd_server.url)
    verdicts = [(s.ref, r.result.verdict.value) for s in engine.active_path for r in engine.results_at(s)]
    assert verdicts == [("p0-1-discovery#etcd-health", "ok"), ("p0-1-discovery#keepalive-code", "ok")]
    assert stop.reason == StopReason.QUESTION and stop.ref == "p0-1-discovery#keepalive-logs"
    assert engine.conclusions == ()
