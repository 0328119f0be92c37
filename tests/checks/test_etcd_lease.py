"""etcd_lease_keepalive against a real etcd 3.4: kept-alive, never-renewed and late-renewed leases.

The three lease scenarios run side by side on one server (separate prefixes) so the whole
module costs one observation window.
"""

import asyncio
import time

from runbook.checks.base import Verdict
from runbook.checks.runner import run_check
from tests.fixtures.etcd_server import LeaseKeeper


def _params(server, prefix, **extra):
    # the test machine's disk is shared with other suites: WAL fsync latency is not under test here
    return {
        "etcd_url": server.url,
        "prefix": prefix,
        "duration_s": 5.0,
        "poll_s": 0.25,
        "wal_fsync_p99_warn_s": 5.0,
        **extra,
    }


async def test_healthy_expiring_and_late_leases(etcd_server):
    srv = etcd_server
    healthy, expiring, late = "/t/ok/", "/t/expire/", "/t/late/"
    lease_ok = srv.grant(6)  # renewed every TTL/3, like clientv3
    srv.put(healthy + "i-1", "10.0.0.1:80", lease_ok)
    srv.put(healthy + "i-2", "10.0.0.2:80", lease_ok)
    lease_dead = srv.grant(2)  # never kept alive: the key must vanish inside the window
    srv.put(expiring + "i-1", "10.0.0.3:80", lease_dead)
    lease_late = srv.grant(6)  # renewed every 0.75 x TTL: survives (1.5 s slack), but the TTL dips low
    srv.put(late + "i-1", "10.0.0.4:80", lease_late)
    with LeaseKeeper(srv, lease_ok, 2.0), LeaseKeeper(srv, lease_late, 4.5):
        ok, bad, warn = await asyncio.gather(
            run_check("etcd_lease_keepalive", _params(srv, healthy, expected_instances=2), timeout_s=10),
            run_check("etcd_lease_keepalive", _params(srv, expiring), timeout_s=10),
            run_check("etcd_lease_keepalive", _params(srv, late), timeout_s=10),
        )
    assert ok.verdict is Verdict.OK, ok.summary
    assert ok.figures["instances_min"] == 2 and ok.figures["vanished_keys"] == 0
    assert ok.figures["min_ttl_ratio"] >= 0.5  # etcd truncates TTLs to whole seconds
    assert ok.figures["polls"] >= 10
    assert ok.figures["lease_renewed_delta"] >= 2  # /metrics was scraped before and after

    assert bad.verdict is Verdict.FAIL, bad.summary
    assert bad.figures["expired_leases"] == 1
    assert bad.figures["vanished_keys"] == 1
    assert bad.figures["lease_expiry_deletes"] == 1  # seen on the watch stream with prev_kv.lease
    assert "vanished (/t/expire/i-1)" in bad.summary
    assert any(e.label == "event" and "watch DELETE /t/expire/i-1" in e.text for e in bad.evidence)
    # #18: the deciding excerpt names the vanished key, its lease and revisions, and the lease's fate
    (deciding,) = bad.deciding
    key_line = next(ln for ln in deciding.text.splitlines() if ln.startswith("  /t/expire/i-1 "))
    assert f"lease {int(lease_dead):x} created at revision " in key_line
    assert ", deleted at revision " in key_line and key_line.endswith(": expired")
    assert f"  lease {int(lease_dead):x} expired (ran down unrenewed), granted 2s" in deciding.text
    assert "/t/ok/" not in deciding.text
    assert ok.deciding[0].text.startswith("0 key(s) vanished under /t/ok/")
    assert f"  /t/ok/i-1 lease {int(lease_ok):x} created at revision " in ok.deciding[0].text

    assert warn.verdict is Verdict.WARN, warn.summary
    assert warn.figures["min_ttl_ratio"] < 1 / 3
    assert warn.figures["vanished_keys"] == 0
    assert "missed keepalive" in warn.summary


async def test_flap_and_lost_instances_fail(etcd_server, unique_prefix):
    srv = etcd_server
    lease = srv.grant(10)
    srv.put(unique_prefix + "i-1", "a", lease)
    srv.put(unique_prefix + "i-2", "b", lease)

    async def flap():
        await asyncio.sleep(0.8)
        await asyncio.to_thread(srv.delete, unique_prefix + "i-1")
        await asyncio.sleep(0.6)
        await asyncio.to_thread(srv.put, unique_prefix + "i-1", "a", lease)

    params = _params(srv, unique_prefix, duration_s=2.5, expected_instances=2)
    result, _ = await asyncio.gather(run_check("etcd_lease_keepalive", params, timeout_s=8), flap())
    assert result.verdict is Verdict.FAIL
    assert result.figures["recreated_keys"] == 1
    assert result.figures["instances_min"] == 1
    assert "instances dropped to 1 < expected 2" in result.summary


async def test_keys_without_lease_warn(etcd_server, unique_prefix):
    etcd_server.put(unique_prefix + "zombie", "10.0.0.9:80")
    result = await run_check("etcd_lease_keepalive", _params(etcd_server, unique_prefix, duration_s=1.0), timeout_s=5)
    assert result.verdict is Verdict.WARN
    assert result.figures["keys_without_lease"] == 1
    assert "without lease never expire" in result.summary


async def test_empty_prefix_and_unreachable_are_unknown(etcd_server, unique_prefix):
    empty = await run_check("etcd_lease_keepalive", _params(etcd_server, unique_prefix), timeout_s=5)
    assert empty.verdict is Verdict.UNKNOWN
    assert empty.error == "no keys under the prefix"
    t0 = time.monotonic()
    gone = await run_check("etcd_lease_keepalive", {"etcd_url": "http://127.0.0.1:9", "prefix": "/x/"}, timeout_s=3)
    assert gone.verdict is Verdict.UNKNOWN
    assert "connection refused by 127.0.0.1:9" in gone.summary
    assert time.monotonic() - t0 < 3.1


async def test_nothing_registered_but_expected_fails(etcd_server, unique_prefix):
    result = await run_check(
        "etcd_lease_keepalive", _params(etcd_server, unique_prefix, expected_instances=3, duration_s=0.5), timeout_s=5
    )
    assert result.verdict is Verdict.FAIL
    assert "instances dropped to 0 < expected 3" in result.summary


async def test_slow_wal_fsync_in_the_window_warns(etcd_server, unique_prefix):
    lease = etcd_server.grant(30)
    etcd_server.put(unique_prefix + "i-1", "a", lease)

    async def writes():
        for i in range(5):  # each put is a WAL fsync inside the window
            await asyncio.sleep(0.1)
            await asyncio.to_thread(etcd_server.put, unique_prefix + "other", str(i))

    params = _params(etcd_server, unique_prefix + "i", duration_s=1.0, wal_fsync_p99_warn_s=1e-9)
    result, _ = await asyncio.gather(run_check("etcd_lease_keepalive", params, timeout_s=5), writes())
    assert result.verdict is Verdict.WARN, result.summary
    assert result.figures["wal_fsync_p99_s"] > 0
    assert "slow disk" in result.summary


async def test_regrant_storm_warns(etcd_server, unique_prefix):
    """A client that grants a fresh lease for every "keepalive" keeps the key but storms the lessor."""
    etcd_server.put(unique_prefix + "i-1", "a", etcd_server.grant(10))

    async def storm():
        for _ in range(8):
            await asyncio.sleep(0.15)
            lease = await asyncio.to_thread(etcd_server.grant, 10)
            await asyncio.to_thread(etcd_server.put, unique_prefix + "i-1", "a", lease)

    params = _params(etcd_server, unique_prefix, duration_s=1.5)
    result, _ = await asyncio.gather(run_check("etcd_lease_keepalive", params, timeout_s=6), storm())
    assert result.verdict is Verdict.WARN, result.summary
    assert result.figures["lease_granted_delta"] >= 8 > result.thresholds["grant_storm_limit"]
    assert "(re-grant storm)" in result.summary
    assert result.figures["vanished_keys"] == 0


async def test_rolling_deploy_is_not_an_expiry_but_a_stopped_keepalive_is(etcd_server):
    """A graceful rolling deploy revokes old leases (prev_kv.lease is set on those deletes too)
    and registers new instance ids: no fail. A client that stops renewing past its TTL still fails."""
    srv = etcd_server
    deploy, stopped = "/t/rolling/", "/t/stopped/"
    old = {f"i-{n}": srv.grant(6) for n in (1, 2)}
    for name, lease in old.items():
        srv.put(deploy + name, f"10.0.1.{name[-1]}:80", lease)
    lease_stop = srv.grant(2)
    srv.put(stopped + "i-1", "10.0.2.1:80", lease_stop)
    keepers = [LeaseKeeper(srv, lease, 2.0).start() for lease in old.values()]
    stop_keeper = LeaseKeeper(srv, lease_stop, 0.6).start()

    async def roll():
        await asyncio.sleep(0.8)
        await asyncio.to_thread(stop_keeper.stop)  # the stopped client: its key must expire ~2 s later
        for n, lease in enumerate(old.values(), start=3):
            new_lease = await asyncio.to_thread(srv.grant, 6)  # the new pod registers first (surge)...
            keepers.append(LeaseKeeper(srv, new_lease, 2.0).start())
            await asyncio.to_thread(srv.put, deploy + f"i-{n}", f"10.0.1.{n}:80", new_lease)
            await asyncio.sleep(0.5)
            await asyncio.to_thread(keepers[n - 3].stop)  # ...then the old one shuts down gracefully
            await asyncio.to_thread(srv.revoke, lease)
            await asyncio.sleep(0.5)

    try:
        deployed, dead, _ = await asyncio.gather(
            run_check("etcd_lease_keepalive", _params(srv, deploy, expected_instances=2), timeout_s=10),
            run_check("etcd_lease_keepalive", _params(srv, stopped), timeout_s=10),
            roll(),
        )
    finally:
        for keeper in keepers:
            keeper.stop()
    assert deployed.verdict is Verdict.OK, deployed.summary
    assert deployed.figures["revoked_leases"] == 2 and deployed.figures["expired_leases"] == 0
    assert deployed.figures["vanished_keys"] == 2 and deployed.figures["graceful_deletes"] == 2
    assert deployed.figures["delete_events"] == 2 and deployed.figures["lease_expiry_deletes"] == 0
    assert deployed.figures["instances_min"] == 2 and deployed.figures["instances_max"] == 3
    assert "2 key(s) deregistered gracefully (revoke/delete)" in deployed.summary
    assert any("revoked (TTL -1 with" in e.text for e in deployed.evidence)

    assert dead.verdict is Verdict.FAIL, dead.summary
    assert dead.figures["expired_leases"] == 1 and dead.figures["lease_expiry_deletes"] == 1
    assert "1 lease(s) expired (TTL ran down unrenewed); 1 key(s) vanished (/t/stopped/i-1)" in dead.summary
