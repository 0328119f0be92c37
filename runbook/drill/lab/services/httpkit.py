"""A small threaded HTTP server with a route table, shared by the lab's HTTP services.

Standard library only, so a service's behaviour on the wire (status, headers, timing, when
the connection closes) is exactly what its handler writes, with nothing in between.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

Route = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, Route]] = {}
    protocol_version = "HTTP/1.1"
    server_version = "lab"

    def log_message(self, format: str, *args: Any) -> None:  # the base signature; lab services log nothing
        pass

    @property
    def path_only(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)

    def _dispatch(self) -> None:
        path = self.path_only
        route = self.routes.get(path)
        if route is None:
            for prefix, candidate in self.routes.items():
                if prefix.endswith("/") and path.startswith(prefix):
                    route = candidate
                    break
        if route is None:
            self.send_text(404, "404 page not found\n")
            return
        route(self)

    do_GET = _dispatch
    do_POST = _dispatch

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_text(
        self,
        status: int,
        text: str,
        content_type: str = "text/plain; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, status: int, obj: object, headers: dict[str, str] | None = None) -> None:
        self.send_text(status, json.dumps(obj), "application/json", headers)


def serve(port: int, routes: dict[str, Route], *, idle_timeout_s: float | None = None) -> ThreadingHTTPServer:
    """Bind 127.0.0.1:port with ``routes``; call ``serve_forever`` on the result."""
    handler = type("RoutedHandler", (Handler,), {"routes": routes, "timeout": idle_timeout_s})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def mark_ready(directory: Path, name: str) -> None:
    (directory / f"{name}.ready").write_text("ready\n")
