"""Schema versions: create a fresh record or bring an older one up to date.

A one-row ``schema_version`` table holds the version. A database without it but with an
``incident`` table is a version-1 record (the first release wrote no version row). Each step
``N -> N+1`` is a function below; the whole upgrade runs in one transaction under a lock
(``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so two processes opening an
old record at once upgrade it once, and a failed upgrade leaves it as it was.

History:
- v1: incidents, events (without ``uid``), steps, check results, findings, action items.
- v2: postmortem fields on incidents, ``closed_at``; ``event.uid`` (idempotent writes);
  conclusions; the full-text search documents and index.
- v3: ``alert_group`` (Alertmanager group key -> incident, UNIQUE on the key; the walk's claim).
- v4: the rest of the postmortem's narrative on incidents: ``went_well``, ``went_wrong``, ``lucky``,
  ``lessons``.
- v5: flat as the record grows: ``conclusion_rule`` (each rule a conclusion named, as rows, indexed
  by rule then incident) and indexes for newest-first pages (``incident(started_at, id)``), for
  who walked a node (``step(playbook_id, node_id, incident_id)``) and for pending alert walks;
  ``incident.detection`` (how the incident was noticed, the one narrative section that had none).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from runbook.errors import StorageError
from runbook.record import models  # noqa: F401 - registers every table on SQLModel.metadata
from runbook.record.models import SCHEMA_VERSION, utcnow
from runbook.record.search_index import ensure_search_index

#: Execution option that makes the next transaction on a SQLite connection ``BEGIN IMMEDIATE``
#: (``runbook.record.db`` turns it into the statement; defined here so migrations need not
#: import the engine module that calls them).
WRITE_OPTION = "runbook_write"

_PG_LOCK_KEY = 0x52554E424F4F4B  # "RUNBOOK": serialises concurrent upgrades on PostgreSQL


def upgrade(engine: Engine) -> int:
    """Create or migrate the schema; return the version the database is now at."""
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        version = read_version(conn)
        if version is not None and version > SCHEMA_VERSION:
            raise StorageError(
                f"the incident record is at schema version {version}, newer than this runbook "
                f"understands ({SCHEMA_VERSION}); upgrade runbook"
            )
        if version is not None:
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](conn)
        SQLModel.metadata.create_all(conn)  # only tables that are missing
        ensure_search_index(conn)
        if version != SCHEMA_VERSION:
            _write_version(conn, SCHEMA_VERSION)
    return SCHEMA_VERSION


def read_version(conn: Connection) -> int | None:
    """The stored version; 1 for a record older than the version table; None when empty."""
    insp = inspect(conn)
    if insp.has_table("schema_version"):
        row = conn.execute(text("SELECT version FROM schema_version WHERE id = 1")).first()
        if row is not None:
            return int(row[0])
    return 1 if insp.has_table("incident") else None


def _write_version(conn: Connection, version: int) -> None:
    params = {"v": version, "at": utcnow() if conn.dialect.name != "sqlite" else utcnow().replace(tzinfo=None)}
    updated = conn.execute(text("UPDATE schema_version SET version = :v, upgraded_at = :at WHERE id = 1"), params)
    if updated.rowcount == 0:
        conn.execute(text("INSERT INTO schema_version (id, version, upgraded_at) VALUES (1, :v, :at)"), params)


def _columns(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}


def _v1_to_v2(conn: Connection) -> None:
    have = _columns(conn, "incident")
    for name, ddl in (
        ("postmortem_status", "VARCHAR(16) NOT NULL DEFAULT 'draft'"),
        ("summary", "TEXT NOT NULL DEFAULT ''"),
        ("impact", "TEXT NOT NULL DEFAULT ''"),
        ("trigger", "TEXT NOT NULL DEFAULT ''"),
        ("resolution", "TEXT NOT NULL DEFAULT ''"),
        ("closed_at", "TIMESTAMP WITH TIME ZONE" if conn.dialect.name == "postgresql" else "DATETIME"),
    ):
        if name not in have:
            conn.exec_driver_sql(f'ALTER TABLE incident ADD COLUMN "{name}" {ddl}')
    if "uid" not in _columns(conn, "event"):
        conn.exec_driver_sql("ALTER TABLE event ADD COLUMN uid VARCHAR(36)")
    ids = [r[0] for r in conn.execute(text("SELECT id FROM event WHERE uid IS NULL"))]
    for event_id in ids:
        conn.execute(text("UPDATE event SET uid = :u WHERE id = :i"), {"u": str(uuid.uuid4()), "i": event_id})
    conn.exec_driver_sql("CREATE UNIQUE INDEX IF NOT EXISTS ix_event_uid ON event (uid)")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE event ALTER COLUMN uid SET NOT NULL")
    # New tables (conclusion, search_doc, schema_version) come from create_all; then index what
    # the old record holds so search finds it.
    SQLModel.metadata.create_all(conn)
    _index_existing(conn)


def _index_existing(conn: Connection) -> None:
    """Fill ``search_doc`` from incidents, findings and check results already in the record."""
    ensure_search_index(conn)
    conn.exec_driver_sql(
        "INSERT INTO search_doc (kind, ref, incident_id, title, body) "
        "SELECT 'incident', 'INC-' || lpad_id, id, title, service FROM "
        "(SELECT id, title, service, " + _lpad("id") + " AS lpad_id FROM incident) AS i "
        "WHERE NOT EXISTS (SELECT 1 FROM search_doc d WHERE d.kind = 'incident' AND d.incident_id = i.id)"
    )
    conn.exec_driver_sql(
        "INSERT INTO search_doc (kind, ref, incident_id, title, body) "
        "SELECT 'finding', CAST(id AS VARCHAR(20)), incident_id, kind, text FROM finding f "
        "WHERE NOT EXISTS (SELECT 1 FROM search_doc d WHERE d.kind = 'finding' "
        "AND d.ref = CAST(f.id AS VARCHAR(20)))"
    )
    conn.exec_driver_sql(
        "INSERT INTO search_doc (kind, ref, incident_id, title, body) "
        "SELECT 'check', CAST(id AS VARCHAR(20)), incident_id, check_type, summary FROM check_result c "
        "WHERE NOT EXISTS (SELECT 1 FROM search_doc d WHERE d.kind = 'check' "
        "AND d.ref = CAST(c.id AS VARCHAR(20)))"
    )


def _lpad(col: str) -> str:
    # INC-0001 on both backends (SQLite has no lpad): '0000' || '7' -> '00007' -> '0007'.
    as_text = f"CAST({col} AS VARCHAR(20))"
    return f"CASE WHEN {col} < 10000 THEN substr('0000' || {as_text}, length({as_text}) + 1) ELSE {as_text} END"


def _v2_to_v3(conn: Connection) -> None:
    # A new table only: create_all adds it (with its UNIQUE group_key), nothing else changes.
    SQLModel.metadata.create_all(conn, tables=[SQLModel.metadata.tables["alert_group"]])


def _v3_to_v4(conn: Connection) -> None:
    have = _columns(conn, "incident")
    for name in ("went_well", "went_wrong", "lucky", "lessons"):
        if name not in have:
            conn.exec_driver_sql(f"ALTER TABLE incident ADD COLUMN \"{name}\" TEXT NOT NULL DEFAULT ''")


def _v4_to_v5(conn: Connection) -> None:
    if "detection" not in _columns(conn, "incident"):
        conn.exec_driver_sql("ALTER TABLE incident ADD COLUMN \"detection\" TEXT NOT NULL DEFAULT ''")
    tables = SQLModel.metadata.tables
    # New indexes on existing tables (create_all only makes missing tables), then the new table,
    # filled from the conclusions already recorded.
    for table in ("incident", "step", "alert_group"):
        for index in tables[table].indexes:
            index.create(conn, checkfirst=True)
    SQLModel.metadata.create_all(conn, tables=[tables["conclusion_rule"]])
    conn.exec_driver_sql("DELETE FROM conclusion_rule")  # an interrupted fill is redone whole
    rows = conn.execute(text("SELECT id, incident_id, rule_ids FROM conclusion")).all()
    params = []
    for cid, iid, rules in rows:
        if isinstance(rules, str):  # SQLite hands JSON back as text here (no ORM type on a raw select)
            rules = json.loads(rules)
        params += [{"c": cid, "i": iid, "r": str(r)} for r in dict.fromkeys(rules or ())]
    if params:
        conn.execute(
            text("INSERT INTO conclusion_rule (conclusion_id, incident_id, rule_id) VALUES (:c, :i, :r)"), params
        )


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5}
