"""Bounded HTTP for checks: every HTTP-based check talks to endpoints through here.

Checks run against sick systems, so a request must never outlive the check's deadline, never
read more than a size cap into memory, never leak a secret into evidence, and fail with one
readable reason. ``fetch`` returns an :class:`HttpReply` (body capped at ``ctx.max_bytes``),
sending the common request (a GET or HEAD with no body) through the lean transport in
``http_lean`` and anything else through httpx, under the same bounds;
``stream_lines`` yields lines of a long response (SSE, the etcd watch stream), bounded per line
and in total. Every failure is a :class:`MeasureError` whose message a responder understands.

Usage::

    reply = await fetch(ctx, "GET", url)
    data = reply.json()                       # MeasureError on garbage or a truncated body
    async with contextlib.aclosing(stream_lines(ctx, "POST", url, json=req, duration_s=5)) as lines:
        async for line in lines:
            ...
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, ClassVar

import httpcore
import httpx

from runbook import __version__
from runbook.checks.base import CheckContext, MeasureError
from runbook.checks.http_errors import MAX_REDIRECTS, describe_http_error
from runbook.checks.http_lean import Handoff, lean_fetch, simple_headers, simple_target
from runbook.checks.http_reply import (
    BODY_EXCERPT,
    Decoder,
    HttpReply,
    format_headers,
    record_response,
    size_text,
    ssl_context,
)
from runbook.checks.redact import redact_url

__all__ = ["HttpReply", "MeasureError", "describe_http_error", "fetch", "stream_lines"]

#: Seconds kept back from the check's deadline so that a request times out (with a precise
#: reason) just before the runner's hard deadline fires (with a generic one).
DEADLINE_MARGIN_S = 0.015
USER_AGENT = f"runbook-check/{__version__}"

HeadersArg = Mapping[str, str] | Sequence[tuple[str, str]] | None


def _budget(ctx: CheckContext, timeout_s: float | None, url: str) -> float:
    remaining = ctx.remaining()
    if remaining <= 0:
        raise MeasureError(f"deadline reached before the request to {redact_url(url)} could start")
    budget = remaining - DEADLINE_MARGIN_S if remaining > 4 * DEADLINE_MARGIN_S else remaining
    return min(budget, timeout_s) if timeout_s is not None else budget


def _inner_timeout(seconds: float) -> httpx.Timeout:
    # httpx's own timeouts fire just before our asyncio one: a TLS handshake cut by a timeout
    # is closed cleanly by httpcore, one cut by cancellation leaves its socket to the GC.
    return httpx.Timeout(max(0.001, seconds - 0.005))


def _header_list(headers: HeadersArg) -> list[tuple[str, str]]:
    items = list(headers.items()) if isinstance(headers, Mapping) else list(headers or ())
    # Ask for identity encoding: a compressed body would defeat the size cap (zip bombs).
    if not any(k.lower() == "accept-encoding" for k, _ in items):
        items.append(("Accept-Encoding", "identity"))
    if not any(k.lower() == "user-agent" for k, _ in items):
        items.append(("User-Agent", USER_AGENT))  # so the endpoint's logs say who is measuring
    return items


def _client(verify: bool, max_redirects: int = MAX_REDIRECTS) -> httpx.AsyncClient:
    """A fresh client per request, closed with it. A client shared across requests would save
    ~1 ms of CPU each, but its pool assigns requests in O(connections) (quadratic for a
    200-endpoint sweep) and keeps half-open sockets alive after a cancelled request."""
    return httpx.AsyncClient(
        verify=ssl_context(verify),
        trust_env=False,  # a proxy from the environment must not sit between us and the endpoint
        limits=httpx.Limits(max_keepalive_connections=0),
        max_redirects=max_redirects,
    )


def _record_request(ctx: CheckContext, request: httpx.Request, body: bytes | None) -> None:
    raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    text = f"{request.method} {redact_url(str(request.url))}\n{format_headers(raw)}"
    if body:
        text += "\n\n" + body[:BODY_EXCERPT].decode("utf-8", errors="replace")
    ctx.record("request", text)


class _Phase:
    """Where a request got to, from httpcore's trace events: the reason names the stuck step."""

    _NAMES: ClassVar[dict[str, str]] = {
        "connection.connect_tcp.started": "connecting: no answer to the TCP handshake",
        "connection.start_tls.started": "TCP connected, TLS handshake not completed",
        "http11.send_request_headers.started": "connected, sending the request",
        "http11.receive_response_headers.started": "connected and request sent, waiting for the response headers",
    }

    def __init__(self) -> None:
        self.text = "connecting"
        self._streams: list[httpcore.AsyncNetworkStream] = []

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        name = self._NAMES.get(event)
        if name:
            self.text = name
        elif event == "connection.connect_tcp.complete" and info.get("return_value") is not None:
            self._streams.append(info["return_value"])

    async def close(self) -> None:
        """Close the TCP stream of a request cut short: httpcore leaves it to the GC when a
        TLS handshake is interrupted by cancellation."""
        for stream in self._streams:
            with contextlib.suppress(Exception):
                await stream.aclose()
        self._streams.clear()


async def fetch(
    ctx: CheckContext,
    method: str,
    url: str,
    *,
    headers: HeadersArg = None,
    json: Any = None,
    content: bytes | str | None = None,
    params: Mapping[str, Any] | None = None,
    max_bytes: int | None = None,
    timeout_s: float | None = None,
    truncate: bool = False,
    follow_redirects: bool = False,
    verify: bool = True,
    evidence: bool = True,
) -> HttpReply:
    """One request, bounded in time (``min(timeout_s, ctx.remaining())``) and in body size.

    A body larger than the cap (``max_bytes``, default ``ctx.max_bytes``) raises MeasureError,
    or with ``truncate=True`` comes back cut with ``truncated=True``. Any HTTP status is a
    reply, not an error; the caller judges it. Request and response excerpts go to evidence
    (redacted by ``ctx.record``) unless ``evidence=False``.
    """
    cap = ctx.max_bytes if max_bytes is None else max_bytes
    started = time.monotonic()
    budget = _budget(ctx, timeout_s, url)
    header_list = _header_list(headers)
    redirects_left = MAX_REDIRECTS
    record_request = evidence
    if json is None and content is None and not params and method in ("GET", "HEAD"):
        # the common request (a probe, a /metrics page, a JSON status): the lean transport
        target = simple_target(url)
        if target is not None and simple_headers(header_list):
            got = await lean_fetch(
                ctx,
                method,
                target,
                header_list,
                cap=cap,
                budget=budget,
                truncate=truncate,
                follow_redirects=follow_redirects,
                verify=verify,
                evidence=evidence,
            )
            if not isinstance(got, Handoff):
                if evidence:
                    record_response(ctx, got)
                return got
            # a redirect to a URL only httpx sends: it follows on from there, with the hops left
            method, url, header_list, redirects_left = got.method, got.url, got.headers, got.redirects_left
            # what is left of the caller's timeout, not a fresh one
            left = None if timeout_s is None else max(0.0, timeout_s - (time.monotonic() - started))
            budget = _budget(ctx, left, url)
            record_request = False  # the first request is in the evidence already
    shown = redact_url(url)
    phase = _Phase()
    body = bytearray()
    try:
        async with asyncio.timeout(budget), _client(verify, redirects_left) as client:
            request = client.build_request(
                method,
                url,
                headers=header_list,
                json=json,
                content=content,
                params=params,
                timeout=_inner_timeout(budget),
                extensions={"trace": phase.trace},
            )
            shown = redact_url(str(request.url))
            if record_request:
                _record_request(ctx, request, request.content if request.content else None)
            t0 = time.monotonic()  # latency excludes building the client (the first one loads CA certs)
            response = await client.send(request, stream=True, follow_redirects=follow_redirects)
            try:
                phase.text = f"HTTP {response.status_code} headers received, reading the body"
                shown = redact_url(str(response.url))
                length = response.headers.get("content-length", "")
                if not truncate and length.isdigit() and int(length) > cap:
                    raise MeasureError(f"response from {shown} is {length} bytes, larger than the {size_text(cap)} cap")
                decoder = Decoder(response.headers.get("content-encoding", ""))
                truncated = False
                async for chunk in response.aiter_raw():
                    body += decoder.decode(chunk, cap + 1 - len(body))
                    phase.text = f"HTTP {response.status_code} headers received, body stalled after {len(body)} bytes"
                    if len(body) > cap:
                        if not truncate:
                            raise MeasureError(f"response from {shown} larger than the {size_text(cap)} cap")
                        del body[cap:]
                        truncated = True
                        break
            finally:
                await response.aclose()
    except MeasureError:
        raise
    except asyncio.CancelledError:
        await phase.close()
        raise
    except (TimeoutError, httpx.TimeoutException):
        await phase.close()
        raise MeasureError(f"no complete response from {shown} within {budget:.3g}s ({phase.text})") from None
    except httpx.HTTPError as exc:
        raise MeasureError(describe_http_error(exc, shown)) from None
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise MeasureError(f"request to {shown} failed: {exc}") from None
    reply = HttpReply(
        status=response.status_code,
        headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw),
        body=bytes(body),
        truncated=truncated,
        elapsed_s=time.monotonic() - t0,
        url=shown,
    )
    if evidence:
        record_response(ctx, reply)
    return reply


async def stream_lines(
    ctx: CheckContext,
    method: str,
    url: str,
    *,
    headers: HeadersArg = None,
    json: Any = None,
    content: bytes | str | None = None,
    params: Mapping[str, Any] | None = None,
    duration_s: float | None = None,
    max_line_bytes: int = 256 * 1024,
    max_total_bytes: int | None = None,
    verify: bool = True,
) -> AsyncGenerator[str, None]:
    """Lines of a streaming response (without line endings), decoded as UTF-8.

    With ``duration_s`` the stream ends quietly after that long (never past the deadline);
    without it, reaching the deadline raises MeasureError. A non-2xx status, a line longer
    than ``max_line_bytes`` or more than ``max_total_bytes`` (default ``ctx.max_bytes``) in
    total raise MeasureError. Wrap in ``contextlib.aclosing`` when you may stop early.
    """
    total_cap = ctx.max_bytes if max_total_bytes is None else max_total_bytes
    budget = _budget(ctx, None, url)
    quiet_end = duration_s is not None and duration_s < budget
    window = min(budget, duration_s) if duration_s is not None else budget
    # The time limit wraps each await, never a ``yield``: a timeout scope held across a yield
    # would cancel the consumer's code instead of this read.
    end = time.monotonic() + window
    shown = redact_url(url)
    phase = _Phase()
    total = 0
    buf = bytearray()
    try:
        # entered and left around the whole stream, but it holds no timeout scope across yields
        async with _client(verify) as client:
            request = client.build_request(
                method,
                url,
                headers=_header_list(headers),
                json=json,
                content=content,
                params=params,
                timeout=_inner_timeout(window),
                extensions={"trace": phase.trace},
            )
            shown = redact_url(str(request.url))
            _record_request(ctx, request, request.content if request.content else None)
            async with asyncio.timeout_at(end):
                response = await client.send(request, stream=True)
            try:
                head = format_headers((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw)
                if not 200 <= response.status_code < 300:
                    async with asyncio.timeout_at(end):
                        excerpt = (await _read_some(response, BODY_EXCERPT)).decode("utf-8", "replace")
                    ctx.record("response", f"HTTP {response.status_code} from {shown}\n{head}\n\n{excerpt}")
                    raise MeasureError(f"stream {shown} answered HTTP {response.status_code}: {excerpt[:200]!r}")
                ctx.record("response", f"HTTP {response.status_code} from {shown} (stream)\n{head}")
                phase.text = "stream open, waiting for data"
                chunks = response.aiter_raw()
                while True:
                    async with asyncio.timeout_at(end):
                        chunk = await anext(chunks, None)
                    if chunk is None:
                        break
                    total += len(chunk)
                    if total > total_cap:
                        raise MeasureError(f"stream {shown} sent more than the {size_text(total_cap)} cap")
                    buf += chunk
                    while (nl := buf.find(b"\n")) >= 0:
                        line = bytes(buf[:nl]).rstrip(b"\r")
                        del buf[: nl + 1]
                        yield line.decode("utf-8", errors="replace")
                    if len(buf) > max_line_bytes:
                        raise MeasureError(f"stream {shown} sent a line longer than {size_text(max_line_bytes)}")
                    phase.text = f"stream open, {total} bytes received, then silence"
                if buf:
                    yield bytes(buf).rstrip(b"\r").decode("utf-8", errors="replace")
            finally:
                await response.aclose()
    except MeasureError:
        raise
    except (TimeoutError, httpx.TimeoutException):
        await phase.close()
        if quiet_end and phase.text.startswith("stream open"):
            return
        raise MeasureError(f"stream {shown} gave no complete answer within {window:.3g}s ({phase.text})") from None
    except httpx.HTTPError as exc:
        raise MeasureError(describe_http_error(exc, shown)) from None
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise MeasureError(f"stream {shown} failed: {exc}") from None


async def _read_some(response: httpx.Response, limit: int) -> bytes:
    out = bytearray()
    async for chunk in response.aiter_raw():
        out += chunk
        if len(out) >= limit:
            break
    return bytes(out[:limit])
