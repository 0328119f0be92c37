"""Engine and session set-up for the incident record (SQLite by default, PostgreSQL by URL).

SQLite is tuned for "nothing shown is ever lost" with several processes on one file:

- WAL journal, so readers (the live timeline) never block the writer and the writer never
  blocks readers;
- ``synchronous=FULL``: each commit is fsynced, so a committed event survives a crash of the
  process *and* of the machine;
- ``foreign_keys=ON`` and a busy timeout, so a second responder's process waits for the lock
  instead of failing;
- write transactions start with ``BEGIN IMMEDIATE`` (see :func:`begin_write`): the write lock is
  taken up front, so a transaction that reads before it writes cannot fail half-way with
  ``SQLITE_BUSY`` when another process committed in between.

Nothing here creates tables on import; :func:`init_db` does, and migrates older databases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from runbook.errors import StorageError
from runbook.record.schema import WRITE_OPTION, upgrade

#: Milliseconds a SQLite connection waits for another process's write lock.
BUSY_TIMEOUT_MS = 15_000


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver we ship with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, echo: bool = False, synchronous: str = "FULL") -> Engine:
    """An engine for ``url`` (``Services`` passes the configured record's URL).

    ``synchronous`` (SQLite only): ``FULL`` fsyncs every commit (survives a power cut);
    ``NORMAL`` survives a killed process but not a power cut, and is ~2x faster per event on
    a VM disk (``bench/event_writes.py``); tests that write many events may pass it.
    """
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"not a database URL: {url!r} ({exc})") from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, echo=echo, synchronous=synchronous)
    try:
        return create_engine(url, echo=echo, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError) as exc:
        raise StorageError(f"cannot use database {parsed.render_as_string(hide_password=True)}: {exc}") from exc


def _sqlite_engine(url: str, database: str | None, *, echo: bool, synchronous: str) -> Engine:
    memory = not database or database == ":memory:"
    if database and not memory:
        # A newcomer's first command: the data directory may not exist yet.
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the directory for the incident record {folder}: {exc.strerror or exc}"
            ) from exc
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: object) -> None:
        # Let SQLAlchemy (not the sqlite3 module) decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(engine_or_session: Engine | Session) -> bool:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "sqlite"


def open_session(engine: Engine) -> Session:
    """A session whose rows stay readable after commit (repository functions commit at once)."""
    return Session(engine, expire_on_commit=False)


def begin_write(session: Session) -> None:
    """Start a write transaction on ``session`` (``BEGIN IMMEDIATE`` on SQLite).

    A read transaction left open by an earlier query is ended first: repository functions
    commit after every write, so there is never anything pending to lose.
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_OPTION: True})


def init_db(engine: Engine) -> int:
    """Create missing tables and search indexes, migrate an older schema; return the version."""
    try:
        return upgrade(engine)
    except StorageError:
        raise
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open the incident record at {_safe(engine)}: {_first_line(exc)}") from exc


def connect(url: str) -> Engine:
    """``make_engine`` + ``init_db``: what a command or the app calls once at start-up."""
    engine = make_engine(url)
    init_db(engine)
    return engine


def _safe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
