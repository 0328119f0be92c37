"""Read-only queries the walk needs to rebuild what a step's checks did (snapshots, resume).

Repository conventions: keyword-only ``session``, nothing here writes. The similar-incident
lookup lives in ``runbook.record.similar``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from runbook.record.models import CheckRecord, Event, EventKind


def check_record_by_uid(uid: str, *, session: Session) -> CheckRecord | None:
    """The stored result of the check run ``uid`` (None until it has finished)."""
    return session.scalars(select(CheckRecord).where(CheckRecord.uid == uid)).first()


def check_records_by_uid(uids: Iterable[str], *, session: Session) -> dict[str, CheckRecord]:
    """Stored results by uid, one query for a whole step (uids without a result are absent)."""
    uids = list(uids)
    if not uids:
        return {}
    rows = session.scalars(select(CheckRecord).where(col(CheckRecord.uid).in_(uids)))
    return {r.uid: r for r in rows}


def started_checks(incident_id: int, step_id: int, *, session: Session) -> list[Event]:
    """The ``check_started`` events of one step, oldest first (the engine's payload names the
    block index and the uid its result will be stored under)."""
    q = (
        select(Event)
        .where(Event.incident_id == incident_id, Event.step_id == step_id, Event.kind == EventKind.CHECK_STARTED.value)
        .order_by(col(Event.id))
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(q))


def results_run(incident_id: int, *, session: Session) -> int:
    """How many stored check results come from checks that really ran.

    A block the walk skipped for want of variables still gets an ``unknown`` result; its
    ``check_started`` event names the missing variables (``skipped``), which is how the record
    tells the two apart.
    """
    skipped_uids = {
        ev.payload.get("result_uid")
        for ev in session.scalars(
            select(Event).where(Event.incident_id == incident_id, Event.kind == EventKind.CHECK_STARTED.value)
        )
        if ev.payload.get("skipped")
    }
    uids = session.scalars(select(CheckRecord.uid).where(CheckRecord.incident_id == incident_id))
    return sum(1 for uid in uids if uid not in skipped_uids)
