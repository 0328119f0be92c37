"""The incident's life after the walk: severity, the postmortem's narrative, action items.

A responder writes these while the incident goes on (the UI saves a narrative section as it is
typed), so every function here commits before it returns, like the rest of the repository.
Severity changes and action item changes go on the timeline; narrative edits do not (a line per
saved keystroke would drown the timeline) but are indexed for search in the same transaction.

A conclusion's proposed actions become action items only when a responder accepts them. The
accepted item's uid is derived from the incident and the proposal, so accepting the same
proposal twice (two responders, a retried write) adds it once, and the UI can tell which
proposals are still open without a column of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from runbook.errors import NotFoundError, StorageError
from runbook.record.db import begin_write
from runbook.record.models import (
    ActionItem,
    ActionStatus,
    ActionType,
    Event,
    EventKind,
    Incident,
    Severity,
)
from runbook.record.narrative import NARRATIVE
from runbook.record.notes import add_action_item
from runbook.record.repo import enum_value, get_incident, parse_incident_ref
from runbook.record.search_index import incident_body, upsert_doc
from runbook.record.writes import new_event, require_incident, write_once

#: The postmortem's narrative sections, in document order, with the heading each is shown under.

_PROPOSAL_NS = uuid.UUID("6f1d2a4e-3b7c-4e59-9a41-2c0d5e8b7f13")


def set_severity(
    incident_id: int | str, severity: str, *, session: Session, author: str | None = None, uid: str | None = None
) -> Incident:
    """Change the severity, with a ``severity_change`` line on the timeline (no-op if unchanged)."""
    new = enum_value(Severity, severity, "severity")
    iid = parse_incident_ref(incident_id)

    def build(uid: str) -> Event | None:
        inc = require_incident(session, iid)
        old = inc.severity
        if old == new:
            return None
        inc.severity = new
        session.add(inc)
        _index(session, inc)
        return new_event(
            session,
            uid,
            iid,
            EventKind.SEVERITY_CHANGE,
            f"severity {old} -> {new}",
            author=author,
            payload={"from": old, "to": new},
        )

    write_once(session, Event, uid, build)
    return get_incident(iid, session=session)


def save_narrative(incident_id: int | str, sections: Mapping[str, str], *, session: Session) -> Incident:
    """Write narrative sections (``summary``, ``impact`` ... see :data:`NARRATIVE`) as given.

    Saving the same text twice is harmless, so this takes no uid; it commits at once."""
    unknown = set(sections) - set(NARRATIVE)
    if unknown:
        raise StorageError(
            f"unknown postmortem section(s): {', '.join(sorted(unknown))} (expected: {', '.join(NARRATIVE)})"
        )
    iid = parse_incident_ref(incident_id)
    begin_write(session)
    try:
        inc = require_incident(session, iid)
        for name, text in sections.items():
            setattr(inc, name, text)
        session.add(inc)
        _index(session, inc)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return inc


def _index(session: Session, inc: Incident) -> None:
    upsert_doc(session, kind="incident", ref=inc.ref, title=inc.title, body=incident_body(inc), incident_id=inc.id)


# -- action items ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedAction:
    """One action a conclusion proposes, and whether a responder has taken it on yet."""

    key: str
    """``playbook#node/N``: which conclusion proposed it, and which of its actions."""
    text: str
    type: str
    owner: str
    rule: str
    accepted_id: int | None = None
    """The action item it became, once accepted (or dropped)."""


def proposal_uid(incident_uid: str, key: str) -> str:
    """The uid an accepted proposal is stored under (the same for every responder)."""
    return str(uuid.uuid5(_PROPOSAL_NS, f"{incident_uid}:{key}"))


def mark_accepted(incident_id: int, proposals: list[ProposedAction], *, session: Session) -> list[ProposedAction]:
    """``proposals`` with ``accepted_id`` set for those already in the record."""
    from dataclasses import replace

    from sqlalchemy import select
    from sqlmodel import col

    inc = get_incident(incident_id, session=session)
    uids = {proposal_uid(inc.uid, p.key): p.key for p in proposals}
    rows = session.scalars(
        select(ActionItem).where(col(ActionItem.incident_id) == inc.id, col(ActionItem.uid).in_(list(uids)))
    )
    by_key = {uids[r.uid]: r.id for r in rows}
    return [replace(p, accepted_id=by_key.get(p.key)) for p in proposals]


def accept_proposal(
    incident_id: int,
    proposal: ProposedAction,
    *,
    session: Session,
    text: str | None = None,
    owner: str | None = None,
    due: date | None = None,
    type: str | None = None,
    author: str | None = None,
) -> ActionItem:
    """Add ``proposal`` as an action item, as proposed or edited first (text, owner, due, type)."""
    inc = get_incident(incident_id, session=session)
    return add_action_item(
        incident_id,
        text if text is not None else proposal.text,
        session=session,
        type=type or proposal.type,
        owner=(owner if owner is not None else proposal.owner) or None,
        due=due,
        rule=proposal.rule or None,
        author=author,
        uid=proposal_uid(inc.uid, proposal.key),
    )


def edit_action_item(
    action_id: int,
    *,
    session: Session,
    text: str | None = None,
    type: str | None = None,
    owner: str | None = None,
    due: date | None = None,
    clear_due: bool = False,
    status: str | None = None,
    author: str | None = None,
) -> ActionItem:
    """Edit an action item (None leaves a field as it is); the change goes on the timeline."""
    if text is not None and not text.strip():
        raise StorageError("an action item needs some text")
    type_v = enum_value(ActionType, type, "action type") if type is not None else None
    status_v = enum_value(ActionStatus, status, "action status") if status is not None else None
    begin_write(session)
    try:
        item = session.get(ActionItem, action_id, populate_existing=True)
        if item is None:
            raise NotFoundError(f"no action item {action_id} in the record")
        wanted: dict[str, object] = {
            "text": text.strip() if text is not None else None,
            "type": type_v,
            "status": status_v,
            "due": due,
        }
        if owner is not None:
            wanted["owner"] = owner.strip() or None  # an empty owner clears it
        if clear_due:
            wanted["due"] = None
        changed: dict[str, str] = {}
        for name, value in wanted.items():
            provided = value is not None or name == "owner" or (name == "due" and clear_due)
            if provided and getattr(item, name) != value:
                setattr(item, name, value)
                changed[name] = "" if value is None else str(value)
        if changed:
            session.add(item)
            what = ", ".join(
                "text edited" if k == "text" else f"{k} {v}" if v else f"{k} cleared" for k, v in changed.items()
            )
            new_event(
                session,
                str(uuid.uuid4()),
                item.incident_id,
                EventKind.ACTION_UPDATED,
                f"action #{item.id} {what}: {item.text}",
                author=author,
                payload={"action_item_id": item.id, **changed},
            )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return item
