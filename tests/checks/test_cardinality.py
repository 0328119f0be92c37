"""label_cardinality against prometheus_client targets and a real Prometheus TSDB."""

from __future__ import annotations

from runbook.checks.base import Verdict
from runbook.checks.catalog._cardinality_report import count_id_like, is_id_like
from runbook.checks.runner import run_check
from tests.fixtures.metrics_targets import bad_histogram_registry, user_id_registry


def test_id_like_values():
    ids = [
        "550e8400-e29b-41d4-a716-446655440000",
        "4bf92f3577b34da6",
        "123456",
        "10.0.0.7",
        "10.0.0.7:9100",
        "ops@example.com",
        "fe80::1",
    ]
    names = ["GET", "/api/orders", "user-17", "payments", "abc", ""]
    assert [is_id_like(v) for v in ids] == [True] * len(ids)
    assert [is_id_like(v) for v in names] == [False] * len(names)
    assert count_id_like(ids + names + ["a\nb"]) == len(ids)


async def test_user_id_times_200_warns(metrics_target):
    target = metrics_target(user_id_registry(200))
    result = await run_check("label_cardinality", {"metrics_url": target.url}, timeout_s=10)
    assert result.verdict is Verdict.WARN, result.summary
    assert result.figures["top_label"] == "api_requests_total.user_id"
    assert result.figures["top_label_values"] == 200 and result.figures["top_label_id_like"] == 0
    assert "api_requests_total.user_id has 200 values" in result.summary


async def test_user_id_times_1200_fails(metrics_target):
    target = metrics_target(user_id_registry(1200))
    result = await run_check("label_cardinality", {"metrics_url": target.url}, timeout_s=10)
    assert result.verdict is Verdict.FAIL, result.summary
    assert result.figures["top_metric"] == "api_requests_total"
    assert result.figures["top_metric_series"] == 1200  # 0.0.4: api_requests_created is its own gauge family
    assert "api_requests_total.user_id has 1200 values" in result.summary


async def test_numeric_user_ids_fail_as_id_like(metrics_target):
    target = metrics_target(user_id_registry(150, id_like=True))
    result = await run_check("label_cardinality", {"metrics_url": target.url}, timeout_s=10)
    assert result.verdict is Verdict.FAIL, result.summary
    assert "150 ID-like values (e.g. 40000000, 40000001, 40000002)" in result.summary


async def test_bounded_labels_are_ok(metrics_target):
    target = metrics_target(bad_histogram_registry())
    result = await run_check("label_cardinality", {"metrics_url": target.url}, timeout_s=10)
    assert result.verdict is Verdict.OK, result.summary


async def test_prometheus_tsdb_own_series_are_ok(prometheus_server):
    result = await run_check("label_cardinality", {"prom_url": prometheus_server.url}, timeout_s=10)
    assert result.verdict is Verdict.OK, result.summary
    assert result.figures["series_total"] > 100
    assert result.figures["top_metric_series"] < 1000


async def test_prometheus_tsdb_sees_the_user_id_label(prometheus_with_user_ids):
    result = await run_check("label_cardinality", {"prom_url": prometheus_with_user_ids.url}, timeout_s=10)
    assert result.verdict is Verdict.WARN, result.summary
    # judged within its metric (the TSDB status' labelValueCountByLabelName sums across metrics)
    # (prometheus_client exposes api_requests_total and api_requests_created, both per user)
    assert result.figures["top_label"] in ("api_requests_total.user_id", "api_requests_created.user_id")
    assert result.figures["top_label_values"] == 200
    assert "api_requests_total.user_id has 200 values" in result.summary


async def test_prometheus_scraping_many_pods_does_not_fail_on_fleet_labels(prometheus_with_pods):
    """kube-state-metrics' shape: 1200 pods give pod/uid/container_id 1200 values each and two
    metrics of 1200 series. That is the fleet's size, not traffic: no verdict against it."""
    result = await run_check("label_cardinality", {"prom_url": prometheus_with_pods.url}, timeout_s=10)
    assert result.verdict is Verdict.OK, result.summary
    assert result.figures["fleet_sized_metrics"] == 2
    assert result.figures["top_fleet_label_values"] == 1200
    assert result.figures["top_fleet_label"].split(".")[1] in ("pod", "uid", "container_id")
    assert "kube_pod_info has 1200 series, sized by fleet labels" in result.summary or (
        "kube_pod_container_info has 1200 series, sized by fleet labels" in result.summary
    )
    # the same head with no label treated as fleet identity: the old, cross-metric-blind verdict
    naive = await run_check(
        "label_cardinality", {"prom_url": prometheus_with_pods.url, "fleet_labels": []}, timeout_s=10
    )
    assert naive.verdict is Verdict.FAIL, naive.summary
    assert "has 1200 values" in naive.summary


async def test_garbage_page_is_unknown(pprof_stub):
    from tests.fixtures.pprof_stub import pileup_process

    stub = pprof_stub([pileup_process(3)])
    result = await run_check("label_cardinality", {"metrics_url": stub.base + "/goroutine?debug=2"}, timeout_s=5)
    assert result.verdict is Verdict.UNKNOWN
    assert "is not a valid exposition: line 1: expected 'name[{labels}] value [timestamp]'" in result.summary


async def test_deciding_excerpt_is_the_label_and_its_values(metrics_target, prometheus_with_user_ids):
    """#18: the label the verdict names, its count and sample values, beside its metric's series."""
    target = metrics_target(user_id_registry(150, id_like=True))
    result = await run_check("label_cardinality", {"metrics_url": target.url}, timeout_s=10)
    assert result.verdict is Verdict.FAIL
    (deciding,) = result.deciding
    lines = deciding.text.splitlines()
    assert lines[0].endswith(".user_id: 150 distinct values, 150 ID-like")
    assert lines[1] == "  values: 40000000, 40000001, 40000002"
    assert any(ln.startswith("  api_requests_") and ln.endswith(": 150 series") for ln in lines)
    tsdb = await run_check("label_cardinality", {"prom_url": prometheus_with_user_ids.url}, timeout_s=10)
    assert tsdb.verdict is Verdict.WARN
    assert ".user_id: 200 distinct values" in tsdb.deciding[0].text.splitlines()[0]
