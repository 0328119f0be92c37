"""Read one histogram's buckets through the Prometheus HTTP API (``/api/v1/query``).

For services whose /metrics the responder cannot reach directly: the same buckets, as stored
by Prometheus, grouped into :class:`HistogramSeries` for the histogram check.
"""

from __future__ import annotations

import re

from runbook.checks.base import CheckContext, MeasureError
from runbook.checks.http import fetch
from runbook.parsers.prom_text import HistogramSeries

#: A series' labels minus ``le``, sorted by name.
LabelPairs = tuple[tuple[str, str], ...]

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")


async def query_histogram(ctx: CheckContext, prom_url: str, metric: str, matchers: str = "") -> list[HistogramSeries]:
    if not _NAME.match(metric):
        raise MeasureError(f"API mode needs a plain histogram name, got {metric!r}")
    extra = f",{matchers}" if matchers.strip() else ""
    query = f'{{__name__=~"{metric}_(bucket|count|sum)"{extra}}}'
    reply = await fetch(ctx, "GET", prom_url.rstrip("/") + "/api/v1/query", params={"query": query})
    data = reply.json()
    if not isinstance(data, dict) or data.get("status") != "success":
        raise MeasureError(f"Prometheus query failed: {str(data)[:200]}")
    result = (data.get("data") or {}).get("result")
    if not isinstance(result, list):
        raise MeasureError("Prometheus answered without a result vector")
    buckets: dict[LabelPairs, list[tuple[float, float]]] = {}
    counts: dict[LabelPairs, float] = {}
    sums: dict[LabelPairs, float] = {}
    for item in result:
        try:
            labels = dict(item["metric"])
            value = float(item["value"][1])
        except (KeyError, TypeError, ValueError, IndexError):
            raise MeasureError(f"unexpected series in the query result: {str(item)[:200]}") from None
        name = labels.pop("__name__", "")
        if name.endswith("_bucket"):
            try:
                bound = float(labels.pop("le"))
            except (KeyError, ValueError):
                continue
            buckets.setdefault(tuple(sorted(labels.items())), []).append((bound, value))
        elif name.endswith("_count"):
            counts[tuple(sorted(labels.items()))] = value
        elif name.endswith("_sum"):
            sums[tuple(sorted(labels.items()))] = value
    if not buckets:
        raise MeasureError(f"Prometheus has no {metric}_bucket series")
    return [HistogramSeries(k, tuple(sorted(v)), counts.get(k), sums.get(k)) for k, v in buckets.items()]
