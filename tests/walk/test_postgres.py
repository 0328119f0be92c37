"""The same walk on PostgreSQL: record, undo, check results, resume and similar incidents."""

from __future__ import annotations

import pytest

from runbook.record import repo
from runbook.record.db import connect, open_session
from runbook.walk.autopilot import autopilot
from runbook.walk.engine import WalkEngine
from runbook.walk.state import StopReason


@pytest.fixture
def pg_engines(postgres_url, test_library):
    """Engines on the test database, each on its own connection; all closed before the
    database is dropped (an open connection would be killed under the test's feet)."""
    db = connect(postgres_url)
    sessions = []

    def make(**kwargs) -> WalkEngine:
        sessions.append(open_session(db))
        return WalkEngine(test_library, sessions[-1], **kwargs)

    yield make
    for s in sessions:
        s.close()
    db.dispose()


async def test_walk_undo_resume_on_postgres(pg_engines, expiring_lease):
    engine = pg_engines(author="pg")
    iid = engine.create_incident("on postgres", variables={**expiring_lease, "window_s": "3"})
    engine.start("walktest")
    stop = await autopilot(engine)
    assert stop.reason == StopReason.CONCLUSION and engine.conclusions[0].rules == ("R1",)
    engine.undo()
    engine.choose("deploy")

    again = pg_engines()
    again.resume(iid)
    assert again.path == engine.path
    assert [(s.ref, s.undone) for s in again.path] == [
        ("walktest#lease-health", False),
        ("walktest#lease-race", True),
        ("walktest#deploy", False),
    ]
    assert again.results_at(again.path[0])[0].result.verdict.value == "fail"
    assert again.conclusions == ()
    kinds = [e.kind for e in repo.timeline(iid, session=again.session)]
    assert kinds.count("check_run") == 1 and "step_undone" in kinds

    second = pg_engines()
    second.create_incident("again")
    second.enter("walktest#deploy")
    assert [s.ref for s in second.similar()] == [f"INC-{iid:04d}"]
