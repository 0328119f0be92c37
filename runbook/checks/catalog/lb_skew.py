"""lb_skew (R5): does the load balancer spread keyed requests evenly over its backends?

Leaked or never-closed connections skew ring-hash weights and overload one backend. The check
sends n requests with random uuid4 keys (as a query parameter or header), reads which backend
served each from a response header (or a body regex), and compares the counts with an even
split (or with declared weights): coefficient of variation against the noise floor
sqrt((k-1)/n) that pure chance gives, max/mean, and a chi-square test.

A fail needs both a large skew and a skew chance cannot explain (chi-square p < ``fail_p``):
with 50 backends and 600 requests, chance alone gives max/mean > 1.5 most of the time. When
the figures pass the fail thresholds but n is too small to resolve them (noise_factor x noise
floor above ``fail_cv``), the check cannot tell and says how many requests it would need.
"""

from __future__ import annotations

import asyncio
import math
import re
import statistics
import uuid

from pydantic import Field

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.http import fetch
from runbook.checks.registry import register_check


class LbSkewParams(CheckParams):
    url: str = Field(description="The load-balanced entry, e.g. http://lb:8080/api")
    n: int = Field(600, ge=10, le=100_000, description="Requests to send")
    key_param: str = Field("key", description="Query parameter carrying the random hash key")
    key_header: str | None = Field(None, description="Send the key in this header instead of the query")
    backend_header: str = Field("X-Backend", description="Response header naming the backend")
    backend_regex: str | None = Field(None, description="Regex with one group finding the backend id in the body")
    expected_backends: int | None = Field(None, ge=1, description="k; backends that got nothing count as zero")
    weights: dict[str, float] = Field(default_factory=dict, description="Expected weight per backend id")
    concurrency: int = Field(10, ge=1, le=200, description="Requests in flight at once")
    fail_cv: float = Field(0.25, gt=0, description="fail when CV exceeds this")
    fail_max_mean: float = Field(
        1.5, gt=1, description="fail when the busiest backend's share / fair share exceeds this"
    )
    warn_cv: float = Field(0.10, gt=0, description="warn when CV exceeds max(this, noise_factor x noise floor)")
    noise_factor: float = Field(3.0, gt=0, description="multiple of the noise floor tolerated before warning")
    fail_p: float = Field(
        0.001, gt=0, lt=1, description="fail only when chance explains the skew with p below this (chi-square)"
    )


def chi_square_p(chi2: float, df: int) -> float:
    """Upper-tail p-value of chi-square (Wilson-Hilferty normal approximation, fine for df>=1)."""
    if df <= 0:
        return 1.0
    h = 2 / (9 * df)
    z = ((chi2 / df) ** (1 / 3) - (1 - h)) / math.sqrt(h)
    return 0.5 * math.erfc(z / math.sqrt(2))


def skew_stats(counts: dict[str, int], weights: dict[str, float], k: int) -> dict[str, float]:
    """CV, max/mean, chi-square and the noise floor of per-backend counts vs expected shares."""
    ids = sorted(set(counts) | set(weights))
    ids += [f"(missing {i})" for i in range(max(0, k - len(ids)))]
    k = len(ids)
    n = sum(counts.values())
    total_w = sum(weights.get(i, 1.0) if weights else 1.0 for i in ids)
    expected = {i: n * (weights.get(i, 1.0) if weights else 1.0) / total_w for i in ids}
    ratios = [counts.get(i, 0) / expected[i] for i in ids]  # 1.0 = exactly its fair share
    cv = statistics.pstdev(ratios) / statistics.fmean(ratios) if k > 1 else 0.0
    chi2 = sum((counts.get(i, 0) - expected[i]) ** 2 / expected[i] for i in ids)
    return {
        "k": k,
        "n": n,
        "cv": cv,
        "max_over_mean": max(ratios),
        "noise_floor": math.sqrt((k - 1) / n) if n else math.nan,
        "chi2": chi2,
        "df": k - 1,
        "chi2_p": chi_square_p(chi2, k - 1),
    }


@register_check
class LbSkew(Check[LbSkewParams]):
    name = "lb_skew"
    title = "Load-balancer skew across backends"
    description = (
        "Sends n requests with uuid4 keys, reads the backend from a response header (or body regex), "
        "and compares per-backend counts with an even (or weighted) split. fail: CV > 0.25 or "
        "max/mean > 1.5, and chi-square p < 0.001 (not sampling noise); warn: CV > max(0.10, 3 x noise "
        "floor sqrt((k-1)/n)); unknown: past the fail thresholds within noise and n too small to tell; "
        "ok otherwise."
    )
    rules = ("R5",)
    Params = LbSkewParams
    default_timeout_s = 60.0

    async def run(self, params: LbSkewParams, ctx: CheckContext) -> Outcome:
        pattern = re.compile(params.backend_regex) if params.backend_regex else None
        counts: dict[str, int] = {}
        unattributed = 0
        done = 0
        errors: list[str] = []
        gate = asyncio.Semaphore(params.concurrency)

        async def one(i: int) -> None:
            nonlocal unattributed, done
            key = str(uuid.uuid4())
            headers = {params.key_header: key} if params.key_header else None
            query = None if params.key_header else {params.key_param: key}
            async with gate:
                try:
                    reply = await fetch(
                        ctx,
                        "GET",
                        params.url,
                        headers=headers,
                        params=query,
                        truncate=True,
                        max_bytes=64 * 1024,
                        evidence=(i == 0),
                    )
                except MeasureError as exc:
                    # one reset connection among hundreds is a sample lost, not a failed check
                    errors.append(exc.message)
                    unattributed += 1
                    return
            backend = reply.header(params.backend_header) if reply.ok else None
            if pattern is not None and reply.ok:
                m = pattern.search(reply.text())
                backend = m.group(1) if m and m.groups() else (m.group(0) if m else None)
            if backend:
                counts[backend] = counts.get(backend, 0) + 1
            else:
                unattributed += 1
            done += 1
            if done % 50 == 0:
                ctx.progress(done / params.n, f"request {done} of {params.n}")

        async with asyncio.TaskGroup() as group:
            for i in range(params.n):
                group.create_task(one(i))
        if errors and len(errors) == params.n:
            raise MeasureError(f"all {params.n} requests failed: {errors[0]}")
        if not counts:
            where = f"body regex {params.backend_regex!r}" if pattern else f"header {params.backend_header}"
            raise MeasureError(f"no backend id found ({where}) in any of {params.n} responses")
        return judge(params, counts, unattributed, ctx)


def judge(params: LbSkewParams, counts: dict[str, int], unattributed: int, ctx: CheckContext) -> Outcome:
    k = max(len(counts), params.expected_backends or 0, len(params.weights))
    s = skew_stats(counts, params.weights, k)
    warn_cv = max(params.warn_cv, params.noise_factor * s["noise_floor"])
    shares = ", ".join(f"{b}={c}" for b, c in sorted(counts.items()))
    ctx.record("sample", f"requests per backend: {shares}; unattributed {unattributed}")
    total = sum(counts.values()) or 1
    weight_sum = sum(params.weights.values()) if params.weights else 0
    rows = [f"requests per backend ({total} attributed, {unattributed} unattributed; expected share in brackets):"]
    for b, c in sorted(counts.items(), key=lambda kv: -kv[1]):
        expected = params.weights.get(b, 0) / weight_sum if weight_sum else 1 / k
        rows.append(f"  {b}: {c} ({c / total:.1%}) [{expected:.1%}]")
    missing = k - len(counts)
    if missing > 0:
        rows.append(f"  {missing} expected backend(s) got no request")
    ctx.record("backends", "\n".join(rows), deciding=True)
    figures: dict[str, Figure] = {
        "cv": round(s["cv"], 4),
        "max_over_mean": round(s["max_over_mean"], 3),
        "noise_floor": round(s["noise_floor"], 4),
        "chi2": round(s["chi2"], 2),
        "df": s["df"],
        "chi2_p": round(s["chi2_p"], 6),
        "backends": s["k"],
        "requests": s["n"],
        "unattributed": unattributed,
        "counts": shares,
    }
    # requests for noise_factor x noise floor to sit at fail_cv: n = (k-1) x (noise_factor / fail_cv)^2
    needed = math.ceil((s["k"] - 1) * (params.noise_factor / params.fail_cv) ** 2)
    figures["requests_needed"] = needed
    thresholds = {
        "fail_cv": params.fail_cv,
        "fail_max_over_mean": params.fail_max_mean,
        "fail_p": params.fail_p,
        "warn_cv": round(warn_cv, 4),
    }
    what = (
        f"{s['k']} backends, {s['n']} requests: CV {s['cv']:.3f} (noise floor {s['noise_floor']:.3f}), "
        f"max/mean {s['max_over_mean']:.2f}, chi-square p={s['chi2_p']:.3g}"
    )
    past_fail = s["cv"] > params.fail_cv or s["max_over_mean"] > params.fail_max_mean
    if past_fail and s["chi2_p"] < params.fail_p:
        verdict, why = Verdict.FAIL, f"skewed: {what}"
    elif s["cv"] > warn_cv:
        verdict, why = Verdict.WARN, f"uneven beyond chance: {what}"
    elif past_fail and s["n"] < needed:
        why = f"within sampling noise but too few requests to tell: {what}; send n >= {needed}"
        return Outcome(Verdict.UNKNOWN, why, figures=figures, thresholds=thresholds, error=why)
    elif past_fail:
        verdict, why = Verdict.WARN, f"past the fail thresholds but within sampling noise: {what}"
    else:
        verdict, why = Verdict.OK, f"even within noise: {what}"
    return Outcome(verdict, why, figures=figures, thresholds=thresholds)
