"""registry_consistency: two real etcd clusters, Consul stub datacenters, and the hashing rules."""

import asyncio
import hashlib
import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbook.checks.base import Verdict
from runbook.checks.catalog._registry_snapshot import (
    Snapshot,
    consul_records,
    diff,
    etcd_identity,
    etcd_record,
    leaf_hash,
    merkle_root,
)
from runbook.checks.runner import run_check
from tests.fixtures.consul_stub import consul_entry


def _register(server, prefix, instances, ttl=30):
    lease = server.grant(ttl)  # each cluster has its own lease IDs: they must not count as drift
    for sid, value in instances.items():
        server.put(prefix + sid, json.dumps(value), lease)


INSTANCES = {
    "i-1": {"addr": "10.0.0.1", "port": 8080, "meta": {"zone": "a", "last_seen": "1"}},
    "i-2": {"addr": "10.0.0.2", "port": 8080, "meta": {"zone": "b", "last_seen": "2"}},
    "i-3": {"addr": "10.0.0.3", "port": 8080, "meta": {"zone": "c", "last_seen": "3"}},
}


async def test_two_etcd_clusters_agree(etcd_pair, unique_prefix):
    a, b = etcd_pair
    _register(a, unique_prefix, INSTANCES)
    later = {k: {**v, "meta": {**v["meta"], "last_seen": "99"}} for k, v in INSTANCES.items()}
    _register(b, unique_prefix, later)  # only a volatile heartbeat field differs
    result = await run_check(
        "registry_consistency",
        {
            "clusters": {"a": a.url, "b": b.url},
            "prefix": unique_prefix,
            "repeats": 2,
            "gap_s": 0.2,
        },
        timeout_s=10,
    )
    assert result.verdict is Verdict.OK, result.summary
    assert result.figures["root_a"] == result.figures["root_b"]
    assert result.figures["count_a"] == 3 and result.figures["repeats"] == 2


async def test_persistent_drift_between_etcd_clusters_fails(etcd_pair, unique_prefix):
    a, b = etcd_pair
    _register(a, unique_prefix, INSTANCES)
    drifted = {"i-1": INSTANCES["i-1"], "i-2": {**INSTANCES["i-2"], "port": 9090}}
    _register(b, unique_prefix, drifted)
    result = await run_check(
        "registry_consistency",
        {
            "clusters": {"a": a.url, "b": b.url},
            "prefix": unique_prefix,
            "repeats": 2,
            "gap_s": 0.2,
            "min_persist_s": 0.2,  # nothing syncs these two clusters: the drift is permanent
        },
        timeout_s=10,
    )
    assert result.verdict is Verdict.FAIL, result.summary
    assert result.summary.startswith("registries diverge in every repeat over 0s: a vs b:")
    assert result.figures["diff"] == "a vs b: only_in_a=[i-3] differ=[i-2 (port)]"
    assert result.figures["differing_instances"] == 2
    assert result.figures["root_a"] != result.figures["root_b"]
    # #18: the deciding excerpt shows the roots differ in both repeats, and the differing field's values
    (deciding,) = result.deciding
    lines = deciding.text.splitlines()
    assert [ln.split(":")[0] for ln in lines[:2]] == ["repeat 1", "repeat 2"]
    assert all(f"a root={result.figures['root_a']}" in ln and "count=3" in ln for ln in lines[:2])
    assert lines[2] == "a vs b: only_in_a=[i-3] differ=[i-2 (port)]"
    assert lines[3:] == ["  i-2 in a: {'port': 8080}", "  i-2 in b: {'port': 9090}"]


async def test_drift_that_heals_between_repeats_warns(etcd_pair, unique_prefix):
    a, b = etcd_pair
    _register(a, unique_prefix, INSTANCES)
    _register(b, unique_prefix, {k: INSTANCES[k] for k in ("i-1", "i-2")})

    async def catch_up():
        await asyncio.sleep(0.5)  # the "sync job" copies i-3 during the gap
        await asyncio.to_thread(_register, b, unique_prefix, {"i-3": INSTANCES["i-3"]})

    result, _ = await asyncio.gather(
        run_check(
            "registry_consistency",
            {
                "clusters": {"a": a.url, "b": b.url},
                "prefix": unique_prefix,
                "repeats": 2,
                "gap_s": 1.0,
            },
            timeout_s=10,
        ),
        catch_up(),
    )
    assert result.verdict is Verdict.WARN, result.summary
    assert result.figures["diverged_repeats"] == 1
    assert "propagation lag" in result.summary


async def test_replication_lag_over_two_close_repeats_is_not_divergence(etcd_pair, unique_prefix):
    """A sync job copies i-3 to b 3 s after it appears on a: two snapshots 1 s apart both see
    the same diff. That is replication lag until the diff has held for min_persist_s (60 s)."""
    a, b = etcd_pair
    _register(a, unique_prefix, INSTANCES)
    _register(b, unique_prefix, {k: INSTANCES[k] for k in ("i-1", "i-2")})

    async def sync_job():
        await asyncio.sleep(3.0)
        await asyncio.to_thread(_register, b, unique_prefix, {"i-3": INSTANCES["i-3"]})

    result, _ = await asyncio.gather(
        run_check(
            "registry_consistency",
            {"clusters": {"a": a.url, "b": b.url}, "prefix": unique_prefix, "repeats": 2, "gap_s": 1.0},
            timeout_s=10,
        ),
        sync_job(),
    )
    assert result.verdict is Verdict.WARN, result.summary
    assert result.figures["diverged_repeats"] == 2 and 0.9 < result.figures["span_s"] < 3
    assert result.thresholds["min_persist_s"] == 60
    assert "replication lag not ruled out: a vs b: only_in_a=[i-3]" in result.summary


def _dc(dc, overrides=None, drop=()):
    entries = []
    for n, sid in enumerate(("pay-1", "pay-2", "pay-3"), start=1):
        if sid in drop:
            continue
        kw = {"dc": dc, "index": 10 * n + (5 if dc == "dc2" else 0), **(overrides or {}).get(sid, {})}
        entries.append(consul_entry("payments", sid, f"10.1.0.{n}", 7000, **kw))
    return {"payments": entries}


async def test_consul_datacenters_identical_ok(consul_stub_factory):
    dc1 = consul_stub_factory("dc1", _dc("dc1"))
    dc2 = consul_stub_factory("dc2", _dc("dc2"))  # other node IDs, indexes, check output
    result = await run_check(
        "registry_consistency",
        {
            "clusters": {"dc1": dc1.url, "dc2": dc2.url},
            "source": "consul",
            "service": "payments",
            "repeats": 2,
            "gap_s": 0.1,
            "token": "s3cr3t-token",
        },
        timeout_s=5,
    )
    assert result.verdict is Verdict.OK, result.summary
    assert result.figures["index_dc1"] == "100"
    assert dc1.requests == ["/v1/health/service/payments?stale"] * 2
    assert result.params["token"] == "***"


async def test_consul_datacenters_differing_in_one_instance_fail(consul_stub_factory):
    dc1 = consul_stub_factory("dc1", _dc("dc1"))
    dc2 = consul_stub_factory("dc2", _dc("dc2", overrides={"pay-2": {"status": "critical"}}))
    result = await run_check(
        "registry_consistency",
        {
            "clusters": {"dc1": dc1.url, "dc2": "consul+" + dc2.url},
            "source": "consul",
            "service": "payments",
            "repeats": 2,
            "gap_s": 0.1,
            "min_persist_s": 0.1,
        },
        timeout_s=5,
    )
    assert result.verdict is Verdict.FAIL
    assert result.figures["diff"] == "dc1 vs dc2: differ=[pay-2 (status)]"


async def test_consul_without_leader_warns(consul_stub_factory):
    dc1 = consul_stub_factory("dc1", _dc("dc1"))
    dc2 = consul_stub_factory("dc2", _dc("dc2"))
    dc2.known_leader = False
    result = await run_check(
        "registry_consistency",
        {
            "clusters": {"dc1": dc1.url, "dc2": dc2.url},
            "source": "consul",
            "service": "payments",
            "repeats": 1,
        },
        timeout_s=5,
    )
    assert result.verdict is Verdict.WARN
    assert "dc2: X-Consul-KnownLeader false" in result.summary


async def test_unreachable_cluster_is_unknown(etcd_pair, unique_prefix):
    result = await run_check(
        "registry_consistency",
        {
            "clusters": {"a": etcd_pair[0].url, "b": "http://127.0.0.1:9"},
            "prefix": unique_prefix,
        },
        timeout_s=3,
    )
    assert result.verdict is Verdict.UNKNOWN
    assert "connection refused by 127.0.0.1:9" in result.summary


def test_hashing_follows_the_reference():
    rec = {"addr": "10.0.0.1", "port": 80}
    expected = hashlib.sha256(b'i-1\x00{"addr":"10.0.0.1","port":80}').digest()
    assert leaf_hash("i-1", rec) == expected
    assert merkle_root({}) == hashlib.sha256(b"").digest()
    assert merkle_root({"i-1": expected}) == expected
    l1, l2, l3 = (hashlib.sha256(x).digest() for x in (b"1", b"2", b"3"))
    h12 = hashlib.sha256(l1 + l2).digest()
    h33 = hashlib.sha256(l3 + l3).digest()
    assert merkle_root({"c": l3, "a": l1, "b": l2}) == hashlib.sha256(h12 + h33).digest()


_records = st.dictionaries(
    st.text(min_size=1, max_size=6),
    st.fixed_dictionaries({"port": st.integers(0, 3), "addr": st.sampled_from(["x", "y"])}),
    max_size=30,
)


@given(_records, _records)
def test_bucketed_diff_equals_naive_diff(a, b):
    d = diff(Snapshot("a", a), Snapshot("b", b))
    assert set(d.only_in_reference) == set(a) - set(b)
    assert set(d.only_in_other) == set(b) - set(a)
    assert set(d.differ) == {k for k in set(a) & set(b) if a[k] != b[k]}
    assert d.empty == (Snapshot("a", a).root == Snapshot("b", b).root)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=15,
)


@given(_json)
def test_any_consul_reply_gives_records_or_value_error(data):
    try:
        records = consul_records(data, "service_id", ())
    except ValueError:
        return
    for rec in records.values():
        leaf_hash("x", rec)  # every canonical record is hashable JSON


@given(st.binary(max_size=200), st.sampled_from(["service_id", "addr_port"]))
def test_any_etcd_value_gives_a_record(value, identity):
    rec = etcd_record(value, ("last_seen",))
    assert isinstance(etcd_identity("/p/k", "/p/", rec, identity), str)
    leaf_hash("k", rec)


HOSTILE = ["no_synack", "silent", "stall_body", "drip", "huge_declared", "garbage", "reset", "ok"]


@pytest.mark.parametrize("kind", HOSTILE)
async def test_hostile_registries_are_unknown_within_the_deadline(hostile, etcd_pair, unique_prefix, kind):
    for params in (
        {"clusters": {"a": etcd_pair[0].url, "b": hostile.url(kind).rstrip("/")}, "prefix": unique_prefix},
        {
            "clusters": {"a": hostile.url(kind).rstrip("/"), "b": hostile.url(kind).rstrip("/")},
            "source": "consul",
            "service": "payments",
        },
    ):
        t0 = time.monotonic()
        r = await run_check("registry_consistency", {**params, "repeats": 1}, timeout_s=1.0, max_bytes=64 * 1024)
        assert time.monotonic() - t0 < 1.1
        assert r.verdict is Verdict.UNKNOWN, (kind, r.summary)
        assert r.error


@pytest.mark.parametrize("kind", HOSTILE)
async def test_hostile_etcd_is_unknown_within_the_deadline(hostile, kind):
    t0 = time.monotonic()
    r = await run_check(
        "etcd_lease_keepalive",
        {"etcd_url": hostile.url(kind).rstrip("/"), "prefix": "/x/"},
        timeout_s=1.0,
        max_bytes=64 * 1024,
    )
    assert time.monotonic() - t0 < 1.1
    assert r.verdict is Verdict.UNKNOWN, (kind, r.summary)


async def test_identity_addr_port_matches_instances_registered_under_other_ids(consul_stub_factory):
    dc1 = consul_stub_factory("dc1", _dc("dc1"))
    renamed = _dc("dc2")
    for e in renamed["payments"]:
        e["Service"]["ID"] = "dc2-" + e["Service"]["ID"]  # same instances, other service IDs
    dc2 = consul_stub_factory("dc2", renamed)
    base = {
        "clusters": {"dc1": dc1.url, "dc2": dc2.url},
        "source": "consul",
        "service": "payments",
        "repeats": 1,
        "min_persist_s": 0,  # one snapshot of stub datacenters that never sync
    }
    by_id = await run_check("registry_consistency", base, timeout_s=5)
    assert by_id.verdict is Verdict.FAIL
    assert by_id.figures["differing_instances"] == 6
    by_addr = await run_check("registry_consistency", {**base, "identity": "addr_port"}, timeout_s=5)
    assert by_addr.verdict is Verdict.OK, by_addr.summary
