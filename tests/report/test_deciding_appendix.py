"""The issue's own case (#18): a histogram check run against a real /metrics page, recorded and
exported; the appendix quotes the failing series' bucket lines first, not the page's first lines."""

from __future__ import annotations

from runbook.checks.base import Verdict
from runbook.checks.runner import run_check
from runbook.record import repo
from runbook.record.steps import add_check_result
from runbook.report import build_context, render_postmortem
from tests.fixtures.metrics_targets import bad_histogram_registry
from tests.report.mdread import section_texts


async def test_the_appendix_quotes_the_failing_series_first(session, knowledge, metrics_target):
    target = metrics_target(bad_histogram_registry())
    result = await run_check("histogram_bucket_quality", {"metrics_url": target.url}, timeout_s=10)
    assert result.verdict is Verdict.FAIL
    inc = repo.create_incident(session=session, title="p99 looks fine, users say otherwise", author="alice")
    add_check_result(inc.id, result, session=session)
    md = render_postmortem(build_context(inc.id, session=session, knowledge=knowledge))
    appendix = section_texts(md)["Appendix: evidence"]
    first = appendix.index('http_request_duration_seconds_bucket{handler="/api/orders",le="0.05"} 0')
    assert first < appendix.index('le="+Inf"} 200') < appendix.index("http_request_duration_seconds_count")
    assert "decided the verdict: fail" in md
    raw = appendix.find("go_gc_duration_seconds")
    assert raw == -1 or raw > appendix.index("http_request_duration_seconds_count")
