"""Readable reasons for failed HTTP requests, mapped from httpx's exceptions at the boundary.

A responder reads "connection refused by 10.0.0.5:8080" or "TLS handshake with ... failed:
peer is not speaking TLS", not ``httpx.ConnectError: [Errno 111]``. The socket-level cause is
found by walking the exception chain (httpx wraps httpcore, which wraps OSError/SSLError).
"""

from __future__ import annotations

import ssl

import httpx

MAX_REDIRECTS = 10


def describe_http_error(exc: BaseException, url: str) -> str:
    """A readable reason for an httpx error (the cause chain names the socket-level failure)."""
    where = _host_port(url)
    chain = _chain(exc)
    if isinstance(exc, httpx.TooManyRedirects):
        return f"redirect loop: {url} redirected more than {MAX_REDIRECTS} times"
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return f"invalid URL {url!r}: {exc}"
    for err in chain:
        if isinstance(err, ssl.SSLError):
            reason = getattr(err, "reason", None) or str(err)
            if reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "UNKNOWN_PROTOCOL", "HTTP_REQUEST"):
                return f"TLS handshake with {where} failed: peer is not speaking TLS ({reason})"
            return f"TLS handshake with {where} failed: {reason}"
        if isinstance(err, ConnectionRefusedError):
            return f"connection refused by {where}"
        if isinstance(err, ConnectionResetError):
            return f"connection reset by {where}"
        if err.__class__.__name__ == "gaierror":
            return f"cannot resolve host of {url}: {err}"
    text = str(exc).strip()
    if isinstance(exc, httpx.RemoteProtocolError):
        if "without sending" in text or "disconnected" in text.lower():
            return f"{where} closed the connection without a complete response"
        return f"malformed HTTP from {where}: {_clip(text) or 'protocol error'}"
    if isinstance(exc, httpx.ConnectError):
        if "refused" in text.lower():
            return f"connection refused by {where}"
        return f"cannot connect to {where}: {text or exc.__class__.__name__}"
    if isinstance(exc, httpx.ReadError):
        return f"connection to {where} broke while reading: {text or 'read error'}"
    return f"request to {url} failed: {exc.__class__.__name__}: {text}"


def _clip(text: str, n: int = 120) -> str:
    return text if len(text) <= n else text[:n] + "..."


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out and len(out) < 10:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _host_port(url: str) -> str:
    try:
        u = httpx.URL(url)
    except Exception:
        return url
    port = u.port or (443 if u.scheme == "https" else 80)
    return f"{u.host}:{port}"
