"""trace_header_canonicalization against real nginx (underscore headers dropped by default)
and a header-echo service with case-sensitive lookups."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from runbook.checks.base import Verdict
from runbook.checks.catalog.trace_headers import (
    canonical_header_key,
    default_variants,
    lost_at,
)
from runbook.checks.runner import run_check


async def test_nginx_with_underscores_allowed_is_ok(nginx):
    r = await run_check("trace_header_canonicalization", {"entry_url": nginx.url("/entry-trace", "trace_ok")})
    assert r.verdict is Verdict.OK, r.summary
    assert r.figures["propagated"] == "X-Trace-ID, X-Trace-Id, x-trace-id, X_Trace_ID"
    assert r.figures["lost"] == ""


async def test_nginx_default_drops_underscore_spelling_at_the_entry(nginx):
    entry, inner = nginx.url("/entry-trace"), nginx.url("/", "echo_ok")
    r = await run_check("trace_header_canonicalization", {"entry_url": entry, "hop_urls": [inner]})
    assert r.verdict is Verdict.FAIL, r.summary
    assert r.figures["lost"] == "X_Trace_ID"
    assert r.figures["lost_at"] == f"X_Trace_ID at entry ({entry})"
    assert r.summary.startswith("3 of 4 spellings reach the echo endpoint: X_Trace_ID lost at entry")
    # #18: the deciding excerpt is the spelling x hop matrix: the underscore one lost at the entry
    (deciding,) = r.deciding
    lines = deciding.text.splitlines()
    assert lines[:2] == [f"hop 0: {entry}", f"hop 1: {inner}"]
    assert "  X_Trace_ID: hop 0 LOST, hop 1 echoed" in lines  # the inner hop alone allows underscores
    assert sum(ln.endswith("hop 0 echoed, hop 1 echoed") for ln in lines) == 3


async def test_echo_service_itself_drops_underscores(nginx):
    r = await run_check("trace_header_canonicalization", {"entry_url": nginx.url("/", "echo")})
    assert r.verdict is Verdict.FAIL
    assert r.figures["lost_at"].startswith("X_Trace_ID at entry")


async def test_case_sensitive_header_map_loses_other_spellings(header_echo):
    r = await run_check("trace_header_canonicalization", {"entry_url": header_echo.url("/map")})
    assert r.verdict is Verdict.FAIL
    # proves the exact case went over the wire: only the byte-identical name matched
    assert r.figures["propagated"] == "X-Trace-ID"
    assert r.figures["lost"] == "X-Trace-Id, x-trace-id, X_Trace_ID"


async def test_never_echoed_without_a_working_control_is_unknown(header_echo):
    r = await run_check("trace_header_canonicalization", {"entry_url": header_echo.url("/go")})
    assert r.verdict is Verdict.UNKNOWN, r.summary
    assert r.summary.startswith("the trace ID was never echoed for any of 4 spellings")
    assert r.error == "never echoed; no control_url to prove the echo hop echoes"
    broken = await run_check(
        "trace_header_canonicalization", {"entry_url": header_echo.url("/go"), "control_url": header_echo.url("/go")}
    )
    assert broken.verdict is Verdict.UNKNOWN and broken.figures["control_echoed"] is False
    assert broken.error == "never echoed; the control request straight to the echo hop was not echoed either"


async def test_go_raw_lookup_in_front_of_a_working_echo_fails(header_echo):
    """R11's own mechanism: a Go service looks up r.Header["X-Trace-ID"] (never found, every
    spelling is canonicalised to X-Trace-Id) and forwards nothing; the echo hop behind it works."""
    r = await run_check(
        "trace_header_canonicalization",
        {"entry_url": header_echo.url("/forward-go"), "control_url": header_echo.url("/any")},
    )
    assert r.verdict is Verdict.FAIL, r.summary
    assert r.figures["control_echoed"] is True and r.figures["propagated"] == ""
    assert r.summary.startswith("the trace ID is lost for all 4 spellings between the entry and the echo hop")


def test_go_canonicalization_and_variants():
    assert canonical_header_key("X-Trace-ID") == "X-Trace-Id"
    assert canonical_header_key("x-b3-traceid") == "X-B3-Traceid"
    assert canonical_header_key("bad key") == "bad key"
    assert default_variants("X-Trace-ID") == ["X-Trace-ID", "X-Trace-Id", "x-trace-id", "X_Trace_ID"]
    assert default_variants("x-request-id") == ["x-request-id", "X-Request-Id", "x_request_id"]
    assert lost_at([True, True]) is None
    assert lost_at([False, True, True]) == 0
    assert lost_at([False, False, True]) == 1
    assert lost_at([False, False]) == 1


@given(st.text(alphabet="abcXYZ-_09", min_size=1, max_size=20))
def test_property_canonicalization_is_idempotent_and_case_insensitive(name):
    once = canonical_header_key(name)
    assert canonical_header_key(once) == once
    assert once.lower() == name.lower()
