"""Cardinality from Prometheus' head block: ``/api/v1/status/tsdb`` plus label values.

The TSDB status lists the top ten metrics by series and labels by distinct values; for the
labels past the warn threshold the values themselves come from ``/api/v1/label/<l>/values``
so ID-like values can be counted, as on a /metrics page.
"""

from __future__ import annotations

from urllib.parse import quote

from runbook.checks.base import MeasureError
from runbook.checks.catalog._cardinality_report import CardinalityReport, LabelCount, count_id_like
from runbook.checks.http import fetch


def _pairs(data: dict, key: str) -> list[tuple[str, int]]:
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


async def read_tsdb_status(ctx, prom_url: str, id_check_from: int) -> CardinalityReport:
    base = prom_url.rstrip("/")
    reply = await fetch(ctx, "GET", base + "/api/v1/status/tsdb")
    body = reply.json()
    if not isinstance(body, dict) or body.get("status") != "success" or not isinstance(body.get("data"), dict):
        raise MeasureError(f"{reply.url} did not answer a TSDB status (HTTP {reply.status}): {str(body)[:200]}")
    data = body["data"]
    head = data.get("headStats") or {}
    metrics = sorted(_pairs(data, "seriesCountByMetricName"), key=lambda x: -x[1])
    if not metrics and int(head.get("numSeries") or 0) > 0:
        # Prometheus caches these stats for 5 minutes (head.go cardinalityCacheExpirationTime):
        # a call made before the first scrape keeps answering "empty" while series exist.
        raise MeasureError(
            f"TSDB status lists no metrics although the head holds {head.get('numSeries')} series "
            "(Prometheus caches these stats for 5 minutes; retry later)"
        )
    labels: list[LabelCount] = []
    for name, n in sorted(_pairs(data, "labelValueCountByLabelName"), key=lambda x: -x[1]):
        id_like, examples = 0, ()
        if n >= id_check_from and name != "__name__":
            values = await fetch(ctx, "GET", f"{base}/api/v1/label/{quote(name, safe='')}/values", evidence=False)
            vals = (values.json() or {}).get("data") or []
            if isinstance(vals, list):
                strs = [str(v) for v in vals]
                id_like = count_id_like(strs)
                examples = tuple(sorted(strs)[:3])
        labels.append(LabelCount("", name, n, id_like, examples))
    total = int(head.get("numSeries") or sum(n for _, n in metrics))
    return CardinalityReport(total, tuple(metrics), tuple(labels))
