"""The lean HTTP/1.1 transport behind ``fetch`` for simple GET/HEAD requests.

A small threaded socket server on 127.0.0.1 answers each path with canned bytes (what a real
server, a sloppy one or a broken one puts on the wire) and keeps the raw requests it read, so
the tests see both sides of the wire. The hostile-peer tests (test_hostile.py) go through the
same transport; these cover the HTTP framing it reads (through h11), the readable reasons for
broken framing, redirects, and that it answers exactly as the httpx path does.
"""

from __future__ import annotations

import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator

import pytest

import runbook.checks.http as http
from runbook.checks.base import CheckContext, MeasureError
from runbook.checks.http import fetch
from runbook.checks.http_lean import HEAD_LIMIT, simple_headers, simple_target

Answer = bytes | Callable[[bytes, int], bytes]


class CannedServer:
    """Answers ``GET <path>`` with ``routes[path]`` (bytes, or a function of the request and
    this server's port), then closes; unknown paths get a 404. Keeps every request read."""

    def __init__(self, routes: dict[str, Answer]) -> None:
        self.routes = routes
        self.requests: list[bytes] = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        part = conn.recv(4096)
                        if not part:
                            break
                        data += part
                    self.requests.append(data)
                    target = data.split(b" ", 2)[1].decode() if data.count(b" ") >= 2 else "/"
                    path = target.partition("?")[0]
                    answer = self.routes.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    conn.sendall(answer(data, self.port) if callable(answer) else answer)
                except OSError:
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def _ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


BIG_HEAD = b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * (HEAD_LIMIT + 10) + b"\r\n\r\n"


def _echo_auth(request: bytes, port: int) -> bytes:
    seen = b"yes" if b"\r\nauthorization:" in request.lower() else b"no"
    return _ok(b"authorization " + seen)


@pytest.fixture
def canned() -> Iterator[CannedServer]:
    gz = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    gzipped = gz.compress(b"hello " * 100) + gz.flush()
    server = CannedServer(
        {
            "/ok": _ok(b'{"status":"ok"}', b"Content-Type: application/json\r\n"),
            "/chunked": (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
            ),
            "/lf-only": b"HTTP/1.1 200 OK\nContent-Length: 2\nX-Sloppy: yes\n\nhi",
            "/continue": b"HTTP/1.1 100 Continue\r\n\r\n" + _ok(b"after 100"),
            "/folded": b"HTTP/1.1 200 OK\r\nX-Long: one\r\n  two\r\nContent-Length: 0\r\n\r\n",
            "/short": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
            "/bad-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
            "/big-head": BIG_HEAD,
            "/endless-head": b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * (3 * HEAD_LIMIT),
            "/bad-length": b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd",
            "/nan-length": b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\nabcd",
            "/gzip-te": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabcd",
            "/switch": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
            "/until-close": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nread to the end",
            "/gzip": _ok(gzipped, b"Content-Encoding: gzip\r\n"),
            "/head": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
            "/redirect": b"HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n",
            "/to-fragment": b"HTTP/1.1 301 Moved\r\nLocation: /ok#part\r\nContent-Length: 0\r\n\r\n",
            "/auth": _echo_auth,
        }
    )
    yield server
    server.close()


def _ctx(deadline: float = 3.0, max_bytes: int = 1 << 20) -> CheckContext:
    return CheckContext(deadline=time.monotonic() + deadline, max_bytes=max_bytes)


async def test_chunked_body_is_joined_and_trailers_dropped(canned):
    reply = await fetch(_ctx(), "GET", canned.url("/chunked"))
    assert (reply.status, reply.body) == (200, b"hello, world")


async def test_bare_lf_head_and_folded_header_are_read(canned):
    reply = await fetch(_ctx(), "GET", canned.url("/lf-only"))
    assert (reply.body, reply.header("x-sloppy")) == (b"hi", "yes")
    folded = await fetch(_ctx(), "GET", canned.url("/folded"))
    assert folded.header("X-Long") == "one two"


async def test_an_interim_100_is_skipped(canned):
    reply = await fetch(_ctx(), "GET", canned.url("/continue"))
    assert (reply.status, reply.body) == (200, b"after 100")


async def test_body_until_close_and_gzip_decoded(canned):
    assert (await fetch(_ctx(), "GET", canned.url("/until-close"))).body == b"read to the end"
    assert (await fetch(_ctx(), "GET", canned.url("/gzip"))).body == b"hello " * 100


async def test_head_reads_no_body_although_a_length_is_declared(canned):
    t0 = time.monotonic()
    reply = await fetch(_ctx(), "HEAD", canned.url("/head"))
    assert (reply.status, reply.body, reply.header("content-length")) == (200, b"", "1000")
    assert time.monotonic() - t0 < 1.0  # it did not wait for 1000 bytes that never come


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/short", "closed the connection without a complete response"),
        ("/bad-chunk", "malformed HTTP from 127.0.0.1:{port}: illegal chunk header: b'zz\\r\\n'"),
        ("/big-head", "malformed HTTP from 127.0.0.1:{port}: response headers longer than 64 KiB"),
        ("/endless-head", "malformed HTTP from 127.0.0.1:{port}: response headers longer than 64 KiB"),
        ("/bad-length", "malformed HTTP from 127.0.0.1:{port}: conflicting Content-Length headers"),
        ("/nan-length", "malformed HTTP from 127.0.0.1:{port}: bad Content-Length"),
        ("/gzip-te", "malformed HTTP from 127.0.0.1:{port}: Only Transfer-Encoding: chunked is supported"),
        ("/switch", "malformed HTTP from 127.0.0.1:{port}: 101 Switching Protocols, but no upgrade was asked for"),
    ],
)
async def test_broken_framing_is_a_readable_measure_error(canned, path, reason):
    with pytest.raises(MeasureError) as err:
        await fetch(_ctx(), "GET", canned.url(path))
    assert reason.format(port=canned.port) in err.value.message


async def test_relative_redirect_is_followed_and_request_is_on_the_wire(canned):
    ctx = _ctx()
    reply = await fetch(ctx, "GET", canned.url("/redirect?a=1"), headers={"X-Probe": "1"}, follow_redirects=True)
    assert (reply.status, reply.url) == (200, canned.url("/ok"))
    first, second = canned.requests[-2:]
    assert first.startswith(b"GET /redirect?a=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % canned.port)
    assert b"\r\nX-Probe: 1\r\n" in second and b"\r\nAccept-Encoding: identity\r\n" in second
    # evidence: the first request and the final response, as the httpx path records them
    assert [e.label for e in ctx.evidence] == ["request", "response"]
    assert ctx.evidence[0].text.startswith(f"GET {canned.url('/redirect?a=1')}\nHost: 127.0.0.1:{canned.port}")
    assert ctx.evidence[1].text.startswith(f"HTTP 200 from {canned.url('/ok')} in ")


async def test_a_callers_host_header_is_sent_alone(canned):
    await fetch(_ctx(), "GET", canned.url("/ok"), headers={"Host": "vhost.example"})
    request = canned.requests[-1].lower()
    assert request.count(b"\r\nhost:") == 1 and b"\r\nhost: vhost.example\r\n" in request


async def test_whitespace_around_a_header_value_is_not_sent(canned):
    await fetch(_ctx(), "GET", canned.url("/ok"), headers={"X-Probe": " padded\t"})
    assert b"\r\nX-Probe: padded\r\n" in canned.requests[-1]


async def test_without_follow_a_redirect_is_the_reply(canned):
    reply = await fetch(_ctx(), "GET", canned.url("/redirect"))
    assert (reply.status, reply.header("location")) == (302, "/ok")


async def test_authorization_is_dropped_when_a_redirect_changes_origin(canned):
    other = CannedServer({"/go": lambda req, port: b""})
    try:
        other.routes["/go"] = (
            b"HTTP/1.1 302 Found\r\nLocation: " + canned.url("/auth").encode() + b"\r\nContent-Length: 0\r\n\r\n"
        )
        other.routes["/same"] = b"HTTP/1.1 302 Found\r\nLocation: /auth\r\nContent-Length: 0\r\n\r\n"
        other.routes["/auth"] = _echo_auth
        auth = {"Authorization": "Bearer abcdefgh"}
        moved = await fetch(_ctx(), "GET", other.url("/go"), headers=auth, follow_redirects=True)
        same = await fetch(_ctx(), "GET", other.url("/same"), headers=auth, follow_redirects=True)
    finally:
        other.close()
    assert moved.body == b"authorization no"
    assert same.body == b"authorization yes"


async def test_a_redirect_only_httpx_sends_is_handed_to_it(canned):
    ctx = _ctx()
    reply = await fetch(ctx, "GET", canned.url("/to-fragment"), follow_redirects=True)
    assert (reply.status, reply.json()) == (200, {"status": "ok"})
    assert [e.label for e in ctx.evidence] == ["request", "response"]


@pytest.mark.parametrize(
    "path", ["/ok", "/chunked", "/gzip", "/until-close", "/redirect", "/lf-only", "/folded", "/continue"]
)
async def test_lean_and_httpx_answer_alike(canned, path, monkeypatch):
    lean = await fetch(_ctx(), "GET", canned.url(path))
    monkeypatch.setattr(http, "simple_target", lambda url: None)  # force the httpx path
    full = await fetch(_ctx(), "GET", canned.url(path))
    assert (lean.status, lean.headers, lean.body, lean.truncated, lean.url) == (
        full.status,
        full.headers,
        full.body,
        full.truncated,
        full.url,
    )


async def test_a_host_name_that_cannot_be_encoded_is_a_measure_error():
    with pytest.raises(MeasureError, match=r"^request to http://a\.\.b/ failed: encoding with 'idna' codec failed"):
        await fetch(_ctx(), "GET", "http://a..b/")


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://127.0.0.1:8080/health", "/health"),
        ("http://Example.COM", "/"),
        ("https://[::1]:8443/x?y=1&z=%20", "/x?y=1&z=%20"),
        ("http://h?x=1", "/?x=1"),
        ("http://user:pw@h/", None),  # credentials: httpx adds the Authorization header
        ("http://h/a#frag", None),
        ("http://h/a b", None),
        ("http://h/%zz", None),
        ("http://h/a/../b", None),  # httpx normalises dot segments
        ("http://hé/", None),
        ("ftp://h/", None),
        ("http://h:0/", None),
    ],
)
def test_which_urls_take_the_lean_path(url, target):
    got = simple_target(url)
    assert (got.target if got else None) == target


def test_headers_that_are_not_plain_ascii_go_to_httpx():
    assert simple_headers([("X-A", "b c"), ("Accept", "*/*")])
    assert not simple_headers([("X A", "b")])
    assert not simple_headers([("X-A", "b\r\nInjected: 1")])
    assert not simple_headers([("X-A", "é")])
