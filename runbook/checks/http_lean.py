"""A lean HTTP/1.1 exchange for the request most checks send: one GET or HEAD, no body.

httpx is general (a connection pool, cookies, auth flows, proxies, anyio, h11) and a fresh
client per request costs about 4 ms of CPU on this machine. A kubelet-like probe is one
request on a fresh connection, and a sweep runs 200 of them on one event loop, so the
client library alone kept a 200-endpoint sweep busy for 0.8 s while every endpoint answered
within 200 ms. This module speaks just the HTTP/1.1 such a request needs over asyncio
streams, at about a fifth of that cost, and keeps every bound httpx kept for ``fetch``:

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
from typing import NamedTuple
from urllib.parse import urljoin

from runbook.checks.base import CheckContext, MeasureError
from runbook.checks.http_errors import MAX_REDIRECTS, describe_http_error
from runbook.checks.http_reply import BODY_EXCERPT, Decoder, HttpReply, format_headers, size_text, ssl_context
from runbook.checks.redact import redact_url

#: The status line and header section may not exceed this (h11's own bound is 16 KiB).
HEAD_LIMIT = 64 * 1024
#: Bytes asked of the socket per read.
READ_SIZE = 64 * 1024
#: A chunk-size line longer than this is not HTTP.
CHUNK_LINE_LIMIT = 1024
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
_STATUS = re.compile(r"HTTP/1\.[01] ([0-9]{3})(?: [^\r\n]*)?\Z")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,15}")
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
    """One connection's reader, its unread bytes and the phase it is in (for the reason)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.phase = "connecting: no answer to the TCP handshake"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.buf = b""
        self.eof = False

    async def send(self, t: Target, verify: bool, request: bytes) -> None:
        """Connect (and shake hands) and write the request."""
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

    async def fill(self) -> bool:
        """Read more into ``buf``; False at EOF."""
        if self.eof or self.reader is None:
            return False
        data = await self.reader.read(READ_SIZE)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    async def line(self, limit: int, what: str) -> bytes:
        """One CRLF- (or LF-) terminated line, without the ending."""
        while (nl := self.buf.find(b"\n")) < 0:
            if len(self.buf) > limit:
                raise MeasureError(f"malformed HTTP from {self.where}: {what} longer than {size_text(limit)}")
            if not await self.fill():
                raise MeasureError(f"{self.where} closed the connection without a complete response")
        line, self.buf = self.buf[:nl], self.buf[nl + 1 :]
        return line[:-1] if line.endswith(b"\r") else line

    async def some(self, most: int) -> bytes:
        """Up to ``most`` bytes (waiting for at least one); b"" at EOF."""
        if not self.buf and not await self.fill():
            return b""
        out, self.buf = self.buf[:most], self.buf[most:]
        return out

    async def head(self) -> tuple[int, list[tuple[str, str]]]:
        """The status and headers of the final (non-1xx) response."""
        while True:
            while (end := _head_end(self.buf)) < 0:
                if len(self.buf) > HEAD_LIMIT:
                    raise MeasureError(
                        f"malformed HTTP from {self.where}: response headers longer than {size_text(HEAD_LIMIT)}"
                    )
                if not await self.fill():
                    raise MeasureError(f"{self.where} closed the connection without a complete response")
            if end > HEAD_LIMIT:
                raise MeasureError(
                    f"malformed HTTP from {self.where}: response headers longer than {size_text(HEAD_LIMIT)}"
                )
            raw, rest = self.buf[:end], self.buf[end:]
            # the blank line that ends the head: CRLF, or a bare LF from a sloppy server
            self.buf = rest[2:] if rest.startswith(b"\r\n") else rest[1:]
            status, headers = _parse_head(raw.decode("latin-1"), self.where)
            if not 100 <= status < 200 or status == 101:
                return status, headers


def _head_end(buf: bytes) -> int:
    """Index of the newline that ends the header section (the blank line's own ending
    follows it), or -1 while it has not all arrived."""
    i = buf.find(b"\n\r\n")
    j = buf.find(b"\n\n")
    if i < 0:
        return j + 1 if j >= 0 else -1
    return i + 1 if j < 0 or i < j else j + 1


def _parse_head(text: str, where: str) -> tuple[int, list[tuple[str, str]]]:
    lines = text.split("\n")
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines if ln not in ("", "\r")]
    if not lines:
        raise MeasureError(f"malformed HTTP from {where}: empty response head")
    m = _STATUS.match(lines[0])
    if m is None:
        raise MeasureError(f"malformed HTTP from {where}: illegal status line {lines[0][:80]!r}")
    headers: list[tuple[str, str]] = []
    for ln in lines[1:]:
        if ln[0] in " \t" and headers:  # obsolete line folding: one value, joined by a space
            headers[-1] = (headers[-1][0], headers[-1][1] + " " + ln.strip(" \t"))
            continue
        name, colon, value = ln.partition(":")
        if not colon or not _TOKEN.match(name):
            raise MeasureError(f"malformed HTTP from {where}: illegal header line {ln[:80]!r}")
        headers.append((name, value.strip(" \t")))
    return int(m[1]), headers


def _framing(method: str, status: int, headers: list[tuple[str, str]], where: str) -> int | str | None:
    """How the body is delimited: a length, ``"chunked"``, or None (read until the close)."""
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return 0
    te = [v for k, v in headers if k.lower() == "transfer-encoding"]
    if te:
        if [v.strip().lower() for v in te] != ["chunked"]:
            raise MeasureError(f"malformed HTTP from {where}: unsupported Transfer-Encoding {', '.join(te)[:80]!r}")
        return "chunked"
    lengths = {p.strip() for k, v in headers if k.lower() == "content-length" for p in v.split(",")}
    if not lengths:
        return None
    if len(lengths) > 1 or not all(p.isdigit() and p.isascii() for p in lengths):
        raise MeasureError(f"malformed HTTP from {where}: bad Content-Length {', '.join(lengths)[:80]!r}")
    return int(lengths.pop())


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

    async def read(self, framing: int | str | None) -> None:
        conn = self.conn
        if framing == "chunked":
            await self._chunked()
        elif framing is None:
            while chunk := await conn.some(READ_SIZE):
                if not self.add(chunk):
                    return
        else:
            left = int(framing)
            while left:
                chunk = await conn.some(min(left, READ_SIZE))
                if not chunk:
                    raise MeasureError(f"{conn.where} closed the connection without a complete response")
                left -= len(chunk)
                if not self.add(chunk):
                    return

    async def _chunked(self) -> None:
        conn = self.conn
        while True:
            size_line = (await conn.line(CHUNK_LINE_LIMIT, "a chunk-size line")).partition(b";")[0].strip(b" \t")
            if not _CHUNK_SIZE.fullmatch(size_line):
                raise MeasureError(f"malformed HTTP from {conn.where}: illegal chunk size {size_line[:40]!r}")
            left = int(size_line, 16)
            if left == 0:
                while await conn.line(HEAD_LIMIT, "a trailer line"):
                    pass  # trailers: read and dropped, as httpx does
                return
            while left:
                chunk = await conn.some(min(left, READ_SIZE))
                if not chunk:
                    raise MeasureError(f"{conn.where} closed the connection without a complete response")
                left -= len(chunk)
                if not self.add(chunk):
                    return
            if await conn.line(2, "a chunk ending"):
                raise MeasureError(f"malformed HTTP from {conn.where}: chunk data longer than its size")


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
                wire = f"{method} {t.target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in sent) + "\r\n"
                await conn.send(t, verify, wire.encode("ascii"))
                if not recorded:  # after the write: the request is on the wire first
                    ctx.record("request", f"{method} {shown}\n{format_headers(sent)}")
                    recorded = True
                status, got = await conn.head()
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
                framing = _framing(method, status, got, conn.where)
                if not truncate and isinstance(framing, int) and framing > cap:
                    raise MeasureError(
                        f"response from {shown} is {framing} bytes, larger than the {size_text(cap)} cap"
                    )
                encoding = next((v for k, v in got if k.lower() == "content-encoding"), "")
                body = _Body(conn, status, encoding, cap, truncate, shown)
                await body.read(framing)
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
