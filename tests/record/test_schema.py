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


def test_newer_schema_is_refused_with_a_clear_message(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = 99 WHERE id = 1"))
    with pytest.raises(StorageError, match=r"schema version 99, newer than this runbook understands \(4\)"):
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
