"""The walk through playbooks: steps, choices, undo, check results, conclusions, resume.

The walk engine calls these as it goes; each call is one committed transaction holding the
domain row and its timeline event. Resuming an interrupted incident needs nothing but
:func:`current_step` (the last step not undone) and :func:`steps` (the path so far).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from runbook.checks.base import CheckResult, Evidence, Verdict
from runbook.record.models import CheckRecord, Conclusion, ConclusionRule, Event, EventKind, Step, utcnow
from runbook.record.search_index import upsert_doc
from runbook.record.writes import new_event, require_incident, write_once


def add_step(
    incident_id: int,
    playbook_id: str,
    node_id: str,
    *,
    session: Session,
    automatic: bool = False,
    author: str | None = None,
    at: datetime | None = None,
    summary: str | None = None,
    uid: str | None = None,
) -> Step:
    """Enter a playbook node: a new ``Step`` (next ``seq``) and a ``node_entered`` event.

    The previous open step (if any) gets ``left_at`` set, so a step's time span is exact.
    """

    def build(uid: str) -> Step:
        require_incident(session, incident_id)
        when = at or utcnow()
        last = session.scalar(select(func.max(col(Step.seq))).where(col(Step.incident_id) == incident_id)) or 0
        prev = current_step(incident_id, session=session)
        if prev is not None and prev.left_at is None:
            prev.left_at = when
            session.add(prev)
        step = Step(
            uid=uid,
            incident_id=incident_id,
            seq=last + 1,
            playbook_id=playbook_id,
            node_id=node_id,
            entered_at=when,
            automatic=automatic,
            author=author or "",
        )
        session.add(step)
        session.flush()  # a concurrent writer's equal seq fails here (unique key) and is retried
        ev = new_event(
            session,
            uid,
            incident_id,
            EventKind.NODE_ENTERED,
            summary or f"{playbook_id} / {node_id}",
            author=author,
            automatic=automatic,
            step_id=step.id,
            at=when,
            payload={"playbook_id": playbook_id, "node_id": node_id, "seq": step.seq},
        )
        step.author = ev.author
        return step

    return write_once(session, Step, uid, build)


def record_choice(
    step_id: int,
    choice: str,
    *,
    session: Session,
    next_node_id: str | None = None,
    automatic: bool = False,
    author: str | None = None,
    at: datetime | None = None,
    uid: str | None = None,
) -> Step:
    """The branch taken when leaving a step (by a person, or ``automatic`` by a check verdict)."""

    def build(uid: str) -> Event:
        step = _require_step(session, step_id)
        when = at or utcnow()
        step.choice, step.next_node_id, step.left_at = choice, next_node_id, when
        step.automatic = step.automatic or automatic
        session.add(step)
        target = f" -> {next_node_id}" if next_node_id else ""
        return new_event(
            session,
            uid,
            step.incident_id,
            EventKind.CHOICE_TAKEN,
            f"{choice}{target}",
            author=author,
            automatic=automatic,
            step_id=step.id,
            at=when,
            payload={"choice": choice, "next_node_id": next_node_id, "node_id": step.node_id},
        )

    write_once(session, Event, uid, build)
    return _require_step(session, step_id)


#: Events an undo never flags: what a person wrote down stays true when a choice is taken back.
_EVIDENCE_KINDS = (EventKind.FINDING.value, EventKind.NOTE.value, EventKind.ACTION_ADDED.value)


def mark_step_undone(
    step_id: int, *, session: Session, author: str | None = None, at: datetime | None = None, uid: str | None = None
) -> Step:
    """Undo a step: it stays in the record (flagged), its events are flagged, a ``step_undone`` is added.

    Undo takes back a choice, never evidence: notes (findings) and action items written while
    at the step keep their events unflagged, so they stay on the timeline and in the postmortem.
    """

    def build(uid: str) -> Event:
        step = _require_step(session, step_id)
        when = at or utcnow()
        step.undone, step.undone_at = True, when
        session.add(step)
        session.execute(
            update(Event)
            .where(col(Event.step_id) == step.id, col(Event.kind).not_in(_EVIDENCE_KINDS))
            .values(undone=True)
        )
        return new_event(
            session,
            uid,
            step.incident_id,
            EventKind.STEP_UNDONE,
            f"undo {step.playbook_id} / {step.node_id}",
            author=author,
            step_id=step.id,
            at=when,
            payload={"node_id": step.node_id, "seq": step.seq},
        )

    write_once(session, Event, uid, build)
    return _require_step(session, step_id)


def steps(incident_id: int, *, session: Session, include_undone: bool = False) -> list[Step]:
    """The path through the playbooks, in order."""
    q = select(Step).where(col(Step.incident_id) == incident_id).order_by(col(Step.seq))
    if not include_undone:
        q = q.where(col(Step.undone) == False)  # noqa: E712
    return list(session.scalars(q.execution_options(populate_existing=True)))


def current_step(incident_id: int, *, session: Session) -> Step | None:
    """Where a resumed incident continues: the last step that was not undone (None before any)."""
    q = (
        select(Step)
        .where(col(Step.incident_id) == incident_id, col(Step.undone) == False)  # noqa: E712
        .order_by(col(Step.seq).desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    return session.scalars(q).first()


def add_check_result(
    incident_id: int,
    result: CheckResult,
    *,
    session: Session,
    step_id: int | None = None,
    playbook_id: str | None = None,
    node_id: str | None = None,
    automatic: bool = True,
    author: str | None = None,
    uid: str | None = None,
) -> CheckRecord:
    """Store a check result (and its ``check_run`` event, and its summary for search)."""

    def build(uid: str) -> CheckRecord:
        require_incident(session, incident_id)
        rec = CheckRecord(
            uid=uid,
            incident_id=incident_id,
            step_id=step_id,
            playbook_id=playbook_id,
            node_id=node_id,
            check_type=result.check_type,
            verdict=Verdict(result.verdict).value,
            summary=result.summary,
            figures=dict(result.figures),
            thresholds=dict(result.thresholds),
            evidence=[e.to_dict() for e in result.evidence],
            started_at=result.started_at,
            duration_s=float(result.duration_s),
            params=dict(result.params),
            error=result.error,
        )
        session.add(rec)
        session.flush()
        figure = result.key_figure()
        text = f"{result.check_type}: {rec.verdict}" + (f" ({figure})" if figure else "") + f" - {result.summary}"
        new_event(
            session,
            uid,
            incident_id,
            EventKind.CHECK_RUN,
            text,
            author=author,
            automatic=automatic,
            step_id=step_id,
            payload={
                "check_result_id": rec.id,
                "check_type": rec.check_type,
                "verdict": rec.verdict,
                "key_figure": figure,
            },
        )
        upsert_doc(
            session, kind="check", ref=str(rec.id), title=rec.check_type, body=rec.summary, incident_id=incident_id
        )
        return rec

    return write_once(session, CheckRecord, uid, build)


def check_results(incident_id: int, *, session: Session, step_id: int | None = None) -> list[CheckRecord]:
    q = select(CheckRecord).where(col(CheckRecord.incident_id) == incident_id)
    if step_id is not None:
        q = q.where(col(CheckRecord.step_id) == step_id)
    return list(session.scalars(q.order_by(col(CheckRecord.started_at), col(CheckRecord.id))))


def to_check_result(rec: CheckRecord) -> CheckResult:
    """The stored row back as the frozen ``CheckResult`` the checks produced."""
    return CheckResult(
        check_type=rec.check_type,
        verdict=Verdict(rec.verdict),
        summary=rec.summary,
        figures=dict(rec.figures or {}),
        thresholds=dict(rec.thresholds or {}),
        evidence=tuple(Evidence.from_dict(e) for e in rec.evidence or ()),
        started_at=rec.started_at,
        duration_s=rec.duration_s,
        params=dict(rec.params or {}),
        error=rec.error,
    )


def add_conclusion(
    incident_id: int,
    *,
    session: Session,
    rule_ids: Iterable[str] = (),
    title: str = "",
    step_id: int | None = None,
    playbook_id: str | None = None,
    node_id: str | None = None,
    automatic: bool = False,
    author: str | None = None,
    uid: str | None = None,
) -> Conclusion:
    """A conclusion node reached, with the knowledge-base rules it points at."""
    rules = list(rule_ids)

    def build(uid: str) -> Conclusion:
        require_incident(session, incident_id)
        ev = new_event(
            session,
            uid,
            incident_id,
            EventKind.CONCLUSION_REACHED,
            f"conclusion: {title or node_id or ''}" + (f" [{', '.join(rules)}]" if rules else ""),
            author=author,
            automatic=automatic,
            step_id=step_id,
            payload={"rule_ids": rules, "playbook_id": playbook_id, "node_id": node_id},
        )
        c = Conclusion(
            uid=uid,
            incident_id=incident_id,
            step_id=step_id,
            playbook_id=playbook_id,
            node_id=node_id,
            title=title,
            rule_ids=rules,
            author=ev.author,
            at=ev.at,
        )
        session.add(c)
        session.flush()
        assert c.id is not None  # flushed
        session.add_all(
            ConclusionRule(conclusion_id=c.id, incident_id=incident_id, rule_id=r) for r in dict.fromkeys(rules)
        )
        session.flush()
        return c

    return write_once(session, Conclusion, uid, build)


def conclusions(incident_id: int, *, session: Session) -> list[Conclusion]:
    return list(
        session.scalars(
            select(Conclusion)
            .where(col(Conclusion.incident_id) == incident_id)
            .order_by(col(Conclusion.at), col(Conclusion.id))
        )
    )


def _require_step(session: Session, step_id: int) -> Step:
    from runbook.errors import NotFoundError

    step = session.get(Step, step_id, populate_existing=True)
    if step is None:
        raise NotFoundError(f"no step {step_id} in the record")
    return step
