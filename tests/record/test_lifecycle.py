"""The incident's life after the walk: milestones stamped when reached, severity, the narrative,
proposed actions accepted once, action items edited; and the CLI faces of the same."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from runbook.cli import main
from runbook.errors import StorageError
from runbook.record import repo
from runbook.record.db import init_db, make_engine, open_session
from runbook.record.lifecycle import (
    ProposedAction,
    accept_proposal,
    edit_action_item,
    mark_accepted,
    save_narrative,
    set_severity,
)
from runbook.record.models import SCHEMA_VERSION
from runbook.record.narrative_form import from_form, to_form
from runbook.record.schema import read_version
from runbook.record.search import search

T0 = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)


def test_each_milestone_is_stamped_when_it_is_reached_and_only_then(session) -> None:
    inc = repo.create_incident(session=session, title="orders 5xx", started_at=T0)
    repo.update_status(inc.id, "mitigated", session=session, at=T0.replace(minute=15))
    repo.update_status(inc.id, "resolved", session=session, at=T0.replace(minute=40))
    got = repo.update_status(inc.id, "closed", session=session, at=T0.replace(hour=5))
    assert (got.mitigated_at, got.resolved_at, got.closed_at) == (
        T0.replace(minute=15),
        T0.replace(minute=40),
        T0.replace(hour=5),
    )
    other = repo.create_incident(session=session, title="closed at once")
    got = repo.update_status(other.id, "closed", session=session, at=T0)
    assert (got.mitigated_at, got.resolved_at, got.closed_at) == (None, None, T0)


def test_severity_change_is_on_the_timeline_and_a_repeat_is_not(session) -> None:
    inc = repo.create_incident(session=session, title="checkout slow", severity="P2")
    assert set_severity(inc.id, "P1", session=session, author="bob").severity == "P1"
    set_severity(inc.id, "P1", session=session)
    lines = [(e.kind, e.summary, e.author) for e in repo.timeline(inc.id, session=session)][1:]
    assert lines == [("severity_change", "severity P2 -> P1", "bob")]
    with pytest.raises(StorageError, match="unknown severity 'P9'"):
        set_severity(inc.id, "P9", session=session)


def test_narrative_is_saved_as_given_and_searchable(session) -> None:
    inc = repo.create_incident(session=session, title="registry collapse")
    save_narrative(inc.id, {"summary": "leases expired", "lessons": "one keep-alive per lease"}, session=session)
    save_narrative(inc.id, {"went_well": "the playbook found it in 6 minutes"}, session=session)
    session.expunge_all()
    got = repo.get_incident(inc.id, session=session)
    assert (got.summary, got.went_well, got.lessons, got.impact) == (
        "leases expired",
        "the playbook found it in 6 minutes",
        "one keep-alive per lease",
        "",
    )
    assert [h.ref for h in search("keep-alive lease", session=session)] == [inc.ref]
    with pytest.raises(StorageError, match="unknown postmortem section\\(s\\): blame"):
        save_narrative(inc.id, {"blame": "x"}, session=session)


def test_a_proposal_accepted_twice_is_one_action_item_and_edits_go_on_the_timeline(session) -> None:
    inc = repo.create_incident(session=session, title="lease storm")
    prop = ProposedAction("p0-1#c1/1", "one KeepAlive per lease", "prevent", "service owner", "R1")
    other = ProposedAction("p0-1#c1/2", "alert on lease churn", "mitigate", "", "R1")
    first = accept_proposal(inc.id, prop, session=session, owner="carol", due=date(2026, 4, 1), author="alice")
    again = accept_proposal(inc.id, prop, session=session, owner="dave")
    assert again.id == first.id and len(repo.action_items(inc.id, session=session)) == 1
    assert (first.text, first.type, first.owner, first.due, first.rule) == (
        "one KeepAlive per lease",
        "prevent",
        "carol",
        date(2026, 4, 1),
        "R1",
    )
    marked = mark_accepted(inc.id, [prop, other], session=session)
    assert [p.accepted_id for p in marked] == [first.id, None]
    edit_action_item(first.id, text="one KeepAlive per lease, in the shared client", session=session, author="bob")
    edit_action_item(first.id, status="done", owner="", clear_due=True, session=session)
    edit_action_item(first.id, status="done", session=session)  # no change, no line
    [item] = repo.action_items(inc.id, session=session)
    assert (item.status, item.owner, item.due) == ("done", None, None)
    updates = [e.summary for e in repo.timeline(inc.id, session=session) if e.kind == "action_updated"]
    assert updates == [
        f"action #{item.id} text edited: one KeepAlive per lease, in the shared client",
        f"action #{item.id} status done, due cleared, owner cleared: one KeepAlive per lease, in the shared client",
    ]
    with pytest.raises(StorageError, match="an action item needs some text"):
        edit_action_item(first.id, text="  ", session=session)


def test_v3_record_gains_the_narrative_columns(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'v3.db'}")
    init_db(engine)
    with engine.begin() as conn:  # back to v3's shape: no narrative columns beyond resolution
        for col in ("went_well", "went_wrong", "lucky", "lessons", "detection"):
            conn.exec_driver_sql(f"ALTER TABLE incident DROP COLUMN {col}")
        conn.execute(text("UPDATE schema_version SET version = 3"))
        conn.exec_driver_sql(
            "INSERT INTO incident (uid, title, severity, status, service, started_at, variables, "
            "is_drill, created_by, postmortem_status, summary, impact, trigger, resolution) VALUES "
            "('u1', 'old', 'P2', 'open', '', '2026-03-14 02:00:00', '{}', 0, 'a', 'draft', "
            "'s', '', '', '')"
        )
    assert init_db(engine) == SCHEMA_VERSION  # v3 -> v4 -> current
    with engine.connect() as conn:
        assert read_version(conn) == SCHEMA_VERSION
        assert {"went_well", "went_wrong", "lucky", "lessons", "detection"} <= {
            c["name"] for c in inspect(conn).get_columns("incident")
        }
    with open_session(engine) as s:
        inc = repo.get_incident(1, session=s)
        assert (inc.summary, inc.went_well) == ("s", "")
        assert save_narrative(1, {"went_wrong": "paging was slow"}, session=s).went_wrong == "paging was slow"
    engine.dispose()


def test_narrative_form_round_trips_and_keeps_sub_headings() -> None:
    form = to_form("INC-0001", "x", {"summary": "a\n\n### detail\n- b", "lessons": "c"})
    assert form.startswith("<!-- INC-0001: x")
    got = from_form(form)
    assert got["summary"] == "a\n\n### detail\n- b" and got["lessons"] == "c" and got["impact"] == ""
    assert set(got) == {
        "summary", "impact", "detection", "trigger", "resolution", "went_well", "went_wrong", "lucky", "lessons"
    }  # fmt: skip
    with pytest.raises(Exception, match="text before the first section heading: 'stray'"):
        from_form("stray\n## Summary\nx")


# -- the CLI ---------------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RUNBOOK_DB", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("RUNBOOK_AUTHOR", "alice")
    monkeypatch.delenv("RUNBOOK_CONFIG", raising=False)

    def run(capsys, *argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_status_stamps_one_milestone_at_a_time(cli, capsys) -> None:
    assert cli(capsys, "incident", "new", "--title", "orders 5xx")[1] == "INC-0001\n"
    assert cli(capsys, "incident", "status", "INC-0001", "mitigated", "--at", "2026-03-14T02:15Z")[1] == (
        "INC-0001 mitigated\n"
    )
    assert cli(capsys, "incident", "close", "1", "--at", "2026-03-14T05:00:00+00:00")[1] == "INC-0001 closed\n"
    out = cli(capsys, "incident", "show", "1")[1]
    assert "mitigated: 2026-03-14 02:15:00Z" in out and "   closed: 2026-03-14 05:00:00Z" in out
    assert "resolved:" not in out
    code, _, err = cli(capsys, "incident", "status", "1", "resolved", "--at", "yesterday")
    assert code != 0 and "--at expects an ISO time such as 2026-03-14T02:50Z, got 'yesterday'" in err


def test_cli_edit_writes_the_narrative_and_the_severity(cli, capsys) -> None:
    cli(capsys, "incident", "new", "--title", "orders 5xx")
    code, out, _ = cli(
        capsys, "incident", "edit", "1", "--summary", "leases expired", "--impact", "30 min of 5xx", "--severity", "P1"
    )
    assert (code, out) == (0, "INC-0001 edited: severity, summary, impact\n")
    out = cli(capsys, "incident", "show", "1")[1]
    assert out.startswith("INC-0001 [P1] orders 5xx")
    assert "summary:\n  leases expired" in out and "impact:\n  30 min of 5xx" in out
    assert "severity_change    severity P2 -> P1" in out
    code, _, err = cli(capsys, "incident", "edit", "1")
    assert code != 0 and "nothing to change" in err


def test_cli_edit_in_the_editor(cli, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli(capsys, "incident", "new", "--title", "orders 5xx")
    cli(capsys, "incident", "edit", "1", "--trigger", "a deploy")
    editor = tmp_path / "fake-editor"
    # An editor that fills in "What went well" and leaves the rest as the form showed it.
    editor.write_text(
        "#!/bin/sh\n"
        "grep -q '^a deploy$' \"$1\" || exit 7\n"
        "sed -i 's/^## What went well$/## What went well\\n\\nthe check found it/' \"$1\"\n"
    )
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    assert cli(capsys, "incident", "edit", "1", "--editor")[1] == "INC-0001 edited: went_well\n"
    out = cli(capsys, "incident", "show", "1")[1]
    assert "trigger:\n  a deploy" in out and "what went well:\n  the check found it" in out
    monkeypatch.setenv("EDITOR", "false")
    code, _, err = cli(capsys, "incident", "edit", "1", "--editor")
    assert code != 0 and "the editor 'false' exited with status 1; nothing was saved" in err


def test_undo_takes_back_the_step_never_the_note_written_there(session) -> None:
    inc = repo.create_incident(session=session, title="probes flap")
    step = repo.add_step(inc.id, "tui-demo", "flapping", session=session)
    repo.add_finding(inc.id, "probe p99 is 0.8s", session=session, step_id=step.id, author="bob")
    repo.add_action_item(inc.id, "raise the probe timeout", session=session)
    repo.mark_step_undone(step.id, session=session)
    lines = {(e.kind, e.undone) for e in repo.timeline(inc.id, session=session)}
    assert ("node_entered", True) in lines and ("step_undone", False) in lines
    assert ("finding", False) in lines and ("finding", True) not in lines
    assert [e.summary for e in repo.timeline(inc.id, session=session, include_undone=False) if e.kind == "finding"] == [
        "observation: probe p99 is 0.8s"
    ]
