"""Fixtures for the terminal UI tests: an app on a temp database with a demo playbook, and a
real local HTTP service whose /health is fast or slow."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from runbook.config import Settings
from runbook.services import build_services
from runbook.tui.app import make_app

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parents[2]


class _Handler(BaseHTTPRequestHandler):
    delay_s = 0.0

    def do_GET(self):
        time.sleep(self.server.delay_s)
        body = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def health_service():
    """A real HTTP service on 127.0.0.1; set ``.delay_s`` to make /health slow."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.delay_s = 0.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        db_url=f"sqlite:///{tmp_path / 'tui.db'}",
        playbook_dirs=(REPO / "playbooks", DATA),
        incident_dirs=(REPO / "incidents",),
        author="tester",
    )


@pytest.fixture
def make(settings):
    """Build a fresh app on the same database (call again to 'reopen the terminal')."""

    def build():
        return make_app(build_services(settings, clock=lambda: datetime.now(UTC)))

    return build
