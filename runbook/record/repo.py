"""Repository functions for the incident record: the only API the rest of the tool writes through.

Conventions (the same in ``steps.py`` and ``notes.py``, re-exported here):

- ``session`` is keyword-only; use ``runbook.record.db.open_session(engine)``.
- Every write commits before it returns: once a caller shows something, it is on disk.
- Every write takes an optional ``uid`` (a UUID string chosen by the caller). Calling again
  with the same uid returns the row written the first time and writes nothing.
- Writes return the SQLModel rows (``Incident``, ``Event``, ``Step`` ...). With
  ``open_session`` they stay readable after the commit; treat them as read-only snapshots and
  change the record only through these functions.
- Unknown incidents raise ``NotFoundError``; bad enum values raise ``StorageError`` with the
  allowed values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from runbook.checks.redact import split_secrets
from runbook.errors import NotFoundError, StorageError
from runbook.record.db import begin_write
from runbook.record.models import (
    Event,
    EventKind,
    Incident,
    IncidentStatus,
    PostmortemStatus,
    Severity,
    incident_ref,
    utcnow,
)
from runbook.record.notes import (
    action_items,
    add_action_item,
    add_finding,
    findings,
    update_action_item,
)
from runbook.record.search_index import incident_body, upsert_doc
from runbook.record.steps import (
    add_check_result,
    add_conclusion,
    add_step,
    check_results,
    conclusions,
    current_step,
    mark_step_undone,
    record_choice,
    steps,
    to_check_result,
)
from runbook.record.writes import default_author, new_event, require_incident, write_once

# The API, with what ``steps.py`` and ``notes.py`` add (listed, so type checkers see the
# re-exports as such).
__all__ = [
    "action_items",
    "add_action_item",
    "add_check_result",
    "add_conclusion",
    "add_event",
    "add_finding",
    "add_step",
    "check_results",
    "conclusions",
    "create_incident",
    "current_step",
    "enum_value",
    "findings",
    "get_incident",
    "list_incidents",
    "mark_step_undone",
    "parse_incident_ref",
    "record_choice",
    "set_postmortem_status",
    "steps",
    "timeline",
    "to_check_result",
    "update_action_item",
    "update_incident",
    "update_status",
]

_REF = re.compile(r"^\s*(?:inc-?)?0*(\d+)\s*$", re.IGNORECASE)


def enum_value(enum: type[StrEnum], value: Any, what: str) -> str:
    """``value`` as a member of ``enum`` or a StorageError naming the allowed values."""
    try:
        return enum(value).value
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise StorageError(f"unknown {what} {value!r} (expected one of: {allowed})") from None


def parse_incident_ref(ref: int | str) -> int:
    """``7``, ``"7"``, ``"INC-0007"`` or ``"inc7"`` -> 7."""
    if isinstance(ref, int):
        return ref
    m = _REF.match(ref)
    if not m or int(m.group(1)) == 0:
        raise NotFoundError(f"not an incident id: {ref!r} (expected e.g. INC-0001 or 1)")
    return int(m.group(1))


def create_incident(
    *,
    session: Session,
    title: str,
    severity: str = Severity.P2.value,
    service: str = "",
    variables: Mapping[str, Any] | None = None,
    is_drill: bool = False,
    author: str | None = None,
    started_at: datetime | None = None,
    detected_at: datetime | None = None,
    uid: str | None = None,
) -> Incident:
    """Insert an incident (and its ``opened`` timeline event).

    Faces open incidents through ``runbook.record.incidents.open_incident``, which splits secrets
    off first; this refuses a secret-looking variable outright, so no other path can store one.
    """
    if not title.strip():
        raise StorageError("an incident needs a title")
    _stored, secrets = split_secrets(variables or {})
    if secrets:
        raise StorageError(
            f"refusing to record secret-looking variables ({', '.join(sorted(secrets))}): "
            "open incidents with runbook.record.incidents.open_incident"
        )
    sev = enum_value(Severity, severity, "severity")

    def build(uid: str) -> Incident:
        now = utcnow()
        inc = Incident(
            uid=uid,
            title=title.strip(),
            severity=sev,
            service=service,
            variables=dict(variables or {}),
            is_drill=is_drill,
            created_by=author or default_author(),
            started_at=started_at or now,
            detected_at=detected_at or now,
        )
        session.add(inc)
        session.flush()
        assert inc.id is not None  # flushed: the database has given the row its id
        drill = " (drill)" if is_drill else ""
        new_event(
            session,
            uid,
            inc.id,
            EventKind.OPENED,
            f"{sev} opened{drill}: {inc.title}",
            author=inc.created_by,
            payload={"severity": sev, "service": service},
            at=now,
        )
        _index_incident(session, inc)
        return inc

    return write_once(session, Incident, uid, build)


def get_incident(incident_id: int | str, *, session: Session) -> Incident:
    """The incident, by number or ``INC-0007``; NotFoundError if there is none."""
    inc = session.get(Incident, parse_incident_ref(incident_id), populate_existing=True)
    if inc is None:
        raise NotFoundError(f"no incident {incident_ref(parse_incident_ref(incident_id))} in the record")
    return inc


def list_incidents(
    *, session: Session, include_drills: bool = False, status: str | None = None, limit: int | None = None
) -> list[Incident]:
    """Incidents, newest first; drills only when asked for."""
    q = select(Incident).order_by(col(Incident.started_at).desc(), col(Incident.id).desc())
    if not include_drills:
        q = q.where(col(Incident.is_drill) == False)  # noqa: E712 - SQL expression
    if status is not None:
        q = q.where(col(Incident.status) == enum_value(IncidentStatus, status, "status"))
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q.execution_options(populate_existing=True)))


#: More unfinished incidents than this at once is not a state a team works in; the home screen
#: still lists the newest this many of them, and its page for the rest.
UNFINISHED_CAP = 500


def home_incidents(*, session: Session, limit: int) -> tuple[list[Incident], bool]:
    """What the home screen lists: every unfinished incident (open or mitigated, newest first, up
    to :data:`UNFINISHED_CAP`), then the newest ``limit`` of all; and whether more are left.

    An open incident older than the newest page must not hide behind the page (a responder
    looks for it at once), so it is read by status, through its index, not by recency alone.
    """
    unfinished = (IncidentStatus.OPEN.value, IncidentStatus.MITIGATED.value)
    q = (
        select(Incident)
        .where(col(Incident.status).in_(unfinished), col(Incident.is_drill) == False)  # noqa: E712 - SQL
        .order_by(col(Incident.started_at).desc(), col(Incident.id).desc())
        .limit(UNFINISHED_CAP)
    )
    first = list(session.scalars(q.execution_options(populate_existing=True)))
    recent = list_incidents(session=session, limit=limit)
    seen = {i.id for i in first}
    return first + [i for i in recent if i.id not in seen], len(recent) >= limit


_STATUS_TIME = {
    IncidentStatus.MITIGATED.value: "mitigated_at",
    IncidentStatus.RESOLVED.value: "resolved_at",
    IncidentStatus.CLOSED.value: "closed_at",
}


def update_status(
    incident_id: int | str,
    status: str,
    *,
    session: Session,
    author: str | None = None,
    at: datetime | None = None,
    note: str = "",
    uid: str | None = None,
) -> Incident:
    """Move the incident to ``status``; stamps that status's time (mitigated, resolved, closed)
    on first arrival, and only that one.

    Each milestone is stamped when a responder says it happened: closing an incident that was
    never marked mitigated leaves ``mitigated_at`` empty (the postmortem says "not recorded")
    instead of inventing a time. ``at`` records a milestone after the fact.
    """
    new = enum_value(IncidentStatus, status, "status")
    iid = parse_incident_ref(incident_id)

    def build(uid: str) -> Event | None:
        inc = require_incident(session, iid)
        when = at or utcnow()
        old = inc.status
        if old == new:
            return None  # already there: nothing happened, nothing goes on the timeline
        inc.status = new
        stamp = _STATUS_TIME.get(new)
        if stamp is not None and getattr(inc, stamp) is None:
            setattr(inc, stamp, when)
        session.add(inc)
        text = f"status {old} -> {new}" + (f": {note}" if note else "")
        return new_event(
            session,
            uid,
            iid,
            EventKind.STATUS_CHANGE,
            text,
            author=author,
            payload={"from": old, "to": new, "note": note},
            at=when,
        )

    write_once(session, Event, uid, build)
    return get_incident(iid, session=session)


def set_postmortem_status(
    incident_id: int | str, status: str, *, session: Session, author: str | None = None, uid: str | None = None
) -> Incident:
    """draft -> in_review -> reviewed -> closed (any order is accepted; each move is on the timeline)."""
    new = enum_value(PostmortemStatus, status, "postmortem status")
    iid = parse_incident_ref(incident_id)

    def build(uid: str) -> Event:
        inc = require_incident(session, iid)
        old, inc.postmortem_status = inc.postmortem_status, new
        session.add(inc)
        return new_event(
            session,
            uid,
            iid,
            EventKind.POSTMORTEM_STATUS,
            f"postmortem {old} -> {new}",
            author=author,
            payload={"from": old, "to": new},
        )

    write_once(session, Event, uid, build)
    return get_incident(iid, session=session)


_EDITABLE = {
    "title",
    "service",
    "severity",
    "summary",
    "impact",
    "trigger",
    "resolution",
    "detected_at",
    "started_at",
    "variables",
}


def update_incident(incident_id: int | str, *, session: Session, **fields: Any) -> Incident:
    """Edit descriptive fields (postmortem text, title, severity, times, variables)."""
    unknown = set(fields) - _EDITABLE
    if unknown:
        raise StorageError(f"cannot edit incident field(s): {', '.join(sorted(unknown))}")
    if "severity" in fields:
        fields["severity"] = enum_value(Severity, fields["severity"], "severity")
    iid = parse_incident_ref(incident_id)

    # Edits are not timeline events and need no uid: applying one twice is harmless.
    begin_write(session)
    try:
        inc = require_incident(session, iid)
        for name, value in fields.items():
            setattr(inc, name, dict(value) if name == "variables" else value)
        session.add(inc)
        _index_incident(session, inc)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return inc


def add_event(
    incident_id: int | str,
    kind: str,
    *,
    session: Session,
    summary: str = "",
    payload: Mapping[str, Any] | None = None,
    author: str | None = None,
    automatic: bool = False,
    step_id: int | None = None,
    at: datetime | None = None,
    uid: str | None = None,
) -> Event:
    """Append a free timeline event (notes, ``check_started``, anything without a table of its own)."""
    kind_value = enum_value(EventKind, kind, "event kind")
    iid = parse_incident_ref(incident_id)

    def build(uid: str) -> Event:
        require_incident(session, iid)
        return new_event(
            session,
            uid,
            iid,
            kind_value,
            summary,
            author=author,
            payload=dict(payload or {}),
            automatic=automatic,
            step_id=step_id,
            at=at,
        )

    return write_once(session, Event, uid, build)


def timeline(
    incident_id: int | str, *, session: Session, since: int | None = None, include_undone: bool = True
) -> list[Event]:
    """Timeline events in time order. ``since``: only events with ``id > since`` (live polling).

    Poll with the largest ``Event.id`` seen so far. On PostgreSQL ids of concurrent writers
    may commit out of order; a live view should re-poll with ``since`` a few ids back and drop
    events it already has (ids are stable).
    """
    iid = parse_incident_ref(incident_id)
    q = select(Event).where(col(Event.incident_id) == iid)
    if since is not None:
        q = q.where(col(Event.id) > since)
    if not include_undone:
        q = q.where(col(Event.undone) == False)  # noqa: E712
    q = q.order_by(col(Event.at), col(Event.id)).execution_options(populate_existing=True)
    events = list(session.scalars(q))
    session.commit()  # end the read transaction: a poller must not pin an old snapshot
    return events


def _index_incident(session: Session, inc: Incident) -> None:
    upsert_doc(session, kind="incident", ref=inc.ref, title=inc.title, body=incident_body(inc), incident_id=inc.id)
