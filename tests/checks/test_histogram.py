"""histogram_bucket_quality against real Prometheus and prometheus_client targets."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook.checks.base import Verdict
from runbook.checks.catalog._histogram_quality import (
    analyse_histograms,
    bucket_quantile,
    judge_columns,
    judge_series,
)
from runbook.checks.runner import run_check
from runbook.parsers.prom_text import histogram_columns, histogram_series, parse
from tests.fixtures.metrics_targets import (
    bad_histogram_registry,
    good_histogram_registry,
    harmless_histogram_registry,
)
from tests.parsers.test_prom_text import histogram_pages


def test_bucket_quantile_matches_promql_on_the_postmortem_layout():
    est = bucket_quantile(0.95, [(0.05, 0), (1, 200), (5, 200), (math.inf, 200)])
    assert est.estimate == pytest.approx(0.9525) and (est.lo, est.hi) == (0.05, 1)
    assert est.max_error == pytest.approx(0.9025) and est.rel_error == pytest.approx(0.9025 / 0.9525)
    top = bucket_quantile(0.99, [(0.1, 1), (math.inf, 100)])
    assert top.in_inf and top.estimate == 0.1  # PromQL returns the second-highest bound
    assert bucket_quantile(0.5, [(math.inf, 0)]) is None
    # non-monotonic input is forced monotonic, as PromQL's ensureMonotonic does
    assert bucket_quantile(0.5, [(1, 10), (2, 5), (math.inf, 10)]).hi == 1


async def test_postmortem_histogram_fails(metrics_target):
    target = metrics_target(bad_histogram_registry())
    result = await run_check("histogram_bucket_quality", {"metrics_url": target.url}, timeout_s=10)
    assert result.verdict is Verdict.FAIL, result.summary
    assert result.figures["worst_p95_s"] == pytest.approx(0.9525)
    assert result.figures["worst_p95_bucket"] == "(0.05, 1]"
    assert result.figures["worst_mean_s"] == pytest.approx(0.15)
    assert 'handler="/api/orders"' in result.figures["worst_series"]
    assert any("mean is only 0.15" in e.text for e in result.evidence)


async def test_dense_buckets_around_the_latency_are_ok(metrics_target):
    target = metrics_target(good_histogram_registry())
    result = await run_check("histogram_bucket_quality", {"metrics_url": target.url}, timeout_s=10)
    assert result.verdict is Verdict.OK, result.summary
    assert result.figures["series_ok"] == 1
    assert 0.15 < result.figures["worst_p95_s"] <= 0.175


async def test_slo_inside_a_wide_bucket_fails(metrics_target):
    target = metrics_target(good_histogram_registry())
    result = await run_check("histogram_bucket_quality", {"metrics_url": target.url, "slo_s": 0.4}, timeout_s=10)
    assert result.verdict is Verdict.FAIL and "SLO 0.4 sits inside bucket (0.3, 0.5]" in result.summary


async def test_prometheus_own_histograms(prometheus_server):
    """Prometheus' HTTP latency histogram starts at 0.1 s while its handlers answer in about a
    millisecond: p95 is interpolated in (0, 0.1] with 100% relative error, so the honest
    verdict on its own /metrics is fail, the same flaw as the postmortem's."""
    url = prometheus_server.url + "/metrics"
    result = await run_check("histogram_bucket_quality", {"metrics_url": url}, timeout_s=10)
    assert result.verdict is Verdict.FAIL, result.summary
    assert result.figures["histograms"] >= 3 and result.figures["series"] >= 1
    assert result.figures["worst_series"].startswith("prometheus_http_request_duration_seconds{")
    assert result.figures["worst_p95_bucket"] == "(0, 0.1]" and result.figures["worst_p95_rel_err"] == 1.0
    assert result.figures["worst_mean_s"] < 0.01
    # with a tolerance wider than the bucket the error is within tolerance: ok, though the ratio is 100%
    loose = await run_check(
        "histogram_bucket_quality",
        {"metrics_url": url, "metric": "prometheus_http_request_duration_seconds", "abs_tol_s": 0.2},
        timeout_s=10,
    )
    assert loose.verdict is Verdict.OK, loose.summary


async def test_imprecise_but_harmless_buckets_are_ok(metrics_target):
    """A healthy service's DB histogram on the default buckets: p95 ≈ 7.5 ms interpolated in
    (5 ms, 10 ms] (33% relative error), p99 ≈ 9.5 ms (47%), both errors under abs_tol_s = 5 ms.
    Thresholds respect their tolerance: ok, not a warn that autopilot reads as R8."""
    target = metrics_target(harmless_histogram_registry())
    result = await run_check("histogram_bucket_quality", {"metrics_url": target.url}, timeout_s=10)
    assert result.verdict is Verdict.OK, result.summary
    assert result.figures["worst_p95_bucket"] == "(0.005, 0.01]"
    assert result.figures["worst_p95_s"] == pytest.approx(0.0075)
    assert 0.25 < result.figures["worst_p95_rel_err"] < 0.5
    assert result.figures["worst_p95_max_err_s"] < result.thresholds["abs_tol_s"] == 0.005
    # the same buckets with a 1 ms tolerance: the errors now matter
    strict = await run_check("histogram_bucket_quality", {"metrics_url": target.url, "abs_tol_s": 0.001}, timeout_s=10)
    assert strict.verdict is Verdict.WARN, strict.summary
    assert "relative error 33%" in strict.summary


async def test_prometheus_api_mode_reads_the_same_buckets(prometheus_server):
    result = await run_check(
        "histogram_bucket_quality",
        {"prom_url": prometheus_server.url, "metric": "prometheus_http_request_duration_seconds"},
        timeout_s=10,
    )
    assert result.verdict in (Verdict.FAIL, Verdict.OK)
    assert result.figures["series"] >= 1 and result.figures["worst_p95_bucket"].startswith("(")


async def test_garbage_page_is_unknown(metrics_target, pprof_stub):
    stub = pprof_stub([[]])
    result = await run_check("histogram_bucket_quality", {"metrics_url": stub.base + "/goroutine?debug=1"}, timeout_s=5)
    assert result.verdict is Verdict.UNKNOWN
    assert "is not a valid exposition" in result.summary


async def test_filter_matching_nothing_says_why(metrics_target):
    target = metrics_target(bad_histogram_registry())
    result = await run_check(
        "histogram_bucket_quality", {"metrics_url": target.url, "unit_suffix": "_bytes"}, timeout_s=10
    )
    assert result.verdict is Verdict.UNKNOWN
    assert result.summary == (
        "no histogram family matches (metric=None, unit_suffix='_bytes'; "
        f"1 other histogram(s) on the page) at {target.url}"
    )


# --- judging a regular family column-wise gives what judging each series gives ----------


@given(
    histogram_pages(escapes=False),
    st.lists(st.sampled_from([0.5, 0.9, 0.95, 0.99]), min_size=1, max_size=3),
    st.one_of(st.none(), st.sampled_from([0.05, 0.3, 2.0])),
    st.sampled_from([0.0, 0.005, 0.5]),
    st.sampled_from([(0.25, 0.5), (0.0, 0.1), (1.0, 2.0)]),
)
@settings(max_examples=300, deadline=None)
def test_column_judgement_equals_per_series_judgement(page, quantiles, slo_s, abs_tol, rels):
    fam = parse(page.replace("h_", "h_seconds_").replace(" h ", " h_seconds ")).families["h_seconds"]
    kw = {"quantiles": tuple(quantiles), "slo_s": slo_s, "abs_tol": abs_tol, "warn_rel": rels[0], "fail_rel": rels[1]}
    expected = [judge_series(fam.name, s, **kw) for s in histogram_series(fam)]
    cols = histogram_columns(fam)
    if cols is not None:
        assert repr(judge_columns(fam.name, cols, **kw)) == repr(expected)  # repr: NaN equals NaN
    report = analyse_histograms(parse(page.replace("h_", "h_seconds_").replace(" h ", " h_seconds ")), **kw)
    assert repr(list(report.series)) == repr(expected)


def test_bench_page_takes_the_column_path_and_agrees():
    from bench.metrics_parse import generate_page

    expo = parse(generate_page(6000))
    fam = expo.families["http_request_duration_seconds"]
    cols = histogram_columns(fam)
    assert cols is not None and len(cols.counts) == len(histogram_series(fam)) > 50
    expected = [judge_series(fam.name, s, quantiles=(0.95, 0.99)) for s in histogram_series(fam)]
    assert judge_columns(fam.name, cols, quantiles=(0.95, 0.99)) == expected
    assert {j.verdict for j in expected} == {Verdict.FAIL, Verdict.WARN}


async def test_deciding_excerpt_is_the_worst_series_bucket_lines(metrics_target):
    """#18: the evidence that decided is the failing series as exposed: its ``le`` lines, _sum, _count."""
    target = metrics_target(bad_histogram_registry())
    result = await run_check("histogram_bucket_quality", {"metrics_url": target.url}, timeout_s=10)
    assert result.verdict is Verdict.FAIL
    (deciding,) = result.deciding
    lines = deciding.text.splitlines()
    assert lines[0].startswith("fail: p95≈0.9525 interpolated in (0.05, 1]")
    buckets = [ln for ln in lines if "_bucket{" in ln]
    assert all('handler="/api/orders"' in ln for ln in buckets)
    assert [ln.split('le="')[1] for ln in buckets] == ['0.05"} 0', '1"} 200', '5"} 200', '+Inf"} 200']
    assert lines[-2] == 'http_request_duration_seconds_sum{handler="/api/orders"} 30'
    assert lines[-1] == 'http_request_duration_seconds_count{handler="/api/orders"} 200'
    assert "go_gc_duration_seconds" not in deciding.text and "go_goroutines" not in deciding.text


async def test_prometheus_api_mode_decides_on_the_same_lines(prometheus_server):
    result = await run_check(
        "histogram_bucket_quality",
        {"prom_url": prometheus_server.url, "metric": "prometheus_http_request_duration_seconds"},
        timeout_s=15,
    )
    assert result.verdict is not Verdict.UNKNOWN, result.summary
    (deciding,) = result.deciding
    assert 'le="+Inf"' in deciding.text and "prometheus_http_request_duration_seconds_count{" in deciding.text
    assert result.figures["worst_series"].split("{")[1].split(",")[0] in deciding.text
