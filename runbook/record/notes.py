"""What responders write down: findings (with postmortem tags) and action items.

Findings are searchable (their text goes to ``search_doc`` in the same transaction); action
items carry the rule they enforce so the knowledge base can show which rules have follow-ups.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlmodel import Session, col

from runbook.errors import NotFoundError, StorageError
from runbook.record.db import begin_write
from runbook.record.models import ActionItem, ActionStatus, ActionType, EventKind, Finding, FindingKind, FindingTag
from runbook.record.search_index import upsert_doc
from runbook.record.writes import new_event, require_incident, write_once


def _enum(enum: type[StrEnum], value: str, what: str) -> str:
    try:
        return enum(value).value
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise StorageError(f"unknown {what} {value!r} (expected one of: {allowed})") from None


#: ``[owner: name]`` and ``[due: 2026-04-01]`` at the end of an action note: the same marks the
#: timeline writes for an action item, so a one-line note box (the UI's) can give both.
_ACTION_MARK = re.compile(r"\s*\[(owner|due):\s*([^\]]*?)\s*\]\s*$", re.IGNORECASE)


def split_action_marks(text: str) -> tuple[str, str | None, date | None]:
    """``"restart pods [owner: sre] [due: 2026-04-01]"`` -> text, owner, due (marks removed).

    A ``due`` that is not an ISO date is an error rather than a silently dropped deadline.
    """
    owner: str | None = None
    due: date | None = None
    rest = text.strip()
    while m := _ACTION_MARK.search(rest):
        key, value = m.group(1).lower(), m.group(2)
        if key == "owner" and owner is None:
            owner = value or None
        elif key == "due" and due is None and value:
            try:
                due = date.fromisoformat(value)
            except ValueError:
                raise StorageError(f"due date {value!r} is not a date (use YYYY-MM-DD)") from None
        rest = rest[: m.start()].rstrip()
    return rest, owner, due


def add_finding(
    incident_id: int,
    text: str,
    *,
    session: Session,
    kind: str = FindingKind.OBSERVATION.value,
    tags: Iterable[str] = (),
    author: str | None = None,
    at: datetime | None = None,
    step_id: int | None = None,
    uid: str | None = None,
    owner: str | None = None,
    due: date | None = None,
) -> Finding:
    """An observation, hypothesis, decision or action, with its ``finding`` event.

    A note of kind ``action`` is something someone has to do: it also becomes an action item
    (owner and due date from the arguments, else from ``[owner: x]`` / ``[due: YYYY-MM-DD]``
    marks at the end of the text), in the same transaction, so the postmortem's action table
    lists it and not only its timeline line.
    """
    if not text.strip():
        raise StorageError("a finding needs some text")
    kind_v = _enum(FindingKind, kind, "finding kind")
    tag_v = sorted({_enum(FindingTag, t, "tag") for t in tags})
    if kind_v == FindingKind.ACTION.value:
        text, marked_owner, marked_due = split_action_marks(text)
        owner, due = owner or marked_owner, due or marked_due
        if not text.strip():
            raise StorageError("a finding needs some text")

    def build(uid: str) -> Finding:
        require_incident(session, incident_id)
        tag_text = "".join(f" #{t}" for t in tag_v)
        marks = "".join(f" [{k}: {v}]" for k, v in (("owner", owner), ("due", due)) if v)
        ev = new_event(
            session,
            uid,
            incident_id,
            EventKind.FINDING,
            f"{kind_v}: {text.strip()}{marks}{tag_text}",
            author=author,
            step_id=step_id,
            at=at,
            payload={"kind": kind_v, "tags": tag_v},
        )
        f = Finding(
            uid=uid,
            incident_id=incident_id,
            kind=kind_v,
            tags=tag_v,
            author=ev.author,
            at=ev.at,
            text=text.strip(),
            step_id=step_id,
        )
        session.add(f)
        session.flush()
        ev.payload = {**ev.payload, "finding_id": f.id}
        if kind_v == FindingKind.ACTION.value:
            item = _action_from_note(f, owner=owner, due=due)
            session.add(item)
            session.flush()
            ev.payload = {**ev.payload, "action_item_id": item.id}
        upsert_doc(session, kind="finding", ref=str(f.id), title=kind_v, body=f.text, incident_id=incident_id)
        return f

    return write_once(session, Finding, uid, build)


def _action_uid(note: Finding) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"runbook:action-note:{note.uid}"))


def action_item_of(note: Finding, *, session: Session) -> ActionItem | None:
    """The action item an ``action`` note became (None for other kinds)."""
    return session.scalars(select(ActionItem).where(col(ActionItem.uid) == _action_uid(note))).first()


def _action_from_note(note: Finding, *, owner: str | None, due: date | None) -> ActionItem:
    """The action item an ``action`` note stands for; its uid derives from the note's, so a
    retried write (same uid) finds both rows instead of adding a second item."""
    return ActionItem(
        uid=_action_uid(note),
        incident_id=note.incident_id,
        text=note.text,
        type=ActionType.MITIGATE.value,
        owner=owner,
        due=due,
        author=note.author,
        created_at=note.at,
    )


def findings(incident_id: int, *, session: Session, kind: str | None = None) -> list[Finding]:
    q = select(Finding).where(col(Finding.incident_id) == incident_id)
    if kind is not None:
        q = q.where(col(Finding.kind) == _enum(FindingKind, kind, "finding kind"))
    return list(session.scalars(q.order_by(col(Finding.at), col(Finding.id))))


def add_action_item(
    incident_id: int,
    text: str,
    *,
    session: Session,
    type: str = ActionType.PREVENT.value,
    owner: str | None = None,
    due: date | None = None,
    rule: str | None = None,
    link: str | None = None,
    author: str | None = None,
    uid: str | None = None,
) -> ActionItem:
    """A follow-up (mitigate now / prevent recurrence), with its ``action_added`` event."""
    if not text.strip():
        raise StorageError("an action item needs some text")
    type_v = _enum(ActionType, type, "action type")

    def build(uid: str) -> ActionItem:
        require_incident(session, incident_id)
        extra = "".join(f" [{k}: {v}]" for k, v in (("owner", owner), ("due", due), ("rule", rule)) if v)
        ev = new_event(
            session,
            uid,
            incident_id,
            EventKind.ACTION_ADDED,
            f"{type_v}: {text.strip()}{extra}",
            author=author,
            payload={"type": type_v, "owner": owner, "rule": rule, "due": due.isoformat() if due else None},
        )
        item = ActionItem(
            uid=uid,
            incident_id=incident_id,
            text=text.strip(),
            type=type_v,
            owner=owner,
            due=due,
            rule=rule,
            link=link,
            author=ev.author,
            created_at=ev.at,
        )
        session.add(item)
        session.flush()
        ev.payload = {**ev.payload, "action_item_id": item.id}
        return item

    return write_once(session, ActionItem, uid, build)


def update_action_item(
    action_id: int,
    *,
    session: Session,
    status: str | None = None,
    owner: str | None = None,
    due: date | None = None,
    link: str | None = None,
) -> ActionItem:
    """Change an action item's status, owner, due date or link (None leaves a field as it is)."""
    begin_write(session)
    try:
        item = session.get(ActionItem, action_id, populate_existing=True)
        if item is None:
            raise NotFoundError(f"no action item {action_id} in the record")
        if status is not None:
            item.status = _enum(ActionStatus, status, "action status")
        for name, value in (("owner", owner), ("due", due), ("link", link)):
            if value is not None:
                setattr(item, name, value)
        session.add(item)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return item


def action_items(incident_id: int, *, session: Session) -> list[ActionItem]:
    return list(
        session.scalars(
            select(ActionItem)
            .where(col(ActionItem.incident_id) == incident_id)
            .order_by(col(ActionItem.created_at), col(ActionItem.id))
        )
    )
