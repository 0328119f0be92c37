"""dns_rr_effectiveness against real dnsmasq (rotates) and NSD (zone order)."""

import time

from runbook.checks.base import Verdict
from runbook.checks.runner import run_check
from tests.fixtures.proc import free_port_tcp_udp


def _params(server, name="orders.svc.test", **extra):
    return {"name": name, "nameserver": server.host, "port": server.port, "n": 12, "interval_s": 0, **extra}


async def test_dnsmasq_rotates_ok(dnsmasq_server):
    result = await run_check("dns_rr_effectiveness", _params(dnsmasq_server), timeout_s=10)
    assert result.verdict is Verdict.OK, result.summary
    assert result.figures["addresses"] == 3
    assert result.figures["distinct_orderings"] >= 3
    assert result.figures["top_first_share"] <= 0.5
    assert result.figures["ttl_s"] == 5


async def test_nsd_fixed_order_fails(nsd_server):
    result = await run_check("dns_rr_effectiveness", _params(nsd_server), timeout_s=10)
    assert result.verdict is Verdict.FAIL
    assert result.figures["distinct_orderings"] == 1
    assert result.figures["top_first_ip"] == "10.0.0.1"
    assert result.figures["first_share_10.0.0.1"] == 1.0
    assert "10.0.0.1 first every time" in result.summary


async def test_too_few_answers_only_warn(nsd_server):
    result = await run_check("dns_rr_effectiveness", _params(nsd_server, n=5), timeout_s=10)
    assert result.verdict is Verdict.WARN
    assert "10.0.0.1 first in 100% of answers (> 50%)" in result.summary


async def test_single_address_and_long_ttl_warn(dnsmasq_server, dnsmasq_factory):
    single = await run_check("dns_rr_effectiveness", _params(dnsmasq_server, "single.svc.test"), timeout_s=10)
    assert single.verdict is Verdict.WARN
    assert "a single address" in single.summary
    long_ttl = dnsmasq_factory({"cached.svc.test": ["10.2.0.1", "10.2.0.2"]}, ttl=300)
    result = await run_check("dns_rr_effectiveness", _params(long_ttl, "cached.svc.test"), timeout_s=10)
    assert result.verdict is Verdict.WARN
    assert result.figures["ttl_s"] == 300
    assert "TTL 300s > 60s" in result.summary


async def test_nxdomain_refused_and_silent_server_are_unknown(nsd_server, dnsmasq_server):
    missing = await run_check("dns_rr_effectiveness", _params(nsd_server, "nope.svc.test"), timeout_s=5)
    assert missing.verdict is Verdict.UNKNOWN
    assert missing.error == "nope.svc.test. does not exist (NXDOMAIN from 127.0.0.1)"
    refused = await run_check("dns_rr_effectiveness", _params(dnsmasq_server, "nope.example"), timeout_s=5)
    assert refused.verdict is Verdict.UNKNOWN
    assert refused.error.startswith(f"127.0.0.1:{dnsmasq_server.port} would not answer for nope.example.: ")
    assert "REFUSED" in refused.error
    t0 = time.monotonic()
    silent = await run_check(
        "dns_rr_effectiveness",
        {
            "name": "orders.svc.test",
            "nameserver": "127.0.0.1",
            "port": free_port_tcp_udp(),
            "n": 3,
            "query_timeout_s": 0.3,
        },
        timeout_s=2,
    )
    assert silent.verdict is Verdict.UNKNOWN
    assert "no answer from 127.0.0.1" in silent.summary
    assert time.monotonic() - t0 < 2.1


async def test_deciding_excerpt_is_every_answer_in_order(nsd_server, dnsmasq_server):
    """#18: the answers as the server ordered them: the same first address twelve times, or a rotation."""
    fixed = await run_check("dns_rr_effectiveness", _params(nsd_server), timeout_s=10)
    assert fixed.verdict is Verdict.FAIL
    (deciding,) = fixed.deciding
    lines = deciding.text.splitlines()
    assert lines[0] == f"12 answers for A orders.svc.test. @{nsd_server.host}:{nsd_server.port}, in order:"
    orders = [ln.split(": ", 1)[1].rsplit(" (TTL", 1)[0] for ln in lines[1:13]]
    assert len(orders) == 12 and all(o.startswith("10.0.0.1, ") for o in orders) and len(set(orders)) == 1
    assert lines[-1] == "first: 10.0.0.1 x12"
    rotating = await run_check("dns_rr_effectiveness", _params(dnsmasq_server), timeout_s=10)
    firsts = [ln.split(": ", 1)[1].split(",")[0] for ln in rotating.deciding[0].text.splitlines()[1:13]]
    assert len(set(firsts)) >= 2
    assert len(firsts) == 12
