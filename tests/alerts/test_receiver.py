"""The receiver over real HTTP on 127.0.0.1: every bad input is a 4xx with its reason and writes
nothing; repeats reuse the group's incident; resolved goes on the timeline; the token is enforced."""

from __future__ import annotations

import json
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook.alerts.payload import BadNotification, parse_notification
from runbook.errors import ConfigError
from runbook.record import repo
from runbook.record.alerts import groups_by_incident
from runbook.services import build_services
from tests.alerts.conftest import notification, post


def _count(services) -> int:
    with services.session() as s:
        return len(repo.list_incidents(session=s, include_drills=True))


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)  # the client is done: a short body ends here
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


BAD_BODIES = [
    (b"{not json", 400, "the body is not JSON"),
    (b"[1, 2]", 422, "expected a JSON object"),
    (json.dumps({**notification(), "version": "3"}).encode(), 422, "payload version '3' is not supported"),
    (
        json.dumps({k: v for k, v in notification().items() if k != "groupKey"}).encode(),
        422,
        "groupKey: Field required",
    ),
    (json.dumps({**notification(), "extra": 1}).encode(), 422, "extra: Extra inputs are not permitted"),
    (json.dumps({**notification(), "alerts": []}).encode(), 422, "alerts: List should have at least 1 item"),
    (
        json.dumps({**notification(), "status": "exploded"}).encode(),
        422,
        "status: Input should be 'firing' or 'resolved'",
    ),
    (
        json.dumps({**notification(), "alerts": [{**notification()["alerts"][0], "labels": {"a-b": "x"}}]}).encode(),
        422,
        "alerts.0.labels.a-b",
    ),
    (
        json.dumps({**notification(), "alerts": [{**notification()["alerts"][0], "startsAt": "yesterday"}]}).encode(),
        422,
        "alerts.0.startsAt",
    ),
]


@pytest.mark.parametrize(("body", "status", "reason"), BAD_BODIES)
def test_bad_bodies_are_refused_with_the_reason_and_nothing_written(receiver, body, status, reason):
    rec = receiver(walks=None)
    code, answer = post(rec.url, body)
    assert code == status
    assert reason in answer["error"]
    assert _count(rec.services) == 0
    assert f"POST {status} " in rec.log.getvalue()


def test_a_label_built_to_break_the_template_is_refused_before_any_write(receiver):
    rec = receiver(walks=None)
    evil = "x\"}}{{ cycler.__init__.__globals__.os.popen('touch /tmp/pwned-by-label').read() }}"
    code, answer = post(rec.url, notification(labels={"instance": evil}))
    assert code == 422
    assert "variable metrics_url" in answer["error"] and "template markup" in answer["error"]
    assert _count(rec.services) == 0
    code, answer = post(rec.url, notification(labels={"instance": "evil.example@10.0.0.1:9100"}))
    assert code == 422 and "credentials or another host" in answer["error"]
    assert _count(rec.services) == 0


def test_oversized_body_is_refused_unread(receiver):
    rec = receiver(walks=None, max_body=2048)
    big = notification(annotations={"description": "x" * 4096})
    code, answer = post(rec.url, big)
    assert code == 413 and "at most 2048" in answer["error"]
    assert _count(rec.services) == 0


def test_http_edge_cases(receiver):
    rec = receiver(walks=None)
    port = rec.server.port
    assert b" 404 " in _raw(port, b"POST /other HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}")
    assert b" 411 " in _raw(port, b"POST /alertmanager HTTP/1.0\r\nContent-Type: application/json\r\n\r\n")
    assert b" 415 " in _raw(
        port, b"POST /alertmanager HTTP/1.0\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}"
    )
    assert b" 405 " in _raw(port, b"GET /alertmanager HTTP/1.0\r\n\r\n")
    short = _raw(port, b"POST /alertmanager HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{}")
    assert b" 400 " in short and b"ended after 2 of 50 bytes" in short
    assert _count(rec.services) == 0


def test_token_is_required_when_set(receiver):
    rec = receiver(walks=None, token="s3cret-token")
    code, answer = post(rec.url, notification())
    assert code == 401 and "bearer token is required" in answer["error"]
    code, _ = post(rec.url, notification(), {"Authorization": "Bearer wrong"})
    assert code == 401
    assert _count(rec.services) == 0
    code, answer = post(
        rec.url, notification(labels={"instance": "127.0.0.1:1"}), {"Authorization": "Bearer s3cret-token"}
    )
    assert code == 200 and answer["action"] == "opened"


def test_off_loopback_needs_a_token(tmp_path):
    from runbook.alerts.intake import AlertIntake
    from runbook.alerts.server import AlertServer

    services = build_services(db_url=f"sqlite:///{tmp_path / 'r.db'}")
    with pytest.raises(ConfigError, match="not loopback"):
        AlertServer(AlertIntake(services), None, host="0.0.0.0", port=0)


def test_firing_repeat_and_resolved(receiver):
    rec = receiver(walks=None)
    labels = {"instance": "127.0.0.1:1", "severity": "warning", "job": "orders", "api_token": "t0k-should-not-stay"}
    note = notification(labels=labels, annotations={"summary": "Series explode on orders"})
    code, first = post(rec.url, note)
    assert code == 200 and first["action"] == "opened" and first["incident"] == "INC-0001"
    assert first["playbook"] == "p0-3-observability#cardinality"
    code, again = post(rec.url, note)  # Alertmanager delivers at least once
    assert code == 200 and again["action"] == "reused" and again["incident"] == "INC-0001"
    code, done = post(rec.url, notification(labels=labels, status="resolved"))
    assert code == 200 and done["action"] == "resolved"
    code, done_again = post(rec.url, notification(labels=labels, status="resolved"))
    assert code == 200 and done_again["action"] == "resolved"
    with rec.services.session() as s:
        (inc,) = repo.list_incidents(session=s)
        assert (inc.title, inc.severity, inc.service, inc.status) == (
            "Series explode on orders",
            "P3",
            "orders",
            "open",
        )
        assert inc.variables == {"metrics_url": "http://127.0.0.1:1/metrics", "prometheus_url": "http://127.0.0.1:9090"}
        events = repo.timeline(inc.id, session=s)
        alerts = [e for e in events if e.kind == "alert"]
        assert [e.summary.split(":")[0] for e in alerts] == ["alert firing", "alert resolved"]  # repeats written once
        assert alerts[0].payload["labels"]["api_token"] == "***"  # the record's secret rule
        group = groups_by_incident([inc.id], session=s)[inc.id]
        assert group.status == "resolved" and group.labels["api_token"] == "***"
    assert "t0k-should-not-stay" not in rec.log.getvalue()


def test_no_matching_playbook_falls_back_to_triage(receiver):
    rec = receiver(walks=None)
    code, answer = post(rec.url, notification('{}:{alertname="DiskFull"}', alertname="DiskFull"))
    assert code == 200 and answer["playbook"] == "triage#start"


def test_a_resolved_incident_does_not_take_the_group_again(receiver):
    rec = receiver(walks=None)
    note = notification(labels={"instance": "127.0.0.1:1"})
    assert post(rec.url, note)[1]["incident"] == "INC-0001"
    with rec.services.session() as s:
        repo.update_status(1, "resolved", session=s)
    code, answer = post(rec.url, note)
    assert code == 200 and answer["action"] == "opened" and answer["incident"] == "INC-0002"


# -- the parser of outside input, by property ---------------------------------------------------


_label = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,10}", fullmatch=True)
_labels = st.dictionaries(_label, st.text(max_size=20), max_size=5)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=300))
def test_any_bytes_are_a_notification_or_a_refusal(body):
    try:
        parse_notification(body)
    except BadNotification as exc:
        assert exc.status in (400, 422) and exc.reason


@settings(max_examples=100, deadline=None)
@given(labels=_labels, annotations=_labels, status=st.sampled_from(["firing", "resolved"]))
def test_well_formed_notifications_parse_whatever_their_labels(labels, annotations, status):
    body = notification(
        labels={k: v for k, v in labels.items() if k != "alertname"}, annotations=annotations, status=status
    )
    note = parse_notification(json.dumps(body).encode())
    assert note.alerts[0].labels == body["alerts"][0]["labels"]
    assert note.status == status


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_mangled_field_is_a_refusal(data):
    body = notification()
    key = data.draw(st.sampled_from(sorted(body)))
    body[key] = data.draw(
        st.one_of(st.none(), st.integers(), st.lists(st.integers(), max_size=2), st.floats(allow_nan=False))
    )
    try:
        parse_notification(json.dumps(body).encode())
    except BadNotification as exc:
        assert exc.status == 422
    else:
        assert key == "truncatedAlerts" and isinstance(body[key], int) and body[key] >= 0
