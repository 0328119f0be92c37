"""The whole chain, real at every hop: a faulty service, Prometheus firing a rule on it,
Alertmanager routing the alert to ``runbook alerts serve`` (a separate process), and the
incident it opens already holding the playbook's check results, conclusion and stop.
Then the service goes away, the alert resolves, and the resolution is on the timeline while
the incident stays open. SIGTERM stops the receiver cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request

import pytest

from runbook.record import repo
from runbook.record.alerts import groups_by_incident
from runbook.services import build_services
from tests.fixtures.alert_lab import start_alerting_prometheus, start_alertmanager, wait_until
from tests.fixtures.metrics_targets import MetricsTarget, user_id_registry
from tests.fixtures.proc import free_port

RULES = """\
groups:
  - name: runbook-test
    rules:
      - alert: SeriesExplosion
        expr: count by (job, instance) (api_requests_total) > 1000
        labels:
          severity: critical
        annotations:
          summary: "api_requests_total has {{ $value }} series on {{ $labels.instance }}"
"""

pytestmark = pytest.mark.slow


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/healthy", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.mark.timeout(240)
def test_prometheus_alert_becomes_a_diagnosed_incident(tmp_path):
    target = MetricsTarget(user_id_registry(1200))  # request-scoped ids: the cardinality fault
    db_url = f"sqlite:///{tmp_path / 'record.db'}"
    port = free_port()
    log_path = tmp_path / "receiver.log"
    env = {k: v for k, v in os.environ.items() if k != "RUNBOOK_DB"}
    with open(log_path, "wb") as log:
        receiver = subprocess.Popen(
            [sys.executable, "-m", "runbook", "--db", db_url, "alerts", "serve", "--listen", f"127.0.0.1:{port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    am = prom = None
    services = build_services(db_url=db_url)
    try:
        wait_until(lambda: _healthy(port), 30, "the receiver answers")
        am = start_alertmanager(tmp_path, [f"http://127.0.0.1:{port}/alertmanager"])
        prom = start_alerting_prometheus(tmp_path, [f"127.0.0.1:{target.port}"], RULES, am.port)

        def concluded():
            with services.session() as s:
                incidents = repo.list_incidents(session=s)
                if not incidents:
                    return None
                events = repo.timeline(incidents[0].id, session=s)
                return incidents if any("autopilot stopped" in e.summary for e in events) else None

        incidents = wait_until(concluded, 90, "an incident walked by the autopilot")
        assert len(incidents) == 1
        inc = incidents[0]
        assert inc.severity == "P1" and inc.service == "app" and inc.status == "open"
        assert "series on 127.0.0.1:" in inc.title
        with services.session() as s:
            events = repo.timeline(inc.id, session=s)
            kinds = [e.kind for e in events]
            assert kinds[:2] == ["opened", "alert"]
            first = events[1]
            assert first.payload["labels"]["alertname"] == "SeriesExplosion"
            assert first.payload["labels"]["instance"] == f"127.0.0.1:{target.port}"
            assert first.payload["generator_url"].startswith(f"http://127.0.0.1:{prom.port}/graph")
            assert first.payload["playbook"] == "p0-3-observability#cardinality"
            assert inc.variables["metrics_url"] == f"http://127.0.0.1:{target.port}/metrics"
            assert inc.variables["prometheus_url"] == f"http://127.0.0.1:{prom.port}"
            results = repo.check_results(inc.id, session=s)
            by_target = {r.params.get("metrics_url") or r.params.get("prom_url"): r for r in results}
            page = by_target[f"http://127.0.0.1:{target.port}/metrics"]
            assert page.check_type == "label_cardinality" and page.verdict == "fail", page.summary
            concl = repo.conclusions(inc.id, session=s)
            assert [(c.node_id, c.rule_ids) for c in concl] == [("label-explosion", ["R12"])]
            stop = next(e for e in events if "autopilot stopped" in e.summary)
            assert stop.payload["autopilot"]["reason"] == "conclusion"
            group = groups_by_incident([inc.id], session=s)[inc.id]
            assert group.walk_state == "stopped" and group.status == "firing"
            assert group.group_key.endswith(f'{{alertname="SeriesExplosion", instance="127.0.0.1:{target.port}"}}')

        target.close()  # the faulty service goes away: its series go stale, the alert resolves

        def resolved():
            with services.session() as s:
                return [e for e in repo.timeline(inc.id, session=s) if e.summary.startswith("alert resolved")]

        wait_until(resolved, 60, "the resolved notification on the timeline")
        with services.session() as s:
            assert repo.get_incident(inc.id, session=s).status == "open"  # a person resolves it
            assert groups_by_incident([inc.id], session=s)[inc.id].status == "resolved"
            assert len(repo.list_incidents(session=s)) == 1
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nreceiver log:\n{log_path.read_text()[-3000:]}") from None
    finally:
        for server in (prom, am):
            if server is not None:
                server.stop()
        if receiver.poll() is None:
            receiver.send_signal(signal.SIGTERM)
        code = receiver.wait(timeout=30)
        services.close()
        target.close()
    log = log_path.read_text()
    assert code == 0, log
    assert "alerts: stopped" in log
    lines = [line for line in log.splitlines() if " alerts: POST " in line]
    assert any(
        "firing group" in line and "opened INC-0001 p0-3-observability#cardinality, walk queued" in line
        for line in lines
    ), log
    assert any("resolved group" in line and "resolved INC-0001" in line for line in lines), log
