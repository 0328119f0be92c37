"""An in-process receiver (the real HTTP server on a free port) and notification builders."""

from __future__ import annotations

import io
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import pytest

from runbook.alerts.intake import AlertIntake
from runbook.alerts.server import AlertServer
from runbook.alerts.walks import WalkDone, WalkQueue
from runbook.config import load_settings
from runbook.services import Services, build_services
from runbook.services.content import load_content


def notification(
    group_key: str = '{}:{alertname="SeriesExplosion"}',
    *,
    alertname: str = "SeriesExplosion",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    status: str = "firing",
    generator_url: str = "http://127.0.0.1:9090/graph?g0.expr=up",
    fingerprint: str = "a1b2c3d4e5f60718",
) -> dict[str, Any]:
    """A webhook body exactly as Alertmanager 0.25 sends it (version 4)."""
    all_labels = {"alertname": alertname, **(labels or {})}
    alert = {
        "status": status,
        "labels": all_labels,
        "annotations": annotations or {},
        "startsAt": "2026-12-01T05:00:00.000Z",
        "endsAt": "2026-12-01T05:10:00.000Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": generator_url,
        "fingerprint": fingerprint,
    }
    return {
        "receiver": "runbook",
        "status": status,
        "alerts": [alert],
        "groupLabels": {"alertname": alertname},
        "commonLabels": all_labels,
        "commonAnnotations": annotations or {},
        "externalURL": "http://127.0.0.1:9093",
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
    }


def post(url: str, body: bytes | dict, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@dataclass
class Receiver:
    services: Services
    server: AlertServer
    walks: WalkQueue | None
    log: io.StringIO
    done: list[WalkDone] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/alertmanager"

    def stop(self) -> None:
        self.server.shutdown()
        if self.walks is not None:
            self.walks.stop(5)
        self.services.close()


@pytest.fixture(scope="session")
def shipped_content():
    return load_content(load_settings())


@pytest.fixture
def receiver(tmp_path, shipped_content):
    """Factory: ``receiver(db_url=None, token=None, walks=4, max_body=None) -> Receiver`` (stopped after)."""
    started: list[Receiver] = []

    def start(
        db_url: str | None = None, *, token: str | None = None, walks: int | None = 4, max_body: int | None = None
    ) -> Receiver:
        services = build_services(db_url=db_url or f"sqlite:///{tmp_path / 'record.db'}", content=shipped_content)
        done: list[WalkDone] = []
        queue = WalkQueue(services, concurrency=walks, on_done=done.append).start() if walks else None
        log = io.StringIO()
        kwargs = {"max_body": max_body} if max_body else {}
        server = AlertServer(
            AlertIntake(services, claim_walks=queue is not None),
            queue,
            host="127.0.0.1",
            port=0,
            token=token,
            log=log,
            **kwargs,
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        rec = Receiver(services, server, queue, log, done)
        started.append(rec)
        return rec

    yield start
    for rec in started:
        rec.stop()
