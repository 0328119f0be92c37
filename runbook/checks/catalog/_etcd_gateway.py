"""Calls to etcd's JSON gateway shared by the etcd checks (lease keep-alive, registry).

Every call goes through :func:`runbook.checks.http.fetch`, so it is bounded by the check's
deadline and size cap; a transport problem, an HTTP error or a malformed reply becomes
:class:`MeasureError` with a one-line reason, which the runner turns into ``unknown``.
Polling checks pass ``evidence=False`` and record their own compact samples instead of
one request/response excerpt per poll.
"""

from __future__ import annotations

from typing import Any

from runbook.checks.base import CheckContext, MeasureError
from runbook.checks.http import fetch
from runbook.parsers.etcd_json import (
    EtcdFormatError,
    LeaseTTL,
    RangeResult,
    parse_range,
    parse_timetolive,
    range_request,
)

#: One gateway call never waits longer than this, even with a long deadline left.
CALL_TIMEOUT_S = 5.0


async def post_json(ctx: CheckContext, url: str, body: dict[str, Any], *, evidence: bool = True) -> Any:
    """POST ``body`` as JSON and decode the reply; MeasureError unless HTTP 200 with JSON."""
    reply = await fetch(ctx, "POST", url, json=body, timeout_s=CALL_TIMEOUT_S, evidence=evidence)
    if reply.status != 200:
        raise MeasureError(f"POST {reply.url} answered HTTP {reply.status}: {reply.text()[:200]!r}")
    return reply.json()


async def range_prefix(ctx: CheckContext, base_url: str, prefix: str, *, evidence: bool = True) -> RangeResult:
    """Every key under ``prefix`` (``/v3/kv/range`` with the prefix's range_end)."""
    data = await post_json(ctx, base_url.rstrip("/") + "/v3/kv/range", range_request(prefix), evidence=evidence)
    try:
        return parse_range(data)
    except EtcdFormatError as exc:
        raise MeasureError(f"etcd range reply from {base_url}: {exc}") from None


async def lease_ttl(ctx: CheckContext, base_url: str, lease: int, *, evidence: bool = True) -> LeaseTTL:
    """Remaining and granted TTL of one lease (ID sent as a string: it exceeds 2^53)."""
    data = await post_json(
        ctx, base_url.rstrip("/") + "/v3/lease/timetolive", {"ID": str(lease), "keys": True}, evidence=evidence
    )
    try:
        return parse_timetolive(data)
    except EtcdFormatError as exc:
        raise MeasureError(f"etcd timetolive reply from {base_url}: {exc}") from None


async def metrics_page(ctx: CheckContext, base_url: str) -> str | None:
    """The ``/metrics`` text, or None when it cannot be read (metrics are optional evidence)."""
    try:
        reply = await fetch(
            ctx, "GET", base_url.rstrip("/") + "/metrics", timeout_s=min(CALL_TIMEOUT_S, 2.0), evidence=False
        )
    except MeasureError:
        return None
    return reply.text() if reply.status == 200 and not reply.truncated else None
