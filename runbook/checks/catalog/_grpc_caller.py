"""The caller side of grpc_unavailable_fallback: counter deltas and classified active requests.

Kept apart from the gRPC health part so each stays small: this module only speaks HTTP
(through :func:`runbook.checks.http.fetch`) and reads Prometheus text with simple selectors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from runbook.checks.base import CheckContext, Figure, MeasureError
from runbook.checks.http import fetch
from runbook.parsers.prom_select import select_sum


class CallerParams(Protocol):
    """The caller-side settings of ``grpc_unavailable_fallback`` (its ``Params`` fits; a protocol
    keeps this module from importing the check that imports it)."""

    @property
    def caller_url(self) -> str | None: ...
    @property
    def caller_metrics_url(self) -> str | None: ...
    @property
    def unavailable_selector(self) -> str: ...
    @property
    def fallback_selector(self) -> str | None: ...
    @property
    def errors_selector(self) -> str | None: ...
    @property
    def fallback_status(self) -> list[int]: ...
    @property
    def fallback_header(self) -> str | None: ...
    @property
    def fallback_body_regex(self) -> str | None: ...
    @property
    def deadline_ms(self) -> int: ...
    @property
    def active_requests(self) -> int: ...


@dataclass(frozen=True)
class Counters:
    unavailable: float | None
    fallback: float | None
    errors: float | None

    def delta(self, after: Counters) -> Deltas:
        def d(a: float | None, b: float | None) -> float | None:
            # a series that appears only after the first scrape started from zero
            if b is None:
                return None
            return b - (a or 0.0)

        return Deltas(
            d(self.unavailable, after.unavailable), d(self.fallback, after.fallback), d(self.errors, after.errors)
        )


@dataclass(frozen=True)
class Deltas:
    unavailable: float | None
    fallback: float | None
    errors: float | None

    def figures(self) -> dict[str, Figure]:
        return {
            "unavailable_delta": self.unavailable,
            "fallback_delta": self.fallback,
            "caller_errors_delta": self.errors,
        }


async def scrape(ctx: CheckContext, params: CallerParams) -> Counters:
    if not params.caller_metrics_url:
        raise MeasureError("no caller_metrics_url to scrape")
    reply = await fetch(ctx, "GET", params.caller_metrics_url, timeout_s=5.0, evidence=False)
    if reply.status != 200:
        raise MeasureError(f"caller metrics {reply.url} answered HTTP {reply.status}")
    page = reply.text()
    counters = Counters(
        unavailable=select_sum(page, params.unavailable_selector),
        fallback=select_sum(page, params.fallback_selector) if params.fallback_selector else None,
        errors=select_sum(page, params.errors_selector) if params.errors_selector else None,
    )
    ctx.record(
        "sample",
        f"caller counters: Unavailable={counters.unavailable} fallback={counters.fallback} errors={counters.errors}",
    )
    return counters


@dataclass
class ActiveTally:
    fallback: int = 0
    error: int = 0
    normal: int = 0
    first_error: str = ""

    @property
    def total(self) -> int:
        return self.fallback + self.error + self.normal

    @property
    def errors(self) -> int:
        return self.error

    def figures(self) -> dict[str, Figure]:
        if not self.total:
            return {}
        return {
            "active_requests": self.total,
            "active_fallback": self.fallback,
            "active_error": self.error,
            "active_normal": self.normal,
        }


def is_fallback(params: CallerParams, status: int, headers: Iterable[tuple[str, str]], body: str) -> bool:
    if params.fallback_status and status in params.fallback_status:
        return True
    if params.fallback_header:
        name, _, rx = params.fallback_header.partition(":")
        for k, v in headers:
            if k.lower() == name.strip().lower() and (not rx.strip() or re.search(rx.strip(), v)):
                return True
    return bool(params.fallback_body_regex and re.search(params.fallback_body_regex, body))


async def probe_caller(ctx: CheckContext, params: CallerParams) -> ActiveTally:
    """``active_requests`` sequential requests, each bounded by the check's deadline_ms x 4."""
    tally = ActiveTally()
    if not params.caller_url:
        return tally
    url = params.caller_url
    per_request = max(0.2, params.deadline_ms / 1000 * 4)
    for i in range(params.active_requests):
        if ctx.remaining() < 0.1:
            break
        try:
            reply = await fetch(ctx, "GET", url, timeout_s=per_request, evidence=i < 2)
        except MeasureError as exc:
            tally.error += 1
            tally.first_error = tally.first_error or str(exc)
            continue
        if reply.status >= 500:
            tally.error += 1
            tally.first_error = tally.first_error or f"HTTP {reply.status}"
            ctx.record("event", f"request {i + 1}: HTTP {reply.status} {reply.text()[:120]}")
        elif is_fallback(params, reply.status, reply.headers, reply.text()):
            tally.fallback += 1
        else:
            tally.normal += 1
    return tally
