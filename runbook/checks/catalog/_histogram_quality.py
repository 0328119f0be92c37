"""What histogram_bucket_quality computes, apart from reading the page: quantiles as PromQL's
``histogram_quantile`` estimates them, with the bucket each fell in, and the judgement of each
series (how wide that bucket is against the estimate, +Inf, the SLO inside a bucket, broken
buckets). Pure functions over parsed series: no I/O, so tests and ``bench/metrics_parse.py``
call them on pages they build.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from runbook.checks.base import Verdict
from runbook.parsers.prom_text import (
    Exposition,
    HistogramColumns,
    HistogramSeries,
    histogram_columns,
    histogram_series,
    paused_gc,
)


class QuantileEstimate(NamedTuple):
    """One quantile of one series, with the bucket it was interpolated in (a NamedTuple: a
    big page makes two per series)."""

    q: float
    estimate: float
    lo: float
    hi: float
    in_inf: bool
    """The rank fell into the +Inf bucket: the true value is unbounded above."""

    @property
    def max_error(self) -> float:
        return math.inf if self.in_inf else max(self.estimate - self.lo, self.hi - self.estimate)

    @property
    def rel_error(self) -> float:
        if self.in_inf:
            return math.inf
        return self.max_error / self.estimate if self.estimate > 0 else (0.0 if self.max_error == 0 else math.inf)


def prepare_buckets(buckets: Sequence[tuple[float, float]]) -> list[tuple[float, float]] | None:
    """PromQL's preparation: sort, coalesce equal bounds, force counts monotonic.

    None where PromQL's ``bucketQuantile`` returns NaN: no +Inf bucket, fewer than two
    buckets, or no observations.
    """
    if len(buckets) < 2:
        return None
    bounds = [b for b, _ in buckets]
    if not all(map(operator.lt, bounds, bounds[1:])):
        # unsorted or repeated bounds: sort, and coalesce repeats by summing (coalesceBuckets)
        merged: dict[float, float] = {}
        for bound, count in sorted(buckets):
            merged[bound] = merged[bound] + count if bound in merged else count
        buckets = sorted(merged.items())
        bounds = [b for b, _ in buckets]
    if len(buckets) < 2 or bounds[-1] != math.inf:
        return None
    # ensureMonotonic: PromQL forces counts to be non-decreasing
    counts = list(itertools.accumulate((c for _, c in buckets), max))
    if not counts[-1] > 0:
        return None
    return list(zip(bounds, counts, strict=False))


def bucket_quantile(q: float, buckets: list[tuple[float, float]], *, prepared: bool = False) -> QuantileEstimate | None:
    """Port of PromQL ``bucketQuantile`` (promql/quantile.go, Prometheus 2.42).

    ``buckets`` are (upper bound, cumulative count), or the output of :func:`prepare_buckets`
    with ``prepared=True``. None where PromQL returns NaN.
    """
    fixed = buckets if prepared else prepare_buckets(buckets)
    if not fixed:
        return None
    total = fixed[-1][1]
    rank = q * total
    # first bucket (among all but +Inf) whose cumulative count reaches the rank
    counts = [c for _, c in fixed]
    b = bisect.bisect_left(counts, rank, 0, len(fixed) - 1)
    if b == len(fixed) - 1:
        lo = fixed[-2][0]
        return QuantileEstimate(q, lo, lo, math.inf, True)
    if b == 0 and fixed[0][0] <= 0:
        return QuantileEstimate(q, fixed[0][0], fixed[0][0], fixed[0][0], False)
    start, end, count = 0.0, fixed[b][0], fixed[b][1]
    if b > 0:
        start = fixed[b - 1][0]
        count -= fixed[b - 1][1]
        rank -= fixed[b - 1][1]
    est = start + (end - start) * (rank / count) if count > 0 else end
    return QuantileEstimate(q, est, start, end, False)


#: A finding as stored: a sentence, or a ``_SENTENCES`` key followed by its figures.
RawFinding = str | tuple[Any, ...]

_SENTENCES = {
    "count": "+Inf bucket {:g} != _count {:g}",
    "fail": "{}≈{:.4g} interpolated in ({:g}, {:g}]: error up to {:.3g} ({:.0%})",
    "warn": "{}≈{:.4g} in ({:g}, {:g}]: relative error {:.0%}",
    "mean": "mean is only {:.4g} (sum/count)",
}


class SeriesJudgement(NamedTuple):
    """The verdict on one histogram series and why (a NamedTuple, immutable like the rest: a
    big page has tens of thousands, and a frozen dataclass costs four times as much to make)."""

    family: str
    labels: tuple[tuple[str, str], ...]
    verdict: Verdict
    findings: tuple[RawFinding, ...]
    """Why, in raw form (a sentence, or a tuple of the figures for one); read ``reasons``."""
    quantiles: tuple[QuantileEstimate, ...]
    mean: float | None
    # the exposition's own name; it shadows tuple.count, which no caller wants from a judgement
    count: float  # type: ignore[assignment]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why, in sentences. Formatted on demand: a page with 40,000 series has 120,000
        of them and the report shows a handful."""
        return tuple(f if type(f) is str else _SENTENCES[f[0]].format(*f[1:]) for f in self.findings)

    def title(self) -> str:
        inner = ",".join(f'{k}="{v}"' for k, v in self.labels)
        return f"{self.family}{{{inner}}}" if inner else self.family


@dataclass(frozen=True)
class HistogramReport:
    series: tuple[SeriesJudgement, ...]
    families: int
    skipped: int = 0
    """Histogram families left out by the name/unit filter."""

    def worst(self) -> SeriesJudgement | None:
        judged = [s for s in self.series if s.quantiles]
        return max(judged, key=lambda s: (s.verdict.weight, max(q.rel_error for q in s.quantiles)), default=None)


def judge_series(
    family: str,
    s: HistogramSeries,
    *,
    quantiles: tuple[float, ...],
    slo_s: float | None = None,
    abs_tol: float = 0.005,
    warn_rel: float = 0.25,
    fail_rel: float = 0.5,
    slo_margin: float = 0.1,
) -> SeriesJudgement:
    """Apply the C8 verdict rules to one series."""
    reasons: list[RawFinding] = []
    fail = warn = False
    bounds = [b for b, _ in s.buckets]
    counts = [c for _, c in s.buckets]
    mono = list(itertools.accumulate(counts, max))
    if mono != counts:
        warn = True
        reasons.append("bucket counts are not monotonic")
    inf = [c for bound, c in s.buckets if bound == math.inf] if not bounds or bounds[-1] != math.inf else [counts[-1]]
    if not inf:
        warn = True
        reasons.append('no le="+Inf" bucket')
    elif s.count is not None and inf[0] != s.count:
        warn = True
        reasons.append(("count", inf[0], s.count))
    total = s.count if s.count is not None else (inf[0] if inf else 0.0)
    mean = s.sum / total if s.sum is not None and total else None
    estimates: list[QuantileEstimate] = []
    if len(bounds) >= 2 and bounds[-1] == math.inf and mono[-1] > 0 and all(map(operator.lt, bounds, bounds[1:])):
        fixed: list[tuple[float, float]] | None = list(
            zip(bounds, mono, strict=False)
        )  # already what prepare_buckets would return
    else:
        fixed = prepare_buckets(s.buckets)
    usable = fixed or []
    for q in quantiles if usable else ():
        est = bucket_quantile(q, usable, prepared=True)
        if est is None:
            continue
        estimates.append(est)
        name = f"p{q * 100:g}"
        if est.in_inf:
            fail = True
            reasons.append(f"{name} falls in the +Inf bucket (above {est.lo:g}): unbounded")
        elif est.max_error > abs_tol and est.rel_error > fail_rel:
            fail = True
            reasons.append(("fail", name, est.estimate, est.lo, est.hi, est.max_error, est.rel_error))
        elif est.max_error > abs_tol and est.rel_error > warn_rel:
            # an error under abs_tol is fine whatever the ratio: the parameter's own promise
            warn = True
            reasons.append(("warn", name, est.estimate, est.lo, est.hi, est.rel_error))
    if estimates and mean is not None and mean > 0 and estimates[0].estimate > 3 * mean and reasons:
        reasons.append(("mean", mean))
    if slo_s is not None and estimates:
        bounds = sorted({0.0, *(b for b, _ in s.buckets if not math.isnan(b))})  # NaN: no order
        for lo, hi in itertools.pairwise(bounds):
            if lo < slo_s < hi and min(slo_s - lo, hi - slo_s if not math.isinf(hi) else math.inf) > slo_margin * slo_s:
                fail = True
                reasons.append(f"SLO {slo_s:g} sits inside bucket ({lo:g}, {hi:g}], far from both bounds")
    verdict = Verdict.FAIL if fail else Verdict.WARN if warn else Verdict.OK
    if not estimates and verdict is Verdict.OK:
        verdict = Verdict.UNKNOWN
    return SeriesJudgement(family, s.labels, verdict, tuple(reasons), tuple(estimates), mean, total)


def judge_columns(
    family: str,
    cols: HistogramColumns,
    *,
    quantiles: tuple[float, ...],
    slo_s: float | None = None,
    abs_tol: float = 0.005,
    warn_rel: float = 0.25,
    fail_rel: float = 0.5,
    slo_margin: float = 0.1,
) -> list[SeriesJudgement]:
    """:func:`judge_series` for every series of a regular family at once, with the same results.

    All series share one list of bounds, so what depends only on the bounds (are they
    sorted, where the +Inf bucket starts, does the SLO sit inside a bucket) is decided once,
    and monotonicity is checked column against column in C. Per series there is one
    ``bisect`` per quantile and a little arithmetic. Series this cannot vouch for (counts
    that fall, NaN) go through :func:`judge_series`.
    """
    bounds = cols.bounds
    last = len(bounds) - 1
    none = [None] * len(cols.counts)
    args = (
        cols.labels,
        cols.counts,
        none if cols.count is None else cols.count,
        none if cols.sum is None else cols.sum,
    )
    columns = cols.columns
    # a NaN or infinite count anywhere: sums are not finite; sorted bounds ending in +Inf
    if (
        last < 1
        or bounds[-1] != math.inf
        or not all(map(operator.lt, bounds, bounds[1:]))
        or not math.isfinite(sum(map(sum, columns)))
    ):
        return [
            judge_series(
                family,
                HistogramSeries(lab, tuple(zip(bounds, c, strict=False)), n, sm),
                quantiles=quantiles,
                slo_s=slo_s,
                abs_tol=abs_tol,
                warn_rel=warn_rel,
                fail_rel=fail_rel,
                slo_margin=slo_margin,
            )
            for lab, c, n, sm in zip(*args, strict=False)
        ]
    falling: set[int] = set()
    for before, after in itertools.pairwise(columns):
        if any(map(operator.gt, before, after)):
            falling.update(itertools.compress(itertools.count(), map(operator.gt, before, after)))
    lower = (0.0, *bounds[:-1])
    lo_inf = bounds[-2]
    specs = [
        (q, f"p{q * 100:g}", f"p{q * 100:g} falls in the +Inf bucket (above {lo_inf:g}): unbounded") for q in quantiles
    ]
    slo_reasons: list[RawFinding] = []
    if slo_s is not None:
        edges = sorted({0.0, *bounds})
        for lo, hi in itertools.pairwise(edges):
            if lo < slo_s < hi and min(slo_s - lo, hi - slo_s if not math.isinf(hi) else math.inf) > slo_margin * slo_s:
                slo_reasons.append(f"SLO {slo_s:g} sits inside bucket ({lo:g}, {hi:g}], far from both bounds")
    bisect_left = bisect.bisect_left
    inf = math.inf
    out: list[SeriesJudgement] = []
    for i, (labels, c, n, sm) in enumerate(zip(*args, strict=False)):
        if i in falling:
            out.append(
                judge_series(
                    family,
                    HistogramSeries(labels, tuple(zip(bounds, c, strict=False)), n, sm),
                    quantiles=quantiles,
                    slo_s=slo_s,
                    abs_tol=abs_tol,
                    warn_rel=warn_rel,
                    fail_rel=fail_rel,
                    slo_margin=slo_margin,
                )
            )
            continue
        reasons: list[RawFinding] = []
        fail = warn = False
        top = c[last]
        if n is not None and top != n:
            warn = True
            reasons.append(("count", top, n))
        total = n if n is not None else top
        mean = sm / total if sm is not None and total else None
        estimates: list[QuantileEstimate] = []
        if top > 0:
            for q, name, in_inf in specs:
                rank = q * top
                b = bisect_left(c, rank, 0, last)
                if b == last:
                    estimates.append(QuantileEstimate(q, lo_inf, lo_inf, inf, True))
                    fail = True
                    reasons.append(in_inf)
                    continue
                end = bounds[b]
                if b == 0 and end <= 0:
                    start = est = end
                else:
                    start = lower[b]
                    width = c[b] - c[b - 1] if b else c[0]
                    if b:
                        rank -= c[b - 1]
                    est = start + (end - start) * (rank / width) if width > 0 else end
                estimates.append(QuantileEstimate(q, est, start, end, False))
                err = max(est - start, end - est)
                rel = err / est if est > 0 else (0.0 if err == 0 else inf)
                if err > abs_tol and rel > fail_rel:
                    fail = True
                    reasons.append(("fail", name, est, start, end, err, rel))
                elif err > abs_tol and rel > warn_rel:
                    warn = True
                    reasons.append(("warn", name, est, start, end, rel))
            if mean is not None and mean > 0 and estimates[0].estimate > 3 * mean and reasons:
                reasons.append(("mean", mean))
            if slo_reasons:
                fail = True
                reasons.extend(slo_reasons)
        verdict = Verdict.FAIL if fail else Verdict.WARN if warn else Verdict.OK if estimates else Verdict.UNKNOWN
        out.append(SeriesJudgement(family, labels, verdict, tuple(reasons), tuple(estimates), mean, total))
    return out


def analyse_histograms(
    expo: Exposition,
    *,
    quantiles: tuple[float, ...] = (0.95, 0.99),
    slo_s: float | None = None,
    abs_tol: float = 0.005,
    warn_rel: float = 0.25,
    fail_rel: float = 0.5,
    metric: str | None = None,
    unit_suffix: str = "_seconds",
) -> HistogramReport:
    """Judge every histogram series on a page (families filtered by regex and unit suffix)."""
    with paused_gc():
        pattern = re.compile(metric) if metric else None
        out: list[SeriesJudgement] = []
        families = skipped = 0
        for fam in expo.families.values():
            if fam.type != "histogram" or not len(fam):
                continue
            if (pattern is not None and not pattern.fullmatch(fam.name)) or (
                unit_suffix and not fam.name.endswith(unit_suffix) and fam.unit != unit_suffix.lstrip("_")
            ):
                skipped += 1
                continue
            families += 1
            cols = histogram_columns(fam)
            if cols is not None:
                out.extend(
                    judge_columns(
                        fam.name,
                        cols,
                        quantiles=quantiles,
                        slo_s=slo_s,
                        abs_tol=abs_tol,
                        warn_rel=warn_rel,
                        fail_rel=fail_rel,
                    )
                )
                continue
            for s in histogram_series(fam):
                out.append(
                    judge_series(
                        fam.name,
                        s,
                        quantiles=quantiles,
                        slo_s=slo_s,
                        abs_tol=abs_tol,
                        warn_rel=warn_rel,
                        fail_rel=fail_rel,
                    )
                )
        return HistogramReport(tuple(out), families, skipped)
