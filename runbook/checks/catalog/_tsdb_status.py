"""Cardinality from Prometheus' head block: ``/api/v1/status/tsdb`` plus per-metric label values.

The TSDB status lists the top ten metrics by series (``seriesCountByMetricName``) and labels
by distinct values *across all metrics* (``labelValueCountByLabelName``). The second is the
wrong unit for a verdict: in any Kubernetes Prometheus ``pod``, ``uid`` or ``container_id``
pass a thousand values summed over every metric while no single metric explodes. So labels
are counted per metric: for each top metric large enough to matter, its label names
(``/api/v1/labels?match[]=<metric>``) and each label's values within that metric
(``/api/v1/label/<l>/values?match[]=<metric>``), ID-like values counted as on a /metrics page.

Prometheus caches the TSDB status for 30 s (``cardinalityCacheExpirationTime`` in
``tsdb/head.go``): a call made before the first scrapes keeps answering "empty" for that long.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from runbook.checks.base import CheckContext, MeasureError
from runbook.checks.catalog._cardinality_report import CardinalityReport, LabelCount, count_id_like
from runbook.checks.http import fetch

#: Per-metric label lookups are made for at most this many of the top metrics.
MAX_METRICS = 10


def _pairs(data: dict[str, Any], key: str) -> list[tuple[str, int]]:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise MeasureError(f"TSDB status: {key} is not a list")
    out = []
    for item in items:
        try:
            out.append((str(item["name"]), int(item["value"])))
        except (KeyError, TypeError, ValueError):
            raise MeasureError(f"TSDB status: unexpected {key} entry {str(item)[:120]}") from None
    return out


async def _data_list(ctx: CheckContext, url: str) -> list[str]:
    """``data`` of a Prometheus API list reply, as strings (MeasureError when it is not one)."""
    reply = await fetch(ctx, "GET", url, evidence=False)
    body = reply.json()
    data = body.get("data") if isinstance(body, dict) and body.get("status") == "success" else None
    if not isinstance(data, list):
        raise MeasureError(f"{reply.url} did not answer a list (HTTP {reply.status}): {str(body)[:200]}")
    return [str(v) for v in data]


async def metric_labels(ctx: CheckContext, base: str, metric: str, skip: frozenset[str]) -> list[LabelCount]:
    """Distinct values of every label of ``metric`` (not across other metrics)."""
    match = "match[]=" + quote(metric, safe="")
    names = [n for n in await _data_list(ctx, f"{base}/api/v1/labels?{match}") if n not in skip]
    values = await asyncio.gather(
        *(_data_list(ctx, f"{base}/api/v1/label/{quote(n, safe='')}/values?{match}") for n in names)
    )
    return [
        LabelCount(metric, name, len(vals), count_id_like(vals), tuple(sorted(vals)[:3]))
        for name, vals in zip(names, values, strict=True)
    ]


async def read_tsdb_status(ctx: CheckContext, prom_url: str, id_check_from: int) -> CardinalityReport:
    base = prom_url.rstrip("/")
    reply = await fetch(ctx, "GET", base + "/api/v1/status/tsdb")
    body = reply.json()
    if not isinstance(body, dict) or body.get("status") != "success" or not isinstance(body.get("data"), dict):
        raise MeasureError(f"{reply.url} did not answer a TSDB status (HTTP {reply.status}): {str(body)[:200]}")
    data = body["data"]
    head = data.get("headStats") or {}
    metrics = sorted(_pairs(data, "seriesCountByMetricName"), key=lambda x: -x[1])
    if not metrics and int(head.get("numSeries") or 0) > 0:
        # Prometheus caches these stats for 30 s (tsdb/head.go cardinalityCacheExpirationTime):
        # a call made before the first scrape keeps answering "empty" while series exist.
        raise MeasureError(
            f"TSDB status lists no metrics although the head holds {head.get('numSeries')} series "
            "(Prometheus caches these stats for 30 s; retry in 30 s)"
        )
    # a label cannot have more values within a metric than the metric has series
    big = [name for name, n in metrics[:MAX_METRICS] if n >= id_check_from]
    per_metric = await asyncio.gather(*(metric_labels(ctx, base, m, frozenset({"__name__"})) for m in big))
    labels = sorted((c for counts in per_metric for c in counts), key=lambda c: (-c.values, -c.id_like))
    total = int(head.get("numSeries") or sum(n for _, n in metrics))
    return CardinalityReport(total, tuple(metrics), tuple(labels))
