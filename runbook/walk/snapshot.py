"""Reading one incident's walk back from the record: steps, block results, conclusions.

The engine rebuilds its whole state through these after every write, and ``resume`` after a
crash uses exactly the same path, so what a live walk shows and what a resumed one shows
cannot drift apart. Read-only: nothing here writes.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from runbook.errors import NotFoundError
from runbook.playbook.library import Library
from runbook.playbook.model import Node
from runbook.record import store
from runbook.record.models import Step
from runbook.record.steps import conclusions, to_check_result
from runbook.walk.state import BlockResult, ReachedConclusion, WalkStep
from runbook.walk.suggest import verdict_target


def as_ref(playbook_id: str, target: str | None) -> str | None:
    """A stored branch target as ``playbook#node`` (older rows may hold a bare node id)."""
    if not target:
        return None
    return target if "#" in target else f"{playbook_id}#{target}"


def step_view(row: Step, *, current: bool) -> WalkStep:
    # The current step shows no branch: after an undo its row still names the undone branch.
    assert row.id is not None  # a stored row
    return WalkStep(
        step_id=row.id,
        seq=row.seq,
        playbook_id=row.playbook_id,
        node_id=row.node_id,
        entered_at=row.entered_at,
        choice=None if current else row.choice,
        next_ref=None if current else as_ref(row.playbook_id, row.next_node_id),
        automatic=bool(row.automatic),
        undone=bool(row.undone),
    )


def pending_move(rows: list[Step], current: Step | None) -> str | None:
    """The branch recorded out of ``current`` whose target was never entered (a crash between
    the two writes), or None. After an undo the target exists as an undone later step."""
    if current is None or not current.next_node_id:
        return None
    target = as_ref(current.playbook_id, current.next_node_id)
    later = [r for r in rows if r.seq > current.seq]
    return None if any(f"{r.playbook_id}#{r.node_id}" == target for r in later) else target


def block_results(session: Session, incident_id: int, step_id: int, node: Node) -> dict[int, BlockResult]:
    """The latest result of each block of ``node`` at one step (blocks whose run was
    interrupted have none: they must run again)."""
    latest: dict[int, str] = {}
    skipped: set[str] = set()
    for ev in store.started_checks(incident_id, step_id, session=session):
        i = ev.payload.get("block")
        if isinstance(i, int) and 0 <= i < len(node.checks):
            latest[i] = ev.payload.get("result_uid", "")
            if ev.payload.get("skipped"):  # the block was not run: variables were missing
                skipped.add(latest[i])
    records = store.check_records_by_uid(latest.values(), session=session)
    out: dict[int, BlockResult] = {}
    for i, uid in latest.items():
        rec = records.get(uid)
        if rec is not None:
            result = to_check_result(rec)
            if uid in skipped:
                result = replace(result, ran=False)
            out[i] = BlockResult(node.ref, i, result, verdict_target(node, node.checks[i], result.verdict))
    return out


def reached_conclusions(
    session: Session, library: Library, incident_id: int, steps: list[WalkStep]
) -> list[ReachedConclusion]:
    """Conclusions of steps that are not undone, in order."""
    live = {s.step_id: s for s in steps if not s.undone}
    out = []
    for row in conclusions(incident_id, session=session):
        step = live.get(row.step_id) if row.step_id is not None else None
        if step is None or row.step_id is None:
            continue
        ref = f"{row.playbook_id}#{row.node_id}"
        try:
            node = library.node(ref)
            fix = node.conclusion.fix if node.conclusion else ""
        except NotFoundError:
            fix = ""
        out.append(
            ReachedConclusion(
                ref=ref,
                title=row.title,
                rules=tuple(row.rule_ids or ()),
                fix=fix,
                step_id=row.step_id,
                automatic=step.automatic,
            )
        )
    return out
