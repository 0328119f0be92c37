"""Alert groups: one incident per Alertmanager group, however many receivers hear of it.

Alertmanager delivers at least once, and a team runs two receivers behind an Alertmanager
pair, both writing to one PostgreSQL record. Which receiver opens the incident is decided by
the database, not by a lock in a process: the incident, its first timeline events and the
``alert_group`` row (UNIQUE ``group_key``) are committed in one transaction, so the receiver
that loses the race has its whole transaction refused and reads the winner's incident.
The walk is claimed the same way: one conditional UPDATE, and only the receiver whose update
changed the row walks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col

from runbook.checks.redact import split_secrets
from runbook.errors import StorageError
from runbook.record.db import begin_write
from runbook.record.models import (
    AlertGroup,
    AlertWalkState,
    CheckRecord,
    Event,
    EventKind,
    Incident,
    IncidentStatus,
    Severity,
    utcnow,
)
from runbook.record.search_index import incident_body, upsert_doc
from runbook.record.writes import default_author, new_event, write_once

#: Incidents in these states take further notifications of their group; a resolved or closed
#: one does not (the alert fired again: that is a new incident).
LIVE_STATUSES = (IncidentStatus.OPEN.value, IncidentStatus.MITIGATED.value)

_NS = uuid.UUID("6d3c1f0e-4a51-4c8e-9a6b-1f2a3b4c5d6e")
_ATTEMPTS = 8


@dataclass(frozen=True)
class AlertOpening:
    """The incident a notification belongs to, and whether this call opened it."""

    incident: Incident
    group: AlertGroup
    created: bool
    secrets: Mapping[str, Any] = field(default_factory=dict)
    """Secret variables split off the alert's (for this process's checks only)."""

    @property
    def incident_id(self) -> int:
        assert self.incident.id is not None
        return self.incident.id


def event_uid(*parts: object) -> str:
    """A uid derived from what a notification is about: the same notification delivered to two
    receivers (or twice to one) writes its timeline event once."""
    return str(uuid.uuid5(_NS, "\x1f".join(str(p) for p in parts)))


def firing_uid(group_key: str, incident_id: int, firing: Sequence[str]) -> str:
    """The uid of the timeline event for this set of firing alerts of the group's incident."""
    return event_uid("firing-set", group_key, incident_id, *sorted(firing))


def open_alert_incident(
    *,
    session: Session,
    group_key: str,
    title: str,
    severity: str = Severity.P2.value,
    service: str = "",
    variables: Mapping[str, Any] | None = None,
    labels: Mapping[str, Any] | None = None,
    generator_url: str = "",
    receiver: str = "",
    playbook_ref: str = "",
    event_summary: str = "",
    event_payload: Mapping[str, Any] | None = None,
    firing: Sequence[str] = (),
    author: str | None = None,
) -> AlertOpening:
    """The live incident of ``group_key``, opened here (with the alert as its first timeline
    event after ``opened``) unless another write already did.

    ``firing``: what identifies the group's firing alerts (fingerprint@startsAt); the same set
    seen again later is the same timeline event (see :func:`firing_uid`)."""
    stored, secrets = split_secrets(variables or {})
    last: Exception | None = None
    for _ in range(_ATTEMPTS):
        try:
            begin_write(session)
            group = _group_for_update(session, group_key)
            if group is not None:
                inc = session.get(Incident, group.incident_id, populate_existing=True)
                if inc is not None and inc.status in LIVE_STATUSES:
                    session.commit()
                    return AlertOpening(inc, group, False, secrets)
            inc = _new_incident(session, title, severity, service, stored, author)
            assert inc.id is not None
            now = utcnow()
            values: dict[str, Any] = {
                "incident_id": inc.id,
                "receiver": receiver,
                "playbook_ref": playbook_ref,
                "labels": dict(labels or {}),
                "generator_url": generator_url,
                "status": "firing",
                "walk_state": AlertWalkState.PENDING.value,
                "walk_owner": "",
                "walk_stop": "",
                "opened_at": now,
                "updated_at": now,
            }
            if group is None:
                group = AlertGroup.model_validate({"group_key": group_key, **values})
            else:
                for name, value in values.items():
                    setattr(group, name, value)
            session.add(group)
            new_event(
                session,
                firing_uid(group_key, inc.id, firing),
                inc.id,
                EventKind.ALERT,
                event_summary or f"alert firing: {title}",
                author=inc.created_by,
                payload=dict(event_payload or {}),
                automatic=True,
                at=now,
            )
            session.commit()
            return AlertOpening(inc, group, True, secrets)
        except IntegrityError as exc:
            # Another receiver committed this group first: read its incident on the next pass.
            session.rollback()
            last = exc
        except OperationalError as exc:
            session.rollback()
            last = exc
        except Exception:
            session.rollback()
            raise
    raise StorageError(f"cannot record alert group {group_key!r}: {last}")


def _group_for_update(session: Session, group_key: str) -> AlertGroup | None:
    q = select(AlertGroup).where(col(AlertGroup.group_key) == group_key)
    if session.get_bind().dialect.name == "postgresql":
        # A resolved group's row is re-pointed at a new incident: the second receiver waits
        # here and then sees the new (live) incident instead of opening a third.
        q = q.with_for_update()
    return session.scalars(q.execution_options(populate_existing=True)).first()


def _new_incident(
    session: Session, title: str, severity: str, service: str, variables: dict[str, Any], author: str | None
) -> Incident:
    now = utcnow()
    inc = Incident(
        title=title.strip() or "alert",
        severity=Severity(severity).value,
        service=service,
        variables=variables,
        created_by=author or default_author(),
        started_at=now,
        detected_at=now,
    )
    session.add(inc)
    session.flush()
    assert inc.id is not None
    new_event(
        session,
        event_uid("opened", inc.uid),
        inc.id,
        EventKind.OPENED,
        f"{inc.severity} opened: {inc.title}",
        author=inc.created_by,
        payload={"severity": inc.severity, "service": service, "source": "alertmanager"},
        at=now,
    )
    upsert_doc(session, kind="incident", ref=inc.ref, title=inc.title, body=incident_body(inc), incident_id=inc.id)
    return inc


def add_alert_event(
    incident_id: int,
    summary: str,
    *,
    session: Session,
    uid: str,
    payload: Mapping[str, Any] | None = None,
    author: str | None = None,
) -> Event:
    """A further notification on the timeline, written once per ``uid`` (see :func:`event_uid`)."""

    def build(uid: str) -> Event:
        return new_event(
            session,
            uid,
            incident_id,
            EventKind.ALERT,
            summary,
            author=author,
            payload=dict(payload or {}),
            automatic=True,
        )

    return write_once(session, Event, uid, build)


def set_group_status(group_id: int, status: str, *, session: Session) -> None:
    """Keep the group's last notification status (``firing`` / ``resolved``)."""
    _update(session, group_id, {"status": status})


def claim_walk(group_id: int, incident_id: int, owner: str, *, session: Session) -> bool:
    """Take the pending walk of the group's incident; True for exactly one caller."""
    begin_write(session)
    result = session.execute(
        update(AlertGroup)
        .where(
            col(AlertGroup.id) == group_id,
            col(AlertGroup.incident_id) == incident_id,
            col(AlertGroup.walk_state) == AlertWalkState.PENDING.value,
        )
        .values(walk_state=AlertWalkState.RUNNING.value, walk_owner=owner, updated_at=utcnow())
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0) == 1


def finish_walk(group_id: int, state: AlertWalkState, stop: str, *, session: Session) -> None:
    """Where the walk ended (``stopped``: a person is needed; ``failed``), or ``pending`` to hand
    an unfinished walk back (a receiver stopping) for the next receiver to resume."""
    values: dict[str, Any] = {"walk_state": state.value, "walk_stop": stop}
    if state is AlertWalkState.PENDING:
        values["walk_owner"] = ""
    _update(session, group_id, values)


def pending_walks(*, session: Session, limit: int = 1000) -> list[AlertGroup]:
    """Groups whose walk nobody has claimed (queued when a receiver stopped), oldest first."""
    q = (
        select(AlertGroup)
        .where(col(AlertGroup.walk_state) == AlertWalkState.PENDING.value)
        .order_by(col(AlertGroup.opened_at), col(AlertGroup.id))
        .limit(limit)
    )
    rows = list(session.scalars(q.execution_options(populate_existing=True)))
    session.commit()
    return rows


def groups_by_incident(incident_ids: Iterable[int], *, session: Session) -> dict[int, AlertGroup]:
    """The alert group of each incident opened from an alert (others are absent)."""
    ids = list(incident_ids)
    if not ids:
        return {}
    q = select(AlertGroup).where(col(AlertGroup.incident_id).in_(ids))
    rows = list(session.scalars(q.execution_options(populate_existing=True)))
    session.commit()
    return {g.incident_id: g for g in rows}


def walk_summary(group: AlertGroup, *, session: Session) -> str:
    """One line for a list: the findings recorded so far and where the autopilot stands."""
    counts: dict[str, int] = {}
    for rec in session.scalars(select(CheckRecord).where(col(CheckRecord.incident_id) == group.incident_id)):
        counts[rec.verdict] = counts.get(rec.verdict, 0) + 1
    session.commit()
    found = ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) or "no check yet"
    if group.walk_state == AlertWalkState.STOPPED.value and group.walk_stop.startswith("autopilot stopped: "):
        where = group.walk_stop.removeprefix("autopilot stopped: ").split(": ", 1)[0]
        return f"{found}; stopped: {where}"
    return f"{found}; walk {group.walk_state}"


def group_by_key(group_key: str, *, session: Session) -> AlertGroup | None:
    row = session.scalars(
        select(AlertGroup).where(col(AlertGroup.group_key) == group_key).execution_options(populate_existing=True)
    ).first()
    session.commit()
    return row


def _update(session: Session, group_id: int, values: dict[str, Any], at: datetime | None = None) -> None:
    begin_write(session)
    try:
        session.execute(
            update(AlertGroup).where(col(AlertGroup.id) == group_id).values(**values, updated_at=at or utcnow())
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
