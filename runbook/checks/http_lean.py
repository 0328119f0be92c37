"""A lean HTTP/1.1 exchange for the request most checks send: one GET or HEAD, no body.

httpx is general (a connection pool, cookies, auth flows, proxies, anyio, h11) and a fresh
client per request costs about 4 ms of CPU on this machine. A kubelet-like probe is one
request on a fresh connection, and a sweep runs 200 of them on one event loop, so the
client library alone kept a 200-endpoint sweep busy for 0.8 s while every endpoint answered
within 200 ms. This module speaks just the HTTP/1.1 such a request needs over asyncio
streams, at about a fifth of that cost, and keeps every bound httpx kept for ``fetch``. The
wire format itself (the status line, headers, Content-Length and chunked framing, trailers,
1xx answers) is h11's, the parser httpx uses, driven directly: an ``h11.Connection`` per
connection, fed from the stream reader.

- time: the caller's budget is one ``asyncio.timeout`` around the whole exchange, redirects
  included, and the reason names the phase it was stuck in (the TCP handshake, the TLS
  handshake, the response headers, a body stalled after N bytes);
- size: the header section is capped (:data:`HEAD_LIMIT`), a declared body larger than the
  cap is refused before it is read, a body is read and decoded only up to the cap
  (:class:`~runbook.checks.http_reply.Decoder` bounds decompression);
- redirects: followed only when asked, at most ``MAX_REDIRECTS``, ``Authorization`` (and a
  caller's ``Host``) dropped when the origin changes;
- a malformed answer (a bad status line, a bad header, bad chunk framing, a connection closed
  early) is a :class:`MeasureError` with a readable reason, never a hang.

``fetch`` decides with :func:`simple_target` and :func:`simple_headers`: anything else (a
body to send, query params to encode, credentials in the URL, a URL httpx would normalise, a
fragment) goes through httpx as before.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import urljoin

import h11

from runbook.checks.base import CheckContext, MeasureError
from runbook.checks.http_errors import MAX_REDIRECTS, describe_http_error
from runbook.checks.http_reply import BODY_EXCERPT, Decoder, HttpReply, format_headers, size_text, ssl_context
from runbook.checks.redact import redact_url

#: The status line and header section may not exceed this (h11's default bound is 16 KiB);
#: nor may a chunk header or the trailers.
HEAD_LIMIT = 64 * 1024
#: Bytes asked of the socket per read.
READ_SIZE = 64 * 1024
#: The exchange's own timeout fires this much before the caller's budget runs out.
INNER_MARGIN_S = 0.005

# What httpx would send unchanged: an ASCII host (name, IPv4 or a bracketed IPv6), a port, and
# a path and query of characters that need no percent-encoding. Anything else goes to httpx.
_URL = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\])(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<target>[/?][!$&'()*+,;=:@/?%\w.~-]*)?\Z",
    re.ASCII,
)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_DOT_SEGMENT = re.compile(r"/\.\.?(?:/|\?|\Z)")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_VALUE = re.compile(r"[\t\x20-\x7e]*\Z")
# h11 shows the offending bytes as bytearray(b'...'): shown as the bytes alone
_BYTEARRAY = re.compile(r"bytearray\((b(['\"]).*?\2)\)")
_REDIRECTS = frozenset((301, 302, 303, 307, 308))


class Target(NamedTuple):
    """A URL the lean exchange can send as written."""

    url: str
    tls: bool
    host: str
    """For connecting (IPv6 without brackets)."""
    port: int
    host_header: str
    target: str
    """The request target: path and query, ``/`` when the URL has no path."""

    @property
    def origin(self) -> tuple[bool, str, int]:
        return (self.tls, self.host, self.port)


class Handoff(NamedTuple):
    """A redirect to a URL the lean exchange does not send: httpx continues from it."""

    url: str
    method: str
    headers: list[tuple[str, str]]
    redirects_left: int


def simple_target(url: str) -> Target | None:
    """The URL split for the lean exchange, or None when httpx must send it."""
    m = _URL.match(url)
    if m is None:
        return None
    target = m["target"] or "/"
    if target[0] == "?":
        target = "/" + target
    path = target.partition("?")[0]
    if _BAD_PERCENT.search(target) or _DOT_SEGMENT.search(path):
        return None
    tls = m["scheme"] == "https"
    default = 443 if tls else 80
    port = int(m["port"]) if m["port"] else default
    if not 0 < port < 65536:
        return None
    host = m["host"].lower()
    header = host if port == default else f"{host}:{port}"
    return Target(url, tls, host.strip("[]"), port, header, target)


def simple_headers(headers: list[tuple[str, str]]) -> bool:
    """True when every header is a token name and a printable ASCII value (else httpx checks)."""
    return all(_TOKEN.match(k) and _VALUE.match(v) for k, v in headers)


def request_headers(t: Target, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What goes on the wire, in httpx's order: Host (unless the caller gave one, a virtual
    host probe), the defaults the caller did not set (``Connection: close``: the connection is
    never reused), then the caller's headers."""
    given = {k.lower() for k, _ in headers}
    out = [] if "host" in given else [("Host", t.host_header)]
    out += [(k, v) for k, v in (("Accept", "*/*"), ("Connection", "close")) if k.lower() not in given]
    return out + headers


class _Conn:
    """One connection: its streams, its h11 state and the phase it is in (for the reason)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.phase = "connecting: no answer to the TCP handshake"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.h11 = h11.Connection(our_role=h11.CLIENT, max_incomplete_event_size=HEAD_LIMIT)
        self.fed = 0
        """Bytes given to h11 so far (a head's size is what of them h11 consumed for it)."""
        self.eof = False

    async def send(self, t: Target, verify: bool, method: str, headers: list[tuple[str, str]]) -> None:
        """Connect (and shake hands) and write the request."""
        try:
            # whitespace around a value is not part of it (RFC 9110 5.5), and h11 refuses to send it
            headers = [(k, v.strip(" \t")) for k, v in headers]
            request = self.h11.send(h11.Request(method=method, target=t.target, headers=headers)) or b""
            request += self.h11.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:  # e.g. two Host headers from the caller
            raise ValueError(str(exc)) from None
        self.reader, self.writer = await asyncio.open_connection(t.host, t.port, limit=READ_SIZE)
        if t.tls:
            self.phase = "TCP connected, TLS handshake not completed"
            await self.writer.start_tls(ssl_context(verify), server_hostname=t.host)
        self.phase = "connected, sending the request"
        self.writer.write(request)
        self.phase = "connected and request sent, waiting for the response headers"

    def close(self) -> None:
        if self.writer is not None:
            # abort: nothing is left to send, and a TLS close_notify would wait on the peer
            self.writer.transport.abort()
            self.writer = None

    async def event(self, in_head: bool) -> h11.Event:
        """h11's next event, reading from the socket while it needs data."""
        assert self.reader is not None
        while True:
            try:
                ev = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise MeasureError(self._reason(exc, in_head)) from None
            if ev is h11.NEED_DATA:
                data = await self.reader.read(READ_SIZE)
                self.fed += len(data)
                self.eof = not data
                self.h11.receive_data(data)  # b"": the peer closed
            elif ev is h11.PAUSED:  # not reached: the exchange ends with the response
                raise MeasureError(f"malformed HTTP from {self.where}: data after the response")
            else:
                assert isinstance(ev, h11.Event)
                return ev

    def _reason(self, exc: h11.RemoteProtocolError, in_head: bool) -> str:
        if self.eof:  # an early close, in h11's words for the head, the body or a chunk
            return f"{self.where} closed the connection without a complete response"
        text = str(exc)
        if text == "Receive buffer too long":
            what = "response headers" if in_head else "a chunk header or the trailers"
            text = f"{what} longer than {size_text(HEAD_LIMIT)}"
        elif "_SWITCH_UPGRADE" in text:
            text = "101 Switching Protocols, but no upgrade was asked for"
        text = _BYTEARRAY.sub(r"\1", text)
        return f"malformed HTTP from {self.where}: {text if len(text) <= 120 else text[:120] + '...'}"

    async def head(self) -> h11.Response:
        """The final (non-1xx) response's head."""
        start = 0  # where this head began, in bytes fed
        while True:
            ev = await self.event(in_head=True)
            # h11 bounds a head still arriving; one that arrived whole in a read is measured here
            if self.fed - start > HEAD_LIMIT:
                end = self.fed - len(self.h11.trailing_data[0])
                if end - start > HEAD_LIMIT:
                    raise MeasureError(
                        f"malformed HTTP from {self.where}: response headers longer than {size_text(HEAD_LIMIT)}"
                    )
            if isinstance(ev, h11.Response):
                return ev
            if not isinstance(ev, h11.InformationalResponse):  # not reached: h11 raises first
                raise MeasureError(f"{self.where} closed the connection without a complete response")
            start = self.fed - len(self.h11.trailing_data[0])  # a 1xx: skipped


def _declared_size(method: str, status: int, headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The body's Content-Length when that is what delimits it (h11 has validated it), 0 when
    there is no body, None when it is chunked or read until the close."""
    if method == "HEAD" or status in (204, 304):
        return 0
    length = None
    for name, value in headers:
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            length = int(value)
    return length


class _Body:
    """The body as decoded so far, held to the cap."""

    def __init__(self, conn: _Conn, status: int, encoding: str, cap: int, truncate: bool, shown: str) -> None:
        self.conn = conn
        self.status = status
        self.decoder = Decoder(encoding)
        self.cap = cap
        self.truncate = truncate
        self.shown = shown
        self.data = bytearray()
        self.truncated = False

    def add(self, chunk: bytes) -> bool:
        """Take raw body bytes; False once the cap is reached (with ``truncate``)."""
        self.data += self.decoder.decode(chunk, self.cap + 1 - len(self.data))
        self.conn.phase = f"HTTP {self.status} headers received, body stalled after {len(self.data)} bytes"
        if len(self.data) > self.cap:
            if not self.truncate:
                raise MeasureError(f"response from {self.shown} larger than the {size_text(self.cap)} cap")
            del self.data[self.cap :]
            self.truncated = True
            return False
        return True

    async def read(self) -> None:
        """Until h11 says the response ended (trailers dropped, as httpx does) or the cap."""
        while True:
            ev = await self.conn.event(in_head=False)
            if isinstance(ev, h11.Data):
                if not self.add(ev.data):
                    return
            elif isinstance(ev, h11.EndOfMessage):
                return
            else:  # not reached: h11 raises first
                raise MeasureError(f"{self.conn.where} closed the connection without a complete response")


def _where(t: Target) -> str:
    return f"{t.host}:{t.port}"


async def lean_fetch(
    ctx: CheckContext,
    method: str,
    first: Target,
    headers: list[tuple[str, str]],
    *,
    cap: int,
    budget: float,
    truncate: bool,
    follow_redirects: bool,
    verify: bool,
    evidence: bool,
) -> HttpReply | Handoff:
    """``fetch`` for a simple request: a reply, or a redirect httpx has to follow (Handoff)."""
    t = first
    shown = redact_url(t.url) if "?" in t.url else t.url
    first_shown = shown
    conn = _Conn(_where(t))
    recorded = not evidence
    redirects = 0
    t0 = time.monotonic()
    try:
        # 5 ms inside the budget, as httpx's own timeouts were: on a loaded machine the loop may
        # wake late, and this timer must still fire before the runner's (a generic reason)
        async with asyncio.timeout(max(0.001, budget - INNER_MARGIN_S)):
            while True:
                sent = request_headers(t, headers)
                await conn.send(t, verify, method, sent)
                if not recorded:  # after the write: the request is on the wire first
                    ctx.record("request", f"{method} {shown}\n{format_headers(sent)}")
                    recorded = True
                response = await conn.head()
                status = response.status_code
                got = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw_items()]
                conn.phase = f"HTTP {status} headers received, reading the body"
                location = next((v for k, v in got if k.lower() == "location"), None) if follow_redirects else None
                if location is not None and status in _REDIRECTS:
                    conn.close()
                    redirects += 1
                    if redirects > MAX_REDIRECTS:
                        raise MeasureError(f"redirect loop: {first_shown} redirected more than {MAX_REDIRECTS} times")
                    url = urljoin(t.url, location)
                    if status == 303 and method != "HEAD":
                        method = "GET"
                    nxt = simple_target(url)
                    if nxt is None or nxt.origin != t.origin:
                        # another origin: no credentials for it, and its own Host
                        headers = [(k, v) for k, v in headers if k.lower() not in ("authorization", "host")]
                    if nxt is None:
                        return Handoff(url, method, headers, MAX_REDIRECTS - redirects)
                    t = nxt
                    shown = redact_url(t.url) if "?" in t.url else t.url
                    conn = _Conn(_where(t))
                    continue
                size = _declared_size(method, status, response.headers)
                if not truncate and size is not None and size > cap:
                    raise MeasureError(f"response from {shown} is {size} bytes, larger than the {size_text(cap)} cap")
                encoding = next((v for k, v in got if k.lower() == "content-encoding"), "")
                body = _Body(conn, status, encoding, cap, truncate, shown)
                await body.read()
                break
    except MeasureError:
        raise
    except TimeoutError:
        raise MeasureError(f"no complete response from {shown} within {budget:.3g}s ({conn.phase})") from None
    except (OSError, ssl.SSLError) as exc:
        reason = describe_http_error(exc, shown)
        if reason.startswith("request to"):  # not one of the named socket failures
            reason = f"request to {shown} failed: {exc}"
        raise MeasureError(reason) from None
    except ValueError as exc:  # e.g. a host name IDNA cannot encode ("a..b")
        raise MeasureError(f"request to {shown} failed: {exc}") from None
    finally:
        conn.close()
        if not recorded:
            ctx.record("request", f"{method} {shown}\n{format_headers(request_headers(t, headers))}")
    return HttpReply(
        status=status,
        headers=tuple(got),
        body=bytes(body.data),
        truncated=body.truncated,
        elapsed_s=time.monotonic() - t0,
        url=shown,
    )


__all__ = ["BODY_EXCERPT", "Handoff", "Target", "lean_fetch", "simple_headers", "simple_target"]
