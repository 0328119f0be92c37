"""histogram_bucket_quality (C8, R8): are the quantiles read from these histograms believable?

A p95 from a Prometheus histogram is interpolated inside one bucket, so its error is as wide
as that bucket. The postmortem's latency dashboard showed p95 ≈ 0.95 s for requests that all
took 150 ms, because the buckets were {0.05, 1, 5}. This check reads every histogram on a
/metrics page (or one histogram through the Prometheus API), estimates each quantile exactly
as PromQL ``histogram_quantile`` does, and reports how wide the bucket around it is, whether
the quantile fell into +Inf, whether the SLO sits inside a bucket, and broken buckets
(non-monotonic counts, ``+Inf`` ≠ ``_count``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Self

from pydantic import Field, model_validator

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.catalog._histogram_quality import (
    HistogramReport,
    SeriesJudgement,
    analyse_histograms,
    judge_series,
)
from runbook.checks.http import fetch
from runbook.checks.registry import register_check
from runbook.errors import ParseError
from runbook.parsers.prom_text import (
    HistogramSeries,
    histogram_series,
    parse,
)


class HistogramParams(CheckParams):
    metrics_url: str | None = Field(None, description="A /metrics page to read every histogram from")
    prom_url: str | None = Field(None, description="Prometheus base URL (API mode, needs metric)")
    metric: str | None = Field(None, description="Histogram family name (API mode) or a regex over family names")
    matchers: str = Field("", description='API mode: extra label matchers, e.g. job="api"')
    quantiles: list[float] = Field([0.95, 0.99], min_length=1, description="Quantiles to judge")
    slo_s: float | None = Field(None, gt=0, description="Latency SLO; fail when it sits deep inside a bucket")
    abs_tol_s: float = Field(0.005, ge=0, description="Errors below this are fine whatever the ratio")
    warn_rel: float = Field(0.25, gt=0, description="warn above this relative error (and abs_tol_s)")
    fail_rel: float = Field(0.5, gt=0, description="fail above this relative error (and abs_tol_s)")
    unit_suffix: str = Field("_seconds", description="Only families ending in this (empty: all histograms)")

    @model_validator(mode="after")
    def _source(self) -> Self:
        if not self.metrics_url and not self.prom_url:
            raise ValueError("give metrics_url or prom_url")
        if self.prom_url and not self.metrics_url and not self.metric:
            raise ValueError("prom_url needs metric (the histogram family name)")
        if any(not 0 < q < 1 for q in self.quantiles):
            raise ValueError("quantiles must lie strictly between 0 and 1")
        return self


@register_check
class HistogramBucketQuality(Check[HistogramParams]):
    name = "histogram_bucket_quality"
    title = "Histogram bucket quality"
    description = (
        "Estimates p95/p99 of every histogram like PromQL histogram_quantile and judges the "
        "bucket width around them: fail when a quantile lands in +Inf, its error exceeds "
        "abs_tol_s and 50%, or the SLO sits deep inside a bucket; warn above 25% error (and "
        "abs_tol_s: an error under the tolerance is ok whatever the ratio) or for broken buckets "
        "(non-monotonic, +Inf != _count)."
    )
    rules = ("R8",)
    Params = HistogramParams
    default_timeout_s = 15.0

    async def run(self, params: HistogramParams, ctx: CheckContext) -> Outcome:
        qs = tuple(params.quantiles)
        if params.metrics_url:
            reply = await fetch(ctx, "GET", params.metrics_url, headers={"Accept": "text/plain;version=0.0.4"})
            if not reply.ok:
                raise MeasureError(f"{reply.url} answered HTTP {reply.status}")
            try:
                expo = parse(reply.text())
            except ParseError as exc:
                raise MeasureError(f"{reply.url} is not a valid exposition: {exc}") from None
            report = analyse_histograms(
                expo,
                quantiles=qs,
                slo_s=params.slo_s,
                abs_tol=params.abs_tol_s,
                warn_rel=params.warn_rel,
                fail_rel=params.fail_rel,
                metric=params.metric,
                unit_suffix=params.unit_suffix,
            )
            source = reply.url

            def raw(worst: SeriesJudgement) -> HistogramSeries | None:
                fam = expo.families.get(worst.family)
                return next((s for s in histogram_series(fam) if s.labels == worst.labels), None) if fam else None
        else:
            from runbook.checks.catalog._histogram_api import query_histogram

            prom_url, metric = params.prom_url, params.metric
            if not prom_url or not metric:  # the params validator already refuses this
                raise MeasureError("prom_url needs metric (the histogram family name)")
            series = await query_histogram(ctx, prom_url, metric, params.matchers)
            report = HistogramReport(
                tuple(
                    judge_series(
                        metric,
                        s,
                        quantiles=qs,
                        slo_s=params.slo_s,
                        abs_tol=params.abs_tol_s,
                        warn_rel=params.warn_rel,
                        fail_rel=params.fail_rel,
                    )
                    for s in series
                ),
                1 if series else 0,
            )
            source = f"{params.prom_url} ({params.metric})"

            def raw(worst: SeriesJudgement) -> HistogramSeries | None:
                return next((s for s in series if s.labels == worst.labels), None)

        return summarise(report, params, source, ctx, raw=raw)


def bucket_lines(family: str, s: HistogramSeries) -> str:
    """The series as the exposition prints it: every ``le`` bucket, then ``_sum`` and ``_count``:
    what a reviewer needs to recompute the quantile and see where it fell."""
    inner = ",".join(f'{k}="{v}"' for k, v in s.labels)
    sep = "," if inner else ""
    lines = [f'{family}_bucket{{{inner}{sep}le="{"+Inf" if math.isinf(b) else f"{b:g}"}"}} {c:g}' for b, c in s.buckets]
    labels = f"{{{inner}}}" if inner else ""
    if s.sum is not None:
        lines.append(f"{family}_sum{labels} {s.sum:g}")
    if s.count is not None:
        lines.append(f"{family}_count{labels} {s.count:g}")
    return "\n".join(lines)


def summarise(
    report: HistogramReport,
    params: HistogramParams,
    source: str,
    ctx: CheckContext,
    *,
    raw: Callable[[SeriesJudgement], HistogramSeries | None] | None = None,
) -> Outcome:
    """The verdict over every series; the worst series' bucket lines are the deciding evidence
    (``raw`` finds the series as measured)."""
    thresholds = {
        "abs_tol_s": params.abs_tol_s,
        "warn_rel": params.warn_rel,
        "fail_rel": params.fail_rel,
        "slo_s": params.slo_s,
        "slo_margin": 0.1,
    }
    judged = [s for s in report.series if s.verdict is not Verdict.UNKNOWN]
    if not judged:
        what = "no histogram series with observations"
        if report.skipped and not report.families:
            what = (
                f"no histogram family matches (metric={params.metric!r}, unit_suffix={params.unit_suffix!r}; "
                f"{report.skipped} other histogram(s) on the page)"
            )
        return Outcome(
            Verdict.UNKNOWN, f"{what} at {source}", {"histograms": report.families, "series": 0}, thresholds, error=what
        )
    by = {v: sum(1 for s in judged if s.verdict is v) for v in (Verdict.FAIL, Verdict.WARN, Verdict.OK)}
    worst = report.worst()
    assert worst is not None
    ranked = sorted(judged, key=lambda s: (-s.verdict.weight, -max((q.rel_error for q in s.quantiles), default=0)))
    for s in ranked[:8]:
        if s.verdict is Verdict.OK:
            break
        ctx.record("finding", f"{s.verdict.value}: {s.title()} (n={s.count:g}): " + "; ".join(s.reasons))
    measured = raw(worst) if raw is not None else None
    if measured is not None:
        why = "; ".join(worst.reasons) or "quantile estimates within tolerance"
        ctx.record("series", f"{worst.verdict.value}: {why}\n{bucket_lines(worst.family, measured)}", deciding=True)
    figures: dict[str, Figure] = {
        "histograms": report.families,
        "series": len(judged),
        "series_fail": by[Verdict.FAIL],
        "series_warn": by[Verdict.WARN],
        "series_ok": by[Verdict.OK],
        "worst_series": worst.title()[:200],
    }
    if worst.quantiles:
        q0 = worst.quantiles[0]
        tag = f"p{q0.q * 100:g}"
        figures.update(
            {
                f"worst_{tag}_s": round(q0.estimate, 6),
                f"worst_{tag}_bucket": f"({q0.lo:g}, {q0.hi:g}]",
                f"worst_{tag}_max_err_s": None if q0.in_inf else round(q0.max_error, 6),
                f"worst_{tag}_rel_err": None if q0.in_inf else round(q0.rel_error, 3),
            }
        )
    figures["worst_mean_s"] = round(worst.mean, 6) if worst.mean is not None else None
    verdict = max((s.verdict for s in judged), key=lambda v: v.weight)
    if verdict is Verdict.OK:
        summary = f"{len(judged)} histogram series: quantile estimates are within tolerance"
    else:
        summary = (
            f"{by[Verdict.FAIL]} failing / {by[Verdict.WARN]} warning of {len(judged)} histogram series; "
            f"worst {worst.title()[:120]}: {worst.reasons[0] if worst.reasons else ''}"
        )
    return Outcome(verdict, summary, figures, thresholds)
