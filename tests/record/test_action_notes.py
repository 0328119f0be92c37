"""Notes of kind ``action`` become action items (#18): owner and due date when given."""

from __future__ import annotations

from datetime import date

import pytest

from runbook.errors import StorageError
from runbook.record import repo
from runbook.record.notes import action_item_of, action_items, add_finding, split_action_marks


def test_marks_give_owner_and_due_and_leave_the_text():
    assert split_action_marks("restart orders pods [owner: sre-oncall] [due: 2026-04-01]") == (
        "restart orders pods",
        "sre-oncall",
        date(2026, 4, 1),
    )
    assert split_action_marks("roll back v2.3 [due: 2026-04-02]") == ("roll back v2.3", None, date(2026, 4, 2))
    assert split_action_marks("page the etcd owners") == ("page the etcd owners", None, None)
    with pytest.raises(StorageError, match=r"due date 'soon' is not a date \(use YYYY-MM-DD\)"):
        split_action_marks("x [due: soon]")


def test_an_action_note_is_an_action_item_and_a_timeline_line(session):
    inc = repo.create_incident(session=session, title="orders 5xx", author="alice")
    note = add_finding(
        inc.id, "restart orders pods [owner: sre-oncall] [due: 2026-04-01]", kind="action", session=session
    )
    other = add_finding(inc.id, "CLOSE_WAIT piles up", kind="observation", session=session)
    explicit = add_finding(
        inc.id, "raise the lease TTL", kind="action", owner="orders team", due=date(2026, 5, 1), session=session
    )
    items = action_items(inc.id, session=session)
    assert [(a.text, a.owner, a.due, a.type, a.status) for a in items] == [
        ("restart orders pods", "sre-oncall", date(2026, 4, 1), "mitigate", "open"),
        ("raise the lease TTL", "orders team", date(2026, 5, 1), "mitigate", "open"),
    ]
    assert action_item_of(note, session=session) == items[0]
    assert action_item_of(other, session=session) is None
    assert action_item_of(explicit, session=session) == items[1]
    lines = [e.summary for e in repo.timeline(inc.id, session=session) if e.kind == "finding"]
    assert lines == [
        "action: restart orders pods [owner: sre-oncall] [due: 2026-04-01]",
        "observation: CLOSE_WAIT piles up",
        "action: raise the lease TTL [owner: orders team] [due: 2026-05-01]",
    ]


def test_a_retried_action_note_adds_no_second_item(session):
    inc = repo.create_incident(session=session, title="orders 5xx", author="alice")
    first = add_finding(inc.id, "restart pods", kind="action", uid="fixed-uid-1", session=session)
    again = add_finding(inc.id, "restart pods", kind="action", uid="fixed-uid-1", session=session)
    assert first.id == again.id
    assert len(action_items(inc.id, session=session)) == 1


def test_note_command_and_the_postmortem_action_table(tmp_path, monkeypatch, capsys):
    from runbook.cli import main

    for var in ("RUNBOOK_DB", "RUNBOOK_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("RUNBOOK_AUTHOR", "alice")
    assert main(["incident", "new", "--title", "orders 5xx"]) == 0
    argv = ["note", "1", "drain node-7", "--kind", "action", "--owner", "bob", "--due", "2026-12-01"]
    assert main(argv) == 0
    assert main(["note", "1", "heap grows", "--owner", "bob"]) == 1
    out, err = capsys.readouterr()
    assert out == "INC-0001\nINC-0001 action #1 recorded (action item #1)\n"
    assert err == "runbook: --owner and --due are for --kind action\n"
    assert main(["export", "1"]) == 0
    md = capsys.readouterr().out
    assert "| drain node-7 | mitigate | bob | 2026-12-01 | open |  |" in md
