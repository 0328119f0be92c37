"""The HTTP face of the alert receiver: Alertmanager's webhook on ``POST /alertmanager``.

The standard library's threading HTTP server: nothing to install, it starts in milliseconds,
and each request runs on its own thread, which suits the record's synchronous sessions.
Alertmanager retries what is not answered 2xx, so the receiver answers 200 only once the
notification's writes are committed, 5xx when the record cannot take them (try again), and
4xx with the reason for a notification that will never be accepted (nothing written).

On SIGTERM it stops listening, lets the requests in flight finish their writes (request
threads are joined, not abandoned), then drains the background walks (``walks``).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, TextIO

from runbook.errors import ConfigError, RunbookError

if TYPE_CHECKING:
    # The server listens before the record and the playbooks are loaded (``set_ready``), so the
    # heavy modules behind these are imported when the first notification is read.
    from runbook.alerts.intake import AlertIntake, IntakeResult
    from runbook.alerts.walks import WalkQueue

PATH = "/alertmanager"
#: A notification larger than this is refused (413) before it is read.
MAX_BODY_BYTES = 1_048_576
#: Seconds a notification waits for the receiver to finish starting before it is answered 503.
STARTING_WAIT_S = 60.0
#: Seconds a client may take to send its request (a stalled sender holds one thread, not all).
READ_TIMEOUT_S = 10.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9095`` for IPv6) -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:9095")
    return host.strip("[]"), int(port)


def require_token_off_loopback(host: str, token: str | None) -> None:
    if not token and not is_loopback(host):
        raise ConfigError(
            f"listening on {host} (not loopback) needs a bearer token: pass --token or set "
            "RUNBOOK_ALERTS_TOKEN, and give Alertmanager the same one (http_config.authorization)"
        )


class _Server(ThreadingHTTPServer):
    # Request threads are joined on close: a notification being written is finished, not cut.
    daemon_threads = False
    block_on_close = True
    request_queue_size = 256  # a burst of groups waits in the backlog instead of being refused


class AlertServer:
    """Receives notifications and hands claimed walks to the walk queue."""

    def __init__(
        self,
        intake: AlertIntake | None,
        walks: WalkQueue | None,
        *,
        host: str = "127.0.0.1",
        port: int = 9095,
        token: str | None = None,
        max_body: int = MAX_BODY_BYTES,
        log: TextIO | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        require_token_off_loopback(host, token)
        self.intake = intake
        self.walks = walks
        self._ready = threading.Event()
        if intake is not None:
            self._ready.set()
        self.startup_error: BaseException | None = None
        """Set when loading the record or the playbooks failed (the server then stops)."""
        self.token = token or None
        self.max_body = max_body
        self.log = log or sys.stderr
        self.clock = clock or (lambda: datetime.now(UTC))
        self.httpd = _Server((host, port), self._handler_class())

    def set_ready(self, intake: AlertIntake, walks: WalkQueue | None) -> None:
        """The record and the playbooks are loaded: notifications are taken from now on."""
        self.intake, self.walks = intake, walks
        self._ready.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        """Stop listening and join the requests in flight (call from another thread than serve_forever)."""
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- one request -------------------------------------------------------------------------

    def handle_post(self, path: str, headers: Any, read: Callable[[int], bytes]) -> tuple[int, dict[str, Any], str]:
        """(status, JSON answer, log text) for one POST; never raises."""
        if path.split("?", 1)[0] != PATH:
            return 404, {"error": f"no such endpoint; Alertmanager posts to {PATH}"}, "unknown path"
        if self.token is not None:
            given = headers.get("Authorization", "")
            scheme, _, credential = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(credential.strip().encode(), self.token.encode()):
                return 401, {"error": "a bearer token is required (Authorization: Bearer ...)"}, "unauthorized"
        ctype = headers.get("Content-Type", "application/json").split(";", 1)[0].strip().lower()
        if ctype != "application/json":
            return 415, {"error": f"Content-Type {ctype!r}: expected application/json"}, "not JSON"
        length_text = headers.get("Content-Length")
        if length_text is None or not length_text.strip().isdigit():
            return 411, {"error": "Content-Length is required"}, "no length"
        length = int(length_text)
        if length > self.max_body:
            return 413, {"error": f"the body is {length} bytes; at most {self.max_body} are accepted"}, "too large"
        try:
            body = read(length)
        except OSError as exc:
            return 400, {"error": f"could not read the body ({exc})"}, "read failed"
        if len(body) != length:
            return 400, {"error": f"the body ended after {len(body)} of {length} bytes"}, "short body"
        from runbook.alerts.payload import BadNotification, parse_notification

        try:
            note = parse_notification(body)
        except BadNotification as exc:
            return exc.status, {"error": exc.reason}, exc.reason
        if not self._ready.wait(STARTING_WAIT_S) or self.intake is None:
            return 503, {"error": "the receiver is still starting; try again"}, f"group {note.groupKey}: starting"
        try:
            result = self.intake.handle(note)
        except BadNotification as exc:
            return exc.status, {"error": exc.reason}, f"group {note.groupKey}: {exc.reason}"
        except RunbookError as exc:
            # The record could not take it: Alertmanager retries a 5xx.
            return 503, {"error": exc.message}, f"group {note.groupKey}: {exc.message}"
        except Exception as exc:
            return 500, {"error": f"{type(exc).__name__}: {exc}"}, f"group {note.groupKey}: internal error {exc!r}"
        from runbook.alerts.walks import WalkJob

        if result.walk and self.walks is not None:
            assert result.group_id is not None and result.incident_id is not None
            self.walks.submit(WalkJob(result.group_id, result.incident_id, result.playbook_ref))
        return 200, result.as_json(), _describe(note.status, note.groupKey, len(note.alerts), result)

    def _log(self, method: str, status: int, text: str, started: float) -> None:
        ms = (time.monotonic() - started) * 1000
        stamp = self.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"{stamp} alerts: {method} {status} {text} ({ms:.0f} ms)", file=self.log, flush=True)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = READ_TIMEOUT_S
            server_version = "runbook-alerts"
            sys_version = ""

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one line per notification is written by the server itself

            def _answer(self, status: int, data: dict[str, Any]) -> None:
                body = (json.dumps(data) + "\n").encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Bearer realm="runbook"')
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                started = time.monotonic()
                status, data, text = server.handle_post(self.path, self.headers, self.rfile.read)
                try:
                    self._answer(status, data)
                finally:
                    server._log("POST", status, text, started)

            def do_GET(self) -> None:
                if self.path == "/-/healthy":
                    self._answer(200, {"status": "ok"})
                elif self.path == "/-/ready":
                    ready = server.ready
                    self._answer(200 if ready else 503, {"status": "ready" if ready else "starting"})
                else:
                    self._answer(405 if self.path.startswith(PATH) else 404, {"error": f"POST {PATH}"})

            do_PUT = do_DELETE = do_PATCH = do_GET

        return Handler


def _describe(status: str, group_key: str, count: int, result: IntakeResult) -> str:
    text = f"{status} group {group_key} ({count} alert(s)): {result.action}"
    if result.incident:
        text += f" {result.incident}"
    if result.playbook_ref:
        text += f" {result.playbook_ref}"
    if result.walk:
        text += ", walk queued"
    if result.detail:
        text += f" ({result.detail})"
    return text
