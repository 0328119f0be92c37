"""grpc_unavailable_fallback against a real grpcio health server and Python caller services."""

import asyncio
import contextlib
import threading
import time
import urllib.request

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbook.checks.base import Verdict
from runbook.checks.runner import run_check
from runbook.parsers.prom_select import select_sum
from tests.fixtures.grpc_server import NOT_SERVING, SERVING
from tests.fixtures.proc import free_port

PAYMENTS = "payments.v1.Payments"
FALLBACK = {"fallback_header": "X-Fallback: ^true$"}


async def test_health_states(grpc_health_factory):
    server = grpc_health_factory({"": SERVING, PAYMENTS: NOT_SERVING})
    closed = f"127.0.0.1:{free_port()}"
    states = {}
    for name, target, service in [
        ("serving", server.target, ""),
        ("not_serving", server.target, PAYMENTS),
        ("not_found", server.target, "nope.v1.Nope"),
        ("unavailable", closed, ""),
    ]:
        r = await run_check("grpc_unavailable_fallback", {"downstream": target, "health_service": service}, timeout_s=5)
        assert r.verdict is Verdict.UNKNOWN  # no caller: nothing was exercised
        assert r.error == "nothing exercised: no caller_url or caller_metrics_url given"
        states[name] = r.figures["downstream_state"]
    assert states == {
        "serving": "SERVING",
        "not_serving": "NOT_SERVING",
        "not_found": "NOT_FOUND",
        "unavailable": "UNAVAILABLE",
    }


async def test_active_probe_fallback_ok_and_500_fail(grpc_health_factory, caller_factory):
    server = grpc_health_factory()
    good = caller_factory(server.target, "fallback")
    bad = caller_factory(server.target, "error")
    server.stop()  # the downstream is down: callers now get UNAVAILABLE
    ok = await run_check(
        "grpc_unavailable_fallback",
        {
            "downstream": server.target,
            "caller_url": good.url + "/call",
            "active_requests": 4,
            **FALLBACK,
        },
        timeout_s=10,
    )
    assert ok.verdict is Verdict.OK, ok.summary
    assert ok.figures["downstream_state"] == "UNAVAILABLE"
    assert (ok.figures["active_fallback"], ok.figures["active_error"]) == (4, 0)
    fail = await run_check(
        "grpc_unavailable_fallback",
        {
            "downstream": server.target,
            "caller_url": bad.url + "/call",
            "active_requests": 4,
            **FALLBACK,
        },
        timeout_s=10,
    )
    assert fail.verdict is Verdict.FAIL
    assert fail.figures["active_error"] == 4
    assert "4 of 4 caller requests failed while the downstream was UNAVAILABLE (HTTP 500)" in fail.summary
    # #18: the deciding excerpt puts the health answer next to what the caller answered meanwhile
    (deciding,) = fail.deciding
    lines = deciding.text.splitlines()
    assert lines[0].startswith(f"grpc.health.v1.Health/Check('') on {server.target}: UNAVAILABLE")
    assert lines[1] == "caller requests: 0 fallback, 4 error, 0 normal of 4; first error: HTTP 500"
    assert ok.deciding[0].text.splitlines()[1] == "caller requests: 4 fallback, 0 error, 0 normal of 4"


async def test_active_probe_skipped_while_serving_is_unknown(grpc_health_factory, caller_factory):
    server = grpc_health_factory()
    good = caller_factory(server.target, "fallback")
    r = await run_check(
        "grpc_unavailable_fallback",
        {"downstream": server.target, "caller_url": good.url + "/call", **FALLBACK},
        timeout_s=5,
    )
    assert r.verdict is Verdict.UNKNOWN
    assert r.summary == "downstream SERVING; fallback not exercised: downstream not down"


def _traffic(url: str, stop: threading.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=1).read()
        time.sleep(0.05)


async def _metrics_run(server, caller):
    params = {
        "downstream": server.target,
        "caller_metrics_url": caller.url + "/metrics",
        "window_s": 1.5,
        "fallback_selector": "caller_fallback_total",
        "errors_selector": 'caller_http_responses_total{code="500"}',
    }
    stop = threading.Event()
    t = threading.Thread(target=_traffic, args=(caller.url + "/call", stop), daemon=True)
    t.start()
    try:
        return await run_check("grpc_unavailable_fallback", params, timeout_s=8)
    finally:
        stop.set()
        t.join()


async def test_metrics_deltas_ok_warn_fail(grpc_health_factory, caller_factory):
    server = grpc_health_factory()
    callers = [caller_factory(server.target, mode) for mode in ("fallback", "flaky", "error")]
    server.stop()
    ok, warn, fail = await asyncio.gather(*(_metrics_run(server, c) for c in callers))
    assert ok.verdict is Verdict.OK, ok.summary
    assert ok.figures["unavailable_delta"] > 0
    # a request may sit between its two increments at scrape time: allow one
    assert ok.figures["unavailable_delta"] - 1 <= ok.figures["fallback_delta"] <= ok.figures["unavailable_delta"] + 1
    assert warn.verdict is Verdict.WARN, warn.summary
    assert 0 < warn.figures["fallback_delta"] < warn.figures["unavailable_delta"]
    assert fail.verdict is Verdict.FAIL, fail.summary
    assert fail.figures["fallback_delta"] == 0 and fail.figures["caller_errors_delta"] > 0


async def test_bad_params_are_reported():
    r = await run_check("grpc_unavailable_fallback", {"downstream": "x:1", "caller_metrics_url": "http://x"})
    assert r.verdict is Verdict.UNKNOWN
    assert "caller_metrics_url needs fallback_selector" in r.summary


# --- the counter selector used on caller /metrics pages (outside input) ---


def test_select_sum_matches_label_subsets():
    page = (
        "# TYPE grpc_client_handled_total counter\n"
        'grpc_client_handled_total{grpc_method="Check",grpc_code="Unavailable"} 3\n'
        'grpc_client_handled_total{grpc_method="Get",grpc_code="Unavailable"} 2 1700000000000\n'
        'grpc_client_handled_total{grpc_method="Check",grpc_code="OK"} 10\n'
        "grpc_client_handled_total_created 1.7e9\n"
        "caller_fallback_total 4\n"
    )
    assert select_sum(page, 'grpc_client_handled_total{grpc_code="Unavailable"}') == 5
    assert select_sum(page, "grpc_client_handled_total") == 15
    assert select_sum(page, "caller_fallback_total") == 4
    assert select_sum(page, 'caller_fallback_total{x="y"}') is None


@given(st.text(max_size=400))
def test_select_sum_never_raises_on_any_page(page):
    got = select_sum(page, 'x_total{code="500"}')
    assert got is None or isinstance(got, float)


@given(st.lists(st.tuples(st.sampled_from(["Unavailable", "OK", 'a\\"b']), st.integers(0, 10**6)), max_size=20))
def test_select_sum_adds_matching_series(series):
    page = "\n".join(f'm_total{{code="{c}",i="{i}"}} {v}' for i, (c, v) in enumerate(series))
    want = sum(v for c, v in series if c == "Unavailable")
    got = select_sum(page, 'm_total{code="Unavailable"}')
    assert got == (want if any(c == "Unavailable" for c, _ in series) else None)


@pytest.mark.parametrize("kind", ["no_synack", "silent", "drip", "garbage", "reset"])
async def test_hostile_caller_times_out_as_errors_or_unknown(hostile, kind):
    closed = f"127.0.0.1:{free_port()}"  # the downstream is down
    t0 = time.monotonic()
    r = await run_check(
        "grpc_unavailable_fallback",
        {
            "downstream": closed,
            "caller_url": hostile.url(kind, "/call"),
            "active_requests": 2,
            "deadline_ms": 100,
            **FALLBACK,
        },
        timeout_s=1.5,
    )
    assert time.monotonic() - t0 < 1.6
    # a caller that hangs or breaks while its downstream is down is the failure R7 is about
    assert r.verdict is Verdict.FAIL, (kind, r.summary)
    assert r.figures["active_error"] == 2


async def test_silent_downstream_counts_as_down(hostile, grpc_health_factory, caller_factory):
    server = grpc_health_factory()
    good = caller_factory(server.target, "fallback")
    server.stop()
    silent = hostile.url("silent").removeprefix("http://").rstrip("/")  # accepts TCP, never speaks HTTP/2
    t0 = time.monotonic()
    r = await run_check(
        "grpc_unavailable_fallback",
        {"downstream": silent, "deadline_ms": 300, "caller_url": good.url + "/call", "active_requests": 2, **FALLBACK},
        timeout_s=5,
    )
    assert r.figures["downstream_state"] in ("DEADLINE_EXCEEDED", "UNAVAILABLE")
    assert r.verdict is Verdict.OK, r.summary
    assert time.monotonic() - t0 < 3
