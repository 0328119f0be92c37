"""Schema versions: a record written by the first release (v1) opens, keeps its data, and works."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from runbook.errors import StorageError
from runbook.record import repo
from runbook.record.db import init_db, make_engine, open_session
from runbook.record.models import SCHEMA_VERSION
from runbook.record.schema import read_version
from runbook.record.search import search
from runbook.record.similar import similar_incidents

DATA = Path(__file__).parent / "data"


def _load_v1(engine) -> None:
    script = (DATA / f"schema_v1.{engine.dialect.name}.sql").read_text()
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            raw.driver_connection.executescript(script)
        else:
            with raw.cursor() as cur:
                cur.execute(script)
        raw.commit()
    finally:
        raw.close()


def test_fresh_database_is_at_current_version(engine) -> None:
    with engine.connect() as conn:
        assert read_version(conn) == SCHEMA_VERSION
    assert init_db(engine) == SCHEMA_VERSION  # opening again changes nothing


def test_v1_record_is_upgraded_and_keeps_everything(db_url: str) -> None:
    engine = make_engine(db_url)
    _load_v1(engine)
    with engine.connect() as conn:
        assert read_version(conn) == 1
    assert init_db(engine) == SCHEMA_VERSION
    with engine.connect() as conn:
        assert read_version(conn) == SCHEMA_VERSION
        cols = {c["name"] for c in inspect(conn).get_columns("incident")}
        assert {"postmortem_status", "summary", "impact", "trigger", "resolution", "closed_at"} <= cols
        uids = [r[0] for r in conn.execute(text("SELECT uid FROM event ORDER BY id"))]
        assert len(uids) == 3 and len(set(uids)) == 3 and all(len(u) == 36 for u in uids)
    with open_session(engine) as s:
        inc = repo.get_incident("INC-0001", session=s)
        assert (inc.title, inc.status, inc.postmortem_status, inc.summary) == (
            "Registry collapse: instances vanish",
            "resolved",
            "draft",
            "",
        )
        assert inc.started_at == datetime(2025, 6, 1, 2, 10, tzinfo=UTC)
        assert inc.variables == {"etcd": "127.0.0.1:2379"}
        assert [e.kind for e in repo.timeline(inc.id, session=s)] == ["opened", "node_entered", "finding"]
        assert repo.current_step(inc.id, session=s).node_id == "start"
        [check] = repo.check_results(inc.id, session=s)
        assert repo.to_check_result(check).figures == {"ttl_remaining_s": 2}
        # old rows are searchable, new writes work and continue the sequences
        assert [h.kind for h in search("keepalive goroutines watcher", session=s)] == ["finding"]
        assert [h.ref for h in search("registry collapse", session=s)] == ["INC-0001"]
        step = repo.add_step(inc.id, "registry", "keepalive", session=s)
        assert step.seq == 2 and step.id == 2
        repo.add_conclusion(inc.id, rule_ids=["R1"], title="duplicate keep-alive", session=s)
        inc2 = repo.create_incident(session=s, title="second")
        assert inc2.ref == "INC-0002"
    assert init_db(engine) == SCHEMA_VERSION  # idempotent
    engine.dispose()


#: What v5 added to v4 (``runbook.record.schema``): one table, the indexes and ``incident.detection``.
V5_INDEXES = ("ix_incident_started_id", "ix_incident_status_started", "ix_step_node_incident", "ix_alert_group_walk")


def _as_v4(engine) -> None:
    """Turn a v5 record into the v4 one the previous release wrote: v5's table and indexes gone."""
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE conclusion_rule")
        conn.exec_driver_sql("ALTER TABLE incident DROP COLUMN detection")
        for name in V5_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX {name}")
        conn.execute(text("UPDATE schema_version SET version = 4 WHERE id = 1"))


def test_v4_record_is_upgraded_in_place_and_keeps_its_rows(db_url: str) -> None:
    engine = make_engine(db_url)
    init_db(engine)
    with open_session(engine) as s:
        old = repo.create_incident(session=s, title="Lease lost under load")
        step = repo.add_step(old.id, "p0-1-discovery", "lease-race", session=s)
        repo.add_conclusion(old.id, rule_ids=["R1", "R2", "R1"], step_id=step.id, title="race", session=s)
        repo.add_finding(old.id, "keepalive goroutines leaked", session=s)
        undone = repo.create_incident(session=s, title="Taken back")
        taken = repo.add_step(undone.id, "p0-1-discovery", "lease-race", session=s)
        repo.add_conclusion(undone.id, rule_ids=["R1"], step_id=taken.id, session=s)
        repo.mark_step_undone(taken.id, session=s)
        asker = repo.create_incident(session=s, title="Now")
    _as_v4(engine)
    with engine.connect() as conn:
        assert read_version(conn) == 4
        assert not inspect(conn).has_table("conclusion_rule")
        assert "detection" not in {c["name"] for c in inspect(conn).get_columns("incident")}
    assert init_db(engine) == SCHEMA_VERSION == 5
    with engine.connect() as conn:
        assert read_version(conn) == 5
        names = {i["name"] for t in ("incident", "step", "alert_group") for i in inspect(conn).get_indexes(t)}
        assert set(V5_INDEXES) <= names
        assert "detection" in {c["name"] for c in inspect(conn).get_columns("incident")}
        rows = conn.execute(text("SELECT incident_id, rule_id FROM conclusion_rule ORDER BY incident_id, rule_id"))
        assert [tuple(r) for r in rows] == [(old.id, "R1"), (old.id, "R2"), (undone.id, "R1")]
    with open_session(engine) as s:
        assert repo.get_incident(old.id, session=s).detection == ""  # the old rows read as "not written"
        assert [i.title for i in repo.list_incidents(session=s)] == ["Now", "Taken back", "Lease lost under load"]
        assert [e.kind for e in repo.timeline(old.id, session=s)] == [
            "opened",
            "node_entered",
            "conclusion_reached",
            "finding",
        ]
        assert [h.ref for h in search("keepalive goroutines", session=s)] == [
            str(repo.findings(old.id, session=s)[0].id)
        ]
        # the migrated rows answer the lookup that reads them (the undone conclusion does not count)
        [similar] = similar_incidents(session=s, rules=["R1"], exclude=asker.id)
        assert (similar.ref, similar.reason) == (old.ref, "same rules: R1")
    assert init_db(engine) == SCHEMA_VERSION  # idempotent
    engine.dispose()


def test_newer_schema_is_refused_with_a_clear_message(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = 99 WHERE id = 1"))
    with pytest.raises(StorageError, match=r"schema version 99, newer than this runbook understands \(5\)"):
        init_db(engine)


def test_garbage_file_is_a_storage_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(
        StorageError,
        match=r"cannot open the incident record at sqlite:///.*not-a-db\.db: "
        "file is not a database",
    ):
        init_db(make_engine(f"sqlite:///{bad}"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("foo", "not a database URL: 'foo'"),
        (
            "sqlite:////proc/runbook-nope/x.db",
            "cannot create the directory for the incident record /proc/runbook-nope: ",
        ),
        (
            "postgresql://nobody@127.0.0.1:1/db",
            "cannot open the incident record at postgresql\\+psycopg://nobody@127.0.0.1:1/db: connection failed",
        ),
    ],
)
def test_unusable_urls_are_storage_errors(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        init_db(make_engine(url))
