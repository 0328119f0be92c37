"""The one way the repository writes: idempotent, committed at once, retried on contention.

Every repository write goes through :func:`write_once`:

1. it opens a write transaction (``BEGIN IMMEDIATE`` on SQLite: the lock is taken before the
   first read, so two responders' processes queue instead of failing mid-way);
2. it looks for a row with the caller's ``uid``; if one exists the write already happened
   (a retry, or a replay after a crash) and that row is returned untouched;
3. otherwise it builds the rows (domain row + timeline event + search document) and commits
   them together, so the timeline never shows an event whose details are missing.

Contention that the database reports as an error (PostgreSQL unique-key races on ``seq``, a
SQLite lock that outlived the busy timeout) is retried with jittered back-off; since the uid is
checked first on every attempt, a retry can never duplicate.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col

from runbook.errors import NotFoundError, RunbookError, StorageError
from runbook.record.db import begin_write
from runbook.record.models import Event, EventKind, Incident, incident_ref, new_uid, utcnow

T = TypeVar("T")

_ATTEMPTS = 8


def default_author() -> str:
    """Author of rows written without one (the faces always pass ``Settings.author``)."""
    from runbook.config import process_author

    return process_author()


def write_once(session: Session, model: type[Any], uid: str | None, build: Callable[[str], T]) -> T:
    """Commit what ``build(uid)`` adds, unless ``model`` already has a row with ``uid``.

    ``model`` is any record table with a unique ``uid`` column (SQLModel gives the tables no
    common base that declares it, hence ``type[Any]``)."""
    uid = uid or new_uid()
    last: Exception | None = None
    for attempt in range(_ATTEMPTS):
        try:
            begin_write(session)
            existing: T | None = session.scalars(select(model).where(col(model.uid) == uid)).first()
            if existing is not None:
                session.commit()
                return existing
            result = build(uid)
            session.commit()
            return result
        except RunbookError:
            session.rollback()
            raise
        except IntegrityError as exc:
            session.rollback()
            last = exc
        except OperationalError as exc:
            session.rollback()
            if not _transient(exc):
                raise StorageError(f"cannot write to the incident record: {_first_line(exc)}") from exc
            last = exc
        time.sleep(random.uniform(0, min(0.02 * 2**attempt, 0.5)))
    raise StorageError(f"cannot write to the incident record after {_ATTEMPTS} attempts: {_first_line(last)}")


def _transient(exc: OperationalError) -> bool:
    text = str(exc.orig or exc).lower()
    return any(s in text for s in ("locked", "busy", "deadlock", "could not serialize", "connection"))


def _first_line(exc: Exception | None) -> str:
    if exc is None:
        return "unknown error"
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def require_incident(session: Session, incident_id: int) -> Incident:
    inc = session.get(Incident, incident_id)
    if inc is None:
        raise NotFoundError(f"no incident {incident_ref(incident_id)} in the record")
    return inc


def new_event(
    session: Session,
    uid: str,
    incident_id: int,
    kind: EventKind | str,
    summary: str,
    *,
    author: str | None = None,
    payload: dict[str, Any] | None = None,
    automatic: bool = False,
    step_id: int | None = None,
    at: datetime | None = None,
) -> Event:
    """Add a timeline event carrying the write's uid (the caller's transaction commits)."""
    ev = Event(
        uid=uid,
        incident_id=incident_id,
        kind=EventKind(kind).value,
        summary=summary,
        author=author or default_author(),
        payload=dict(payload or {}),
        automatic=automatic,
        step_id=step_id,
        at=at or utcnow(),
    )
    session.add(ev)
    session.flush()
    return ev
