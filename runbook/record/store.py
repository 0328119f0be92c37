"""The few record queries the walk needs that ``runbook.record`` does not offer (yet).

Built on the record's tables and its conventions (keyword-only ``session``, read-only
results); nothing here writes. Kept separate so the record package stays its owner's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from runbook.record.models import (
    CheckRecord,
    Conclusion,
    Event,
    EventKind,
    Incident,
    Step,
)


def check_record_by_uid(uid: str, *, session: Session) -> CheckRecord | None:
    return session.scalars(select(CheckRecord).where(CheckRecord.uid == uid)).first()


def check_records_by_uid(uids: Iterable[str], *, session: Session) -> dict[str, CheckRecord]:
    uids = list(uids)
    if not uids:
        return {}
    rows = session.scalars(select(CheckRecord).where(CheckRecord.uid.in_(uids)))
    return {r.uid: r for r in rows}


def started_checks(incident_id: int, step_id: int, *, session: Session) -> list[Event]:
    """The ``check_started`` events of one step, oldest first (the engine's payload names the
    block index and the uid its result will be stored under)."""
    q = (
        select(Event)
        .where(Event.incident_id == incident_id, Event.step_id == step_id, Event.kind == EventKind.CHECK_STARTED.value)
        .order_by(Event.id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(q))


@dataclass(frozen=True)
class NodeVisit:
    """An incident whose walk passed through a node (first visit)."""

    incident_id: int
    title: str
    started_at: object
    is_drill: bool
    seq: int


def incidents_through(
    playbook_id: str, node_id: str, *, session: Session, exclude: int | None = None
) -> list[NodeVisit]:
    """Incidents with a step (not undone) at the node, newest first, one row per incident."""
    q = (
        select(Step.incident_id, Incident.title, Incident.started_at, Incident.is_drill, Step.seq)
        .join(Incident, Incident.id == Step.incident_id)
        .where(Step.playbook_id == playbook_id, Step.node_id == node_id, not Step.undone)
        .order_by(Incident.started_at.desc(), Step.incident_id.desc(), Step.seq)
    )
    out: dict[int, NodeVisit] = {}
    for iid, title, started, drill, seq in session.execute(q):
        if iid != exclude and iid not in out:
            out[iid] = NodeVisit(iid, title, started, bool(drill), seq)
    return list(out.values())


def incidents_concluding(
    rules: Iterable[str], *, session: Session, exclude: int | None = None
) -> list[tuple[int, str, object, bool, tuple[str, ...]]]:
    """Incidents with a (not undone) conclusion naming any of ``rules``: (id, title, started, drill, rules)."""
    wanted = set(rules)
    if not wanted:
        return []
    q = (
        select(Conclusion, Incident.title, Incident.started_at, Incident.is_drill, Step.undone)
        .join(Incident, Incident.id == Conclusion.incident_id)
        .outerjoin(Step, Step.id == Conclusion.step_id)
        .order_by(Incident.started_at.desc(), Conclusion.id)
    )
    out: dict[int, tuple] = {}
    for concl, title, started, drill, undone in session.execute(q):
        if undone or concl.incident_id == exclude:
            continue
        hit = tuple(r for r in concl.rule_ids or () if r in wanted)
        if not hit:
            continue
        prev = out.get(concl.incident_id)
        merged = tuple(sorted(set(hit) | set(prev[4] if prev else ())))
        out[concl.incident_id] = (concl.incident_id, title, started, bool(drill), merged)
    return list(out.values())
