"""What an HTTP request through the check helpers gives back, and the pieces both transports share.

``runbook.checks.http`` sends a request through httpx or, for a simple GET or HEAD, through
the lean transport in ``runbook.checks.http_lean``; either way the caller gets the same
:class:`HttpReply`, the body decoded under the same bound (:class:`Decoder`), and the same
evidence (:func:`record_response`). They live here so neither transport imports the other.
"""

from __future__ import annotations

import json as jsonlib
import ssl
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from runbook.checks.base import CheckContext, MeasureError

#: How much of a body goes into evidence.
BODY_EXCERPT = 600

_ssl_contexts: dict[bool, ssl.SSLContext] = {}


def ssl_context(verify: bool) -> ssl.SSLContext:
    """The client TLS context, verifying or not (httpx's defaults: certifi's CA bundle)."""
    # Building a verifying context loads the CA bundle (~20 ms): once per process, not per request.
    if verify not in _ssl_contexts:
        _ssl_contexts[verify] = httpx.create_ssl_context(verify=verify)
    return _ssl_contexts[verify]


@dataclass(frozen=True)
class HttpReply:
    """One response as read: status, raw headers, a size-capped body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    """Response headers in wire order with the names as the server spelled them."""
    body: bytes
    truncated: bool
    """True when the body was cut at the size cap (only with ``truncate=True``)."""
    elapsed_s: float
    """From sending the request to the last byte read."""
    url: str
    """The final URL (after redirects, when followed), credentials redacted."""

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; MeasureError (with an excerpt) when it is not JSON."""
        if self.truncated:
            raise MeasureError(
                f"response from {self.url} exceeded the {size_text(len(self.body))} cap; cannot parse a truncated JSON body"
            )
        try:
            return jsonlib.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            excerpt = self.text()[:120].replace("\n", " ")
            raise MeasureError(
                f"response from {self.url} (HTTP {self.status}) is not JSON ({exc}): {excerpt!r}"
            ) from None

    def header(self, name: str) -> str | None:
        """First value of a header, matched case-insensitively (None when absent)."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400


def size_text(n: int) -> str:
    """``4 MiB``, ``64 KiB`` or ``1000 bytes``: a cap as a responder reads it."""
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"


def format_headers(pairs: Iterable[tuple[str, str]]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in pairs)


def record_response(ctx: CheckContext, reply: HttpReply) -> None:
    size = f"{len(reply.body)} bytes" + (", truncated at the cap" if reply.truncated else "")
    excerpt = reply.body[:BODY_EXCERPT].decode("utf-8", errors="replace")
    ctx.record(
        "response",
        f"HTTP {reply.status} from {reply.url} in {reply.elapsed_s * 1000:.1f} ms ({size})\n"
        f"{format_headers(reply.headers)}\n\n{excerpt}",
    )


class Decoder:
    """Content-Encoding decoding with a bound on the output, so a zip bomb stays small."""

    def __init__(self, encoding: str) -> None:
        enc = encoding.strip().lower()
        self._z: Any
        if enc in ("", "identity"):
            self._z = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._z = zlib.decompressobj()
        else:
            raise MeasureError(f"response uses unsupported Content-Encoding {encoding!r}")

    def decode(self, chunk: bytes, limit: int) -> bytes:
        """Up to ``limit`` bytes of output for ``chunk`` (input beyond it waits in the tail)."""
        if self._z is None:
            return chunk
        try:
            out: bytes = self._z.decompress(self._z.unconsumed_tail + chunk, max(1, limit))
        except zlib.error as exc:
            raise MeasureError(f"response body is not valid compressed data: {exc}") from None
        return out
