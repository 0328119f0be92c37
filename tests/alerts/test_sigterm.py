"""SIGTERM in the middle of a burst: every notification answered 200 is in the record, no walk
is left claimed by the stopped receiver, and the next receiver resumes the walks handed back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from runbook.record import repo
from runbook.record.alerts import groups_by_incident
from runbook.services import build_services
from tests.alerts.conftest import notification, post
from tests.fixtures.alert_lab import wait_until
from tests.fixtures.metrics_targets import MetricsTarget, user_id_registry
from tests.fixtures.proc import free_port

pytestmark = pytest.mark.slow


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


def _serve(db_url: str, port: int, log_path, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "RUNBOOK_DB"}
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "runbook",
                "--db",
                db_url,
                "alerts",
                "serve",
                "--listen",
                f"127.0.0.1:{port}",
                *extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )


@pytest.mark.timeout(180)
def test_sigterm_loses_no_write_and_the_next_receiver_resumes(tmp_path):
    target = MetricsTarget(user_id_registry(1200))
    db_url = f"sqlite:///{tmp_path / 'record.db'}"
    port = free_port()
    first = _serve(db_url, port, tmp_path / "first.log", "--walks", "1", "--drain", "0")
    services = build_services(db_url=db_url)
    second = None
    try:
        wait_until(lambda: _ready(port), 30, "the first receiver is ready")
        url = f"http://127.0.0.1:{port}/alertmanager"
        notes = [
            notification(f"sigterm-{i}", labels={"instance": f"127.0.0.1:{target.port}", "pod": f"p{i}"})
            for i in range(20)
        ]
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(lambda n: post(url, n), notes))
        assert [code for code, _ in answers] == [200] * 20
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0
        log = (tmp_path / "first.log").read_text()
        assert "alerts: stopped" in log
        with services.session() as s:
            incidents = repo.list_incidents(session=s)
            assert len(incidents) == 20  # every 200 was committed before it was sent
            groups = groups_by_incident([i.id for i in incidents], session=s)
            states = [g.walk_state for g in groups.values()]
        assert "running" not in states  # nothing stays claimed by a receiver that is gone
        pending = states.count("pending")
        assert pending >= 1, "with one walk at a time and no drain, some walks must be handed back"
        assert f"{pending} walk(s) left pending for the next receiver" in log

        port2 = free_port()
        second = _serve(db_url, port2, tmp_path / "second.log")

        def all_walked():
            with services.session() as s:
                gs = groups_by_incident([i.id for i in incidents], session=s)
                return all(g.walk_state == "stopped" for g in gs.values())

        wait_until(all_walked, 120, "the second receiver walked what the first handed back")
        assert f"resumed {pending} pending walk(s)" in (tmp_path / "second.log").read_text()
        with services.session() as s:
            for inc in incidents:
                assert [c.node_id for c in repo.conclusions(inc.id, session=s)] == ["label-explosion"], inc.ref
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
        services.close()
        target.close()
