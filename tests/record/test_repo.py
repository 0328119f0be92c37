"""Round trips through the repository on SQLite and PostgreSQL: what is written comes back exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from runbook.checks.base import CheckResult, Evidence, Verdict
from runbook.errors import NotFoundError, StorageError
from runbook.record import repo
from runbook.record.db import open_session
from runbook.record.models import EventKind


def _result(**kw) -> CheckResult:
    base = dict(
        check_type="etcd_lease_keepalive",
        verdict=Verdict.FAIL,
        summary="lease TTL fell to 2s of 10s",
        figures={"ttl_remaining_s": 2, "keys": 14, "ratio": 0.2, "flag": True, "none": None},
        thresholds={"fail_ttl_s": 3},
        started_at=datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        evidence=(Evidence(at=datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC), label="response", text="TTL: 2 ünïcode"),),
        duration_s=0.25,
        params={"endpoint": "http://127.0.0.1:2379", "token": "[redacted]"},
        error=None,
    )
    base.update(kw)
    return CheckResult(**base)


def test_incident_round_trip(session) -> None:
    started = datetime(2026, 3, 1, 2, 0, tzinfo=timezone(timedelta(hours=8)))
    inc = repo.create_incident(
        session=session,
        title="  orders 5xx  ",
        severity="P0",
        service="orders",
        variables={"etcd": "127.0.0.1:2379", "n": [1, 2]},
        author="alice",
        started_at=started,
    )
    session.expunge_all()
    got = repo.get_incident(inc.ref, session=session)
    assert (got.id, got.ref, got.title, got.severity, got.status) == (inc.id, "INC-0001", "orders 5xx", "P0", "open")
    assert got.variables == {"etcd": "127.0.0.1:2379", "n": [1, 2]}
    assert got.started_at == started and got.started_at.tzinfo is not None
    assert got.started_at.utcoffset() == timedelta(0)
    assert got.postmortem_status == "draft" and got.is_drill is False and got.created_by == "alice"
    [opened] = repo.timeline(inc.id, session=session)
    assert opened.kind == EventKind.OPENED and opened.author == "alice" and "orders 5xx" in opened.summary


def test_incident_refs_and_errors(session) -> None:
    inc = repo.create_incident(session=session, title="t")
    for ref in (inc.id, str(inc.id), "INC-0001", "inc-1", "INC1"):
        assert repo.get_incident(ref, session=session).id == inc.id
    with pytest.raises(NotFoundError, match=r"^no incident INC-0042 in the record$"):
        repo.get_incident("INC-0042", session=session)
    with pytest.raises(NotFoundError, match="not an incident id: 'abc'"):
        repo.get_incident("abc", session=session)
    with pytest.raises(StorageError, match=r"unknown severity 'P9' \(expected one of: P0, P1, P2, P3, P4\)"):
        repo.create_incident(session=session, title="t", severity="P9")
    with pytest.raises(NotFoundError):
        repo.add_finding(999, "x", session=session)
    # a failed write leaves the session usable
    assert repo.add_finding(inc.id, "still works", session=session).id


def test_list_incidents_excludes_drills(session) -> None:
    real = repo.create_incident(session=session, title="real")
    drill = repo.create_incident(session=session, title="drill", is_drill=True)
    assert [i.id for i in repo.list_incidents(session=session)] == [real.id]
    assert {i.id for i in repo.list_incidents(session=session, include_drills=True)} == {real.id, drill.id}


def test_walk_steps_checks_undo_resume(session) -> None:
    inc = repo.create_incident(session=session, title="t")
    assert repo.current_step(inc.id, session=session) is None
    s1 = repo.add_step(inc.id, "registry", "start", session=session)
    rec = repo.add_check_result(
        inc.id, _result(), session=session, step_id=s1.id, playbook_id="registry", node_id="start"
    )
    repo.record_choice(s1.id, "lease expiring", next_node_id="keepalive", automatic=True, session=session)
    s2 = repo.add_step(inc.id, "registry", "keepalive", session=session, automatic=True)
    s3 = repo.add_step(inc.id, "registry", "wrong-turn", session=session)
    repo.mark_step_undone(s3.id, session=session)
    session.expunge_all()
    assert repo.current_step(inc.id, session=session).id == s2.id
    path = repo.steps(inc.id, session=session)
    assert [(s.seq, s.node_id) for s in path] == [(1, "start"), (2, "keepalive")]
    assert path[0].choice == "lease expiring" and path[0].next_node_id == "keepalive" and path[0].automatic
    assert path[0].left_at is not None and path[1].left_at is not None  # left when s3 was entered
    assert [s.seq for s in repo.steps(inc.id, session=session, include_undone=True)] == [1, 2, 3]
    [stored] = repo.check_results(inc.id, session=session, step_id=s1.id)
    assert stored.id == rec.id
    assert repo.to_check_result(stored) == _result()
    events = repo.timeline(inc.id, session=session)
    kinds = [e.kind for e in events]
    assert kinds == [
        "opened",
        "node_entered",
        "check_run",
        "choice_taken",
        "node_entered",
        "node_entered",
        "step_undone",
    ]
    assert [e.undone for e in events] == [False] * 5 + [True, False]
    assert events[2].payload["check_result_id"] == rec.id and events[2].automatic
    assert "ttl_remaining_s=2" in events[2].summary
    assert [e.kind for e in repo.timeline(inc.id, session=session, include_undone=False)].count("node_entered") == 2


def test_findings_actions_conclusions_status(session) -> None:
    inc = repo.create_incident(session=session, title="t")
    f = repo.add_finding(
        inc.id,
        "KeepAlive called from 3 goroutines",
        kind="hypothesis",
        tags=["went_wrong", "lucky", "went_wrong"],
        author="bob",
        session=session,
    )
    a = repo.add_action_item(
        inc.id,
        "one lease manager per process",
        type="prevent",
        owner="carol",
        due=date(2026, 2, 1),
        rule="R1",
        link="https://example.invalid/T-1",
        session=session,
    )
    c = repo.add_conclusion(
        inc.id,
        rule_ids=["R1", "R5"],
        title="duplicate keep-alive",
        node_id="c1",
        playbook_id="registry",
        session=session,
    )
    repo.update_status(inc.id, "mitigated", session=session)
    inc2 = repo.update_status(inc.id, "closed", note="verified", session=session)
    assert repo.update_status(inc.id, "closed", session=session).closed_at == inc2.closed_at  # no-op
    repo.set_postmortem_status(inc.id, "in_review", session=session)
    repo.update_action_item(a.id, status="done", session=session)
    repo.update_incident(inc.id, summary="leases expired", impact="30 min of 5xx", session=session)
    session.expunge_all()
    [f2] = repo.findings(inc.id, session=session)
    assert (f2.id, f2.kind, f2.tags, f2.author, f2.text) == (
        f.id,
        "hypothesis",
        ["lucky", "went_wrong"],
        "bob",
        "KeepAlive called from 3 goroutines",
    )
    [a2] = repo.action_items(inc.id, session=session)
    assert (a2.type, a2.owner, a2.due, a2.rule, a2.status, a2.link) == (
        "prevent",
        "carol",
        date(2026, 2, 1),
        "R1",
        "done",
        "https://example.invalid/T-1",
    )
    [c2] = repo.conclusions(inc.id, session=session)
    assert (c2.id, c2.rule_ids, c2.node_id) == (c.id, ["R1", "R5"], "c1")
    got = repo.get_incident(inc.id, session=session)
    assert got.status == "closed" and got.postmortem_status == "in_review" and got.summary == "leases expired"
    # each milestone is stamped when it is reached: closing does not invent a resolved time
    assert got.mitigated_at <= got.closed_at == inc2.closed_at and got.resolved_at is None
    changes = [e.payload for e in repo.timeline(inc.id, session=session) if e.kind == "status_change"]
    assert changes == [
        {"from": "open", "to": "mitigated", "note": ""},
        {"from": "mitigated", "to": "closed", "note": "verified"},
    ]
    with pytest.raises(StorageError, match="unknown tag 'meh'"):
        repo.add_finding(inc.id, "x", tags=["meh"], session=session)


def test_same_uid_is_written_once(session) -> None:
    inc = repo.create_incident(session=session, title="t", uid="00000000-0000-4000-8000-000000000001")
    again = repo.create_incident(session=session, title="other", uid="00000000-0000-4000-8000-000000000001")
    assert again.id == inc.id and again.title == "t"
    uid = "00000000-0000-4000-8000-000000000002"
    s1 = repo.add_step(inc.id, "p", "n", session=session, uid=uid)
    assert repo.add_step(inc.id, "p", "n", session=session, uid=uid).id == s1.id
    for _ in range(3):
        repo.add_finding(inc.id, "once", session=session, uid="00000000-0000-4000-8000-000000000003")
        repo.add_event(inc.id, "note", summary="once", session=session, uid="00000000-0000-4000-8000-000000000004")
    assert len(repo.findings(inc.id, session=session)) == 1
    assert [e.kind for e in repo.timeline(inc.id, session=session)] == ["opened", "node_entered", "finding", "note"]


def test_timeline_since_polls_new_events(engine) -> None:
    with open_session(engine) as writer, open_session(engine) as reader:
        inc = repo.create_incident(session=writer, title="t")
        first = repo.timeline(inc.id, session=reader)
        repo.add_event(inc.id, "note", summary="later", session=writer)
        new = repo.timeline(inc.id, session=reader, since=first[-1].id)
        assert [e.summary for e in new] == ["later"]
        assert repo.timeline(inc.id, session=reader, since=new[-1].id) == []


def test_event_kind_validated(session) -> None:
    inc = repo.create_incident(session=session, title="t")
    with pytest.raises(StorageError, match=r"unknown event kind 'explode'"):
        repo.add_event(inc.id, "explode", session=session)
