"""Keeping the full-text index in step with the record.

Everything searchable is a row of ``search_doc`` (kind, ref, title, body, incident). The
repository writes those rows in the same transaction as their source (an incident, a finding, a
check result), so the index can never disagree with the record, even after a SIGKILL.

- SQLite: an FTS5 *external content* table ``search_fts`` over ``search_doc``, kept in sync by
  triggers (the FTS5 documentation's recipe), Porter stemming.
- PostgreSQL: a stored generated ``tsv`` column (title weighted A, body B) with a GIN index.
  Stored, not an expression index: ranking needs the vector of every match, and recomputing
  ``to_tsvector`` per row made a 463-match query 25 ms instead of ~1 ms (100k documents).
  The column exists only in the database; the SQLModel table does not declare it.

Knowledge-base rules and playbook nodes are fed in by their owners through
:func:`runbook.record.search.index_documents`.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, text
from sqlmodel import Session, col

from runbook.record.models import Incident, SearchDoc

SQLITE_RANK = "bm25(2.0, 1.0)"
PG_TSVECTOR = "search_doc.tsv"
_PG_DDL = (
    "ALTER TABLE search_doc ADD COLUMN IF NOT EXISTS tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')) STORED",
    "CREATE INDEX IF NOT EXISTS ix_search_doc_tsv_col ON search_doc USING gin (tsv)",
)

_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "title, body, content='search_doc', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS search_doc_ai AFTER INSERT ON search_doc BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS search_doc_ad AFTER DELETE ON search_doc BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS search_doc_au AFTER UPDATE ON search_doc BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)


def ensure_search_index(conn: Connection) -> None:
    """Create the backend's full-text index if missing (idempotent; inside the caller's transaction)."""
    if conn.dialect.name == "sqlite":
        existed = conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'search_fts'")).first() is not None
        for ddl in _SQLITE_DDL:
            conn.exec_driver_sql(ddl)
        if not existed:
            # The built-in rank column is BM25 with the title weighted twice the body: ORDER BY
            # rank is FTS5's fast path (about 2.5x faster than ORDER BY bm25(...) on 100k rows).
            conn.exec_driver_sql(f"INSERT INTO search_fts(search_fts, rank) VALUES ('rank', '{SQLITE_RANK}')")
            # search_doc may already hold rows (a migrated database): index them.
            conn.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    elif conn.dialect.name == "postgresql":
        # Look first: ALTER TABLE takes an exclusive lock even when the column already exists,
        # and every process start comes through here.
        has_tsv = (
            conn.execute(
                text(
                    "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                    "AND table_name = 'search_doc' AND column_name = 'tsv'"
                )
            ).first()
            is not None
        )
        if not has_tsv:
            for ddl in _PG_DDL:
                conn.exec_driver_sql(ddl)


def upsert_doc(
    session: Session, *, kind: str, ref: str, title: str, body: str, incident_id: int | None = None
) -> SearchDoc:
    """Insert or update one document; the caller commits (same transaction as the source row)."""
    doc = session.scalars(select(SearchDoc).where(col(SearchDoc.kind) == kind, col(SearchDoc.ref) == ref)).first()
    if doc is None:
        doc = SearchDoc(kind=kind, ref=ref, title=title, body=body, incident_id=incident_id)
        session.add(doc)
    else:
        doc.title, doc.body, doc.incident_id = title, body, incident_id
    session.flush()
    return doc


def incident_body(inc: Incident) -> str:
    parts = [
        inc.service,
        inc.summary,
        inc.impact,
        inc.detection,
        inc.trigger,
        inc.resolution,
        inc.went_well,
        inc.went_wrong,
        inc.lucky,
        inc.lessons,
    ]
    return "\n".join(p for p in parts if p)
