"""label_cardinality (C12, R12): which metric or label is exploding the series count?

A label that carries a user ID, a request ID or an IP turns one metric into as many series as
there are users; Prometheus' memory and every query over that metric grow with it. The check
counts series per metric family and distinct values per label, either on a target's /metrics
page or in Prometheus' own head block (``/api/v1/status/tsdb``), and flags label values that
look like identifiers (UUIDs, long hex, all digits, IP addresses, e-mail addresses).

Labels are judged per metric, never summed across metrics, and two kinds are told apart:
request-scoped identifiers (user, request, session, trace IDs: they grow with traffic, R12's
failure mode) and fleet identity (``pod``, ``uid``, ``container_id``, ``instance``...: bounded
by the size of the fleet). Fleet labels are reported, not judged; a metric whose size is
explained by fleet labels alone (kube-state-metrics' ``kube_pod_info``) is not an explosion.
"""

from __future__ import annotations

import itertools
from typing import Self

from pydantic import Field, model_validator

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.catalog._cardinality_report import (
    ID_SAMPLE,
    CardinalityReport,
    LabelCount,
    count_id_like,
)
from runbook.checks.catalog._tsdb_status import read_tsdb_status
from runbook.checks.http import fetch
from runbook.checks.registry import register_check
from runbook.errors import ParseError
from runbook.parsers.prom_text import Exposition, parse, paused_gc

#: Labels that name a member of the fleet (a pod, a container, a node): their values grow
#: with the fleet, not with traffic.
FLEET_LABELS = (
    "instance",
    "job",
    "pod",
    "pod_name",
    "pod_uid",
    "uid",
    "pod_ip",
    "host_ip",
    "container",
    "container_id",
    "container_name",
    "id",
    "image",
    "image_id",
    "namespace",
    "node",
    "host",
    "hostname",
)


def analyse_cardinality(expo: Exposition, *, top: int = 10, min_values_for_id_check: int = 10) -> CardinalityReport:
    """Series per family and distinct values per (family, label) on a parsed page."""
    with paused_gc():
        fams = sorted(((f.name, len(f)) for f in expo.families.values() if len(f)), key=lambda x: -x[1])
        labels: list[LabelCount] = []
        for fam in expo.families.values():
            if len(fam) < 2:
                continue
            for label, values in fam.label_values().items():
                n = len(values)
                if n < min_values_for_id_check:
                    labels.append(LabelCount(fam.name, label, n, 0, ()))
                    continue
                # a set iterates in hash order, so its first values are an unbiased sample
                sample = list(itertools.islice(values, ID_SAMPLE))
                id_like = count_id_like(sample)
                if n > ID_SAMPLE:
                    id_like = round(id_like * n / ID_SAMPLE)
                labels.append(LabelCount(fam.name, label, n, id_like, tuple(sorted(sample)[:3])))
        labels.sort(key=lambda c: (-c.values, -c.id_like))
        return CardinalityReport(sum(n for _, n in fams), tuple(fams[:top]), tuple(labels[:top]))


class CardinalityParams(CheckParams):
    metrics_url: str | None = Field(None, description="A target's /metrics page")
    prom_url: str | None = Field(None, description="Prometheus base URL: reads /api/v1/status/tsdb")
    warn_series: int = Field(1000, gt=0, description="warn when a metric has this many series")
    fail_series: int = Field(10_000, gt=0, description="fail when a metric has this many series")
    warn_values: int = Field(100, gt=0, description="warn when a label has this many values")
    fail_values: int = Field(1000, gt=0, description="fail when a label has this many values")
    fail_id_like: int = Field(100, gt=0, description="fail when a label has this many ID-like values")
    ignore_labels: list[str] = Field(["__name__"], description="Labels not judged (TSDB mode counts __name__)")
    fleet_labels: list[str] = Field(
        list(FLEET_LABELS),
        description="Fleet identity labels (bounded by the fleet, not by traffic): reported, never judged",
    )

    @model_validator(mode="after")
    def _source(self) -> Self:
        if not self.metrics_url and not self.prom_url:
            raise ValueError("give metrics_url or prom_url")
        return self


@register_check
class LabelCardinality(Check[CardinalityParams]):
    name = "label_cardinality"
    title = "Label cardinality"
    description = (
        "Series per metric and values per label within each metric, from /metrics or Prometheus' "
        "TSDB status (per-metric label values via the API); fleet identity labels (pod, uid, "
        "container_id, instance...) are reported, not judged. fail at >=10k series, >=1000 values "
        "or >=100 ID-like values (uuid, hex, digits, IP, e-mail) of a request-scoped label; warn "
        "at >=1000 series or >=100 values; a metric sized by fleet labels alone is not judged."
    )
    rules = ("R12",)
    Params = CardinalityParams
    default_timeout_s = 15.0

    async def run(self, params: CardinalityParams, ctx: CheckContext) -> Outcome:
        if params.metrics_url:
            reply = await fetch(ctx, "GET", params.metrics_url, headers={"Accept": "text/plain;version=0.0.4"})
            if not reply.ok:
                raise MeasureError(f"{reply.url} answered HTTP {reply.status}")
            try:
                report = analyse_cardinality(parse(reply.text()))
            except ParseError as exc:
                raise MeasureError(f"{reply.url} is not a valid exposition: {exc}") from None
            source = reply.url
        elif params.prom_url:
            report = await read_tsdb_status(ctx, params.prom_url, params.warn_values)
            source = f"{params.prom_url} TSDB head"
        else:  # the params validator already refuses this
            raise MeasureError("give metrics_url or prom_url")
        return judge(report, params, source, ctx)


def _deciding_label(
    report: CardinalityReport,
    params: CardinalityParams,
    labels: list[LabelCount],
    fleet: list[LabelCount],
    flagged: bool,
) -> str:
    """The label the verdict names (the first over a threshold, else the widest) with its count
    and sample values, next to the series counts of the largest metrics."""

    def over(c: LabelCount, values: int) -> bool:
        return c.values >= values or c.id_like >= params.fail_id_like

    picked = next((c for c in labels if over(c, params.fail_values)), None) if flagged else None
    if picked is None and flagged:
        picked = next((c for c in labels if over(c, params.warn_values)), None)
    picked = picked or (labels[0] if labels else fleet[0] if fleet else None)
    series = dict(report.top_families)
    lines = []
    if picked is not None:
        where = f"{picked.metric}.{picked.label}" if picked.metric else picked.label
        lines.append(f"{where}: {picked.values} distinct values, {picked.id_like} ID-like")
        if picked.examples:
            lines.append("  values: " + ", ".join(picked.examples))
        if picked.label in params.fleet_labels:
            lines.append("  (a fleet label: not judged)")
        if picked.metric in series:
            lines.append(f"  {picked.metric}: {series[picked.metric]} series")
    lines += [f"{name}: {n} series" for name, n in report.top_families[:3] if name != getattr(picked, "metric", None)]
    return "\n".join(lines)


def judge(report: CardinalityReport, params: CardinalityParams, source: str, ctx: CheckContext) -> Outcome:
    thresholds = {
        "warn_series": params.warn_series,
        "fail_series": params.fail_series,
        "warn_values": params.warn_values,
        "fail_values": params.fail_values,
        "fail_id_like": params.fail_id_like,
    }
    if not report.top_families:
        return Outcome(
            Verdict.UNKNOWN,
            f"no series at {source}",
            {"series_total": 0},
            thresholds,
            error="the page holds no samples",
        )
    fleet_names = set(params.fleet_labels)
    counted = [c for c in report.top_labels if c.label not in params.ignore_labels]
    labels = [c for c in counted if c.label not in fleet_names]
    fleet = [c for c in counted if c.label in fleet_names]
    # a metric is fleet-sized when every label of it with many values is a fleet label
    wide: dict[str, set[bool]] = {}
    for c in counted:
        if c.metric and c.values >= params.warn_values:
            wide.setdefault(c.metric, set()).add(c.label in fleet_names)
    fleet_sized = {m for m, kinds in wide.items() if kinds == {True}}
    fails: list[str] = []
    warns: list[str] = []
    notes: list[str] = []
    for name, n in report.top_families:
        if n >= params.warn_series and name in fleet_sized:
            notes.append(f"{name} has {n} series, sized by fleet labels")
        elif n >= params.fail_series:
            fails.append(f"{name} has {n} series")
        elif n >= params.warn_series:
            warns.append(f"{name} has {n} series")
    for c in labels:
        where = f"{c.metric}.{c.label}" if c.metric else c.label
        if c.values >= params.fail_values:
            fails.append(f"{where} has {c.values} values")
        elif c.id_like >= params.fail_id_like:
            fails.append(f"{where} has {c.id_like} ID-like values (e.g. {', '.join(c.examples)})")
        elif c.values >= params.warn_values:
            warns.append(f"{where} has {c.values} values")
    for c in fleet[:3]:
        ctx.record("sample", f"{c.metric or '*'} {c.label}: {c.values} values (fleet identity, not judged)")
    for c in labels[:5]:
        ctx.record(
            "sample",
            f"{c.metric or '*'} {c.label}: {c.values} values, {c.id_like} ID-like"
            + (f", e.g. {', '.join(c.examples)}" if c.examples else ""),
        )
    top_name, top_n = report.top_families[0]
    ctx.record("label", _deciding_label(report, params, labels, fleet, bool(fails or warns)), deciding=True)
    figures: dict[str, Figure] = {
        "series_total": report.series_total,
        "top_metric": top_name,
        "top_metric_series": top_n,
        "fleet_sized_metrics": len(fleet_sized),
        "top_fleet_label": (f"{fleet[0].metric}.{fleet[0].label}" if fleet[0].metric else fleet[0].label)
        if fleet
        else None,
        "top_fleet_label_values": fleet[0].values if fleet else None,
    }
    if labels:
        figures.update(
            {
                "top_label": f"{labels[0].metric}.{labels[0].label}" if labels[0].metric else labels[0].label,
                "top_label_values": labels[0].values,
                "top_label_id_like": labels[0].id_like,
            }
        )
    if fails:
        return Outcome(Verdict.FAIL, f"cardinality explosion at {source}: " + "; ".join(fails[:3]), figures, thresholds)
    if warns:
        return Outcome(Verdict.WARN, f"high cardinality at {source}: " + "; ".join(warns[:3]), figures, thresholds)
    fleet_note = f" ({'; '.join(notes[:2])})" if notes else ""
    return Outcome(
        Verdict.OK,
        f"cardinality is bounded at {source}: largest is {top_name} with {top_n} series{fleet_note}",
        figures,
        thresholds,
    )
