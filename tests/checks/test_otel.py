"""otel_orphan_spans against a traced two-service app and a Jaeger-compatible query API."""

from __future__ import annotations

from runbook.checks.base import Verdict
from runbook.checks.catalog.otel import analyse_trace
from runbook.checks.runner import run_check
from tests.fixtures.jaeger_stub import jaeger_trace_id


def _params(lab, **extra):
    return {"entry_url": lab.entry_url, "tracing_api": lab.api.url, "n": 3, "wait_s": 1.0, "poll_s": 0.1, **extra}


async def test_propagating_app_is_ok(trace_lab):
    lab = trace_lab("ok")
    result = await run_check("otel_orphan_spans", _params(lab, service="inventory"), timeout_s=10)
    assert result.verdict is Verdict.OK, result.summary
    assert result.figures["traces_found"] == 3 and result.figures["orphan_spans"] == 0
    assert result.figures["min_spans"] == result.figures["max_spans"] == 3
    assert any(
        "1 child(ren) of the injected parent" in e.text and "checkout, inventory" in e.text for e in result.evidence
    )


async def test_unexported_parent_span_leaves_an_orphan(trace_lab):
    lab = trace_lab("drop_parent")
    result = await run_check("otel_orphan_spans", _params(lab), timeout_s=10)
    assert result.verdict is Verdict.FAIL, result.summary
    assert result.figures["orphan_spans"] == 3
    assert "orphan span(s): GET /checkout (checkout) -> missing parent" in result.summary


async def test_bare_client_starts_new_root_traces(trace_lab):
    """New roots of a service during our requests: other traffic makes them too, so at most warn."""
    lab = trace_lab("new_root")
    result = await run_check("otel_orphan_spans", _params(lab, service="inventory"), timeout_s=10)
    assert result.verdict is Verdict.WARN, result.summary
    assert result.figures["new_roots"] == 3 and result.figures["orphan_spans"] == 0
    assert "new root trace(s) of inventory during the requests: GET /reserve" in result.summary


async def test_entry_that_ignores_traceparent_gives_missing_traces(trace_lab):
    lab = trace_lab("ok")
    # an endpoint that answers 200 but exports no span at all
    untraced = lab.api.url + "/api/traces?service=nobody"
    result = await run_check("otel_orphan_spans", {**_params(lab), "entry_url": untraced, "wait_s": 0.3}, timeout_s=10)
    # every trace missing: sampling, a dead collector or storage lag look the same
    assert result.verdict is Verdict.UNKNOWN, result.summary
    assert result.figures["traces_missing"] == 3
    assert result.error.startswith("none of the 3 traces reached")
    assert "head sampling, a dead collector, storage lag" in result.summary


async def test_not_a_jaeger_api_is_unknown(trace_lab):
    lab = trace_lab("ok")
    result = await run_check("otel_orphan_spans", {**_params(lab), "tracing_api": lab.checkout.url}, timeout_s=10)
    assert result.verdict is Verdict.UNKNOWN and "is not JSON" in result.summary


def test_jaeger_ids_without_leading_zeros_match():
    tid = int("00000000000000000abc000000000001", 16)
    assert jaeger_trace_id(tid) == "abc000000000001"
    trace = {
        "traceID": "abc000000000001",
        "processes": {"p1": {"serviceName": "a"}},
        "spans": [
            {
                "spanID": "00000000000000aa",
                "operationName": "x",
                "processID": "p1",
                "references": [{"refType": "CHILD_OF", "traceID": "abc000000000001", "spanID": "0000000000000001"}],
            }
        ],
    }
    f = analyse_trace(trace, "0000000000000001")
    assert f.orphans == () and f.children_of_injected == 1


async def test_deciding_excerpt_is_each_trace_with_its_orphans(trace_lab):
    """#18: every injected trace as the backend holds it; the orphan named with its missing parent."""
    lab = trace_lab("drop_parent")
    result = await run_check("otel_orphan_spans", _params(lab), timeout_s=10)
    assert result.verdict is Verdict.FAIL
    (deciding,) = result.deciding
    lines = deciding.text.splitlines()
    assert lines[0] == f"3 request(s) with injected traceparent, looked up at {lab.api.url}:"
    assert len(lines) == 4
    assert all(
        ln.startswith("  trace ") and "orphans: GET /checkout (checkout) -> missing parent" in ln for ln in lines[1:]
    )
