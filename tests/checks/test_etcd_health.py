"""etcd_health against real etcd 3.4: a healthy member, and one whose small backend quota is
filled until etcd raises NOSPACE (writes refused: the clients are not the problem)."""

from __future__ import annotations

import urllib.error

import pytest

from runbook.checks.base import Verdict
from runbook.checks.catalog.etcd_health import DEFAULT_QUOTA_BYTES
from runbook.checks.runner import run_check

QUOTA = 2 * 1024 * 1024


async def test_healthy_etcd_is_ok(etcd_server):
    r = await run_check("etcd_health", {"etcd_url": etcd_server.url}, timeout_s=5)
    assert r.verdict is Verdict.OK, r.summary
    assert r.figures["leader"] and r.figures["alarms"] == ""
    assert r.figures["nospace"] is False and r.figures["corrupt"] is False
    # etcd 3.4 exports its quota; a default member has the 2 GiB default
    assert r.figures["quota_bytes"] == DEFAULT_QUOTA_BYTES
    assert r.figures["quota_source"] == "etcd_server_quota_backend_bytes"
    assert r.figures["db_size_bytes"] > 0 and r.figures["db_quota_ratio"] < 0.01
    assert r.summary.startswith("etcd 3.4")


@pytest.fixture(scope="module")
def full_etcd(etcd_factory):
    """An etcd with a 2 MiB backend quota, written to until it refuses with NOSPACE."""
    server = etcd_factory("nospace", extra_args=("--quota-backend-bytes", str(QUOTA)))
    for n in range(200):
        try:
            server.put(f"/fill/{n:04d}", "x" * 100_000)
        except urllib.error.HTTPError as exc:
            assert b"database space exceeded" in exc.read()
            break
    else:
        pytest.fail("etcd never refused a write with a 2 MiB quota")
    return server


async def test_nospace_alarm_fails(full_etcd):
    r = await run_check("etcd_health", {"etcd_url": full_etcd.url}, timeout_s=5)
    assert r.verdict is Verdict.FAIL, r.summary
    assert r.figures["nospace"] is True and r.figures["alarms"].startswith("NOSPACE@")
    assert r.figures["quota_bytes"] == QUOTA and r.figures["quota_source"] == "etcd_server_quota_backend_bytes"
    assert r.figures["db_quota_ratio"] >= 1.0
    assert r.summary.startswith(
        "etcd unhealthy: NOSPACE alarm: etcd refuses writes and lease grants until compacted, defragmented and "
        "disarmed; db "
    )


async def test_db_size_against_a_given_quota(etcd_server, full_etcd):
    """The quota parameter wins over the gauge: the healthy member's size against a quota it
    fills to 85% warns; the full one against 2 GiB still fails on its alarm, not on its size."""
    size = (await run_check("etcd_health", {"etcd_url": etcd_server.url}, timeout_s=5)).figures["db_size_bytes"]
    near = await run_check("etcd_health", {"etcd_url": etcd_server.url, "quota_bytes": int(size / 0.85)}, timeout_s=5)
    assert near.verdict is Verdict.WARN, near.summary
    assert near.figures["quota_source"] == "param" and "nearing the quota" in near.summary
    big = await run_check("etcd_health", {"etcd_url": full_etcd.url, "quota_bytes": DEFAULT_QUOTA_BYTES}, timeout_s=5)
    assert big.verdict is Verdict.FAIL and "at the quota" not in big.summary


async def test_unreachable_and_not_etcd_are_unknown(metrics_target):
    from tests.fixtures.metrics_targets import bad_histogram_registry

    gone = await run_check("etcd_health", {"etcd_url": "http://127.0.0.1:9"}, timeout_s=3)
    assert gone.verdict is Verdict.UNKNOWN and "connection refused by 127.0.0.1:9" in gone.summary
    target = metrics_target(bad_histogram_registry())
    other = await run_check("etcd_health", {"etcd_url": target.url.rsplit("/", 1)[0]}, timeout_s=3)
    assert other.verdict is Verdict.UNKNOWN, other.summary


async def test_deciding_excerpt_is_etcds_own_status_and_alarms(full_etcd, etcd_server):
    """#18: the NOSPACE alarm and the size against the quota, as etcd answered them."""
    r = await run_check("etcd_health", {"etcd_url": full_etcd.url}, timeout_s=5)
    assert r.verdict is Verdict.FAIL
    (deciding,) = r.deciding
    lines = deciding.text.splitlines()
    assert lines[-1].startswith("/v3/maintenance/alarm: [") and "'alarm': 'NOSPACE'" in lines[-1]
    assert f"  quota: {QUOTA} (etcd_server_quota_backend_bytes)" in lines
    size = next(ln for ln in lines if ln.startswith("  dbSize: "))
    assert int(size.split(": ")[1]) >= QUOTA * 0.9
    ok = await run_check("etcd_health", {"etcd_url": etcd_server.url}, timeout_s=5)
    assert "/v3/maintenance/alarm: no alarms" in ok.deciding[0].text
    assert any(ln.startswith("  leader: ") and ln != "  leader: 0" for ln in ok.deciding[0].text.splitlines())
