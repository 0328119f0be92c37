"""The one similar-incident lookup (``record.similar``), on SQLite and PostgreSQL: what counts,
how it ranks, and the words each line uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from runbook.record import repo
from runbook.record.similar import similar_incidents

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Known:
    """A knowledge-base incident record as the lookup reads it."""

    id: str
    title: str
    rules: tuple[str, ...]
    playbook: str


KB = (
    Known("P0-1", "Discovery collapsed", ("R1", "R2"), "p0-1-discovery"),
    Known("P0-3", "Observability blind", ("R12",), "p0-3-observability"),
)


def walked(
    session: Session,
    title: str,
    nodes: list[tuple[str, str]],
    rules: tuple[str, ...] = (),
    *,
    days: int = 0,
    drill: bool = False,
    undo_last: bool = False,
) -> int:
    inc = repo.create_incident(
        session=session, title=title, author="x", is_drill=drill, started_at=T0 + timedelta(days=days)
    )
    assert inc.id is not None
    step = None
    for playbook, node in nodes:
        step = repo.add_step(inc.id, playbook, node, session=session, author="x")
    if rules:
        assert step is not None
        repo.add_conclusion(inc.id, session=session, rule_ids=rules, step_id=step.id, author="x")
    if undo_last:
        assert step is not None and step.id is not None
        repo.mark_step_undone(step.id, session=session, author="x")
    return inc.id


def test_rules_outrank_nodes_and_each_line_says_why(session):
    path = [("triage", "start"), ("p0-1-discovery", "lease-health"), ("p0-1-discovery", "lease-race")]
    one_rule = walked(session, "one rule", path, ("R1",), days=1)
    two_rules = walked(session, "two rules", path, ("R1", "R2"), days=0)
    same_path = walked(session, "same path", path[:2], days=2)
    walked(session, "elsewhere", [("p0-3-observability", "cardinality")], ("R12",), days=3)
    taken_back = walked(session, "taken back", path, ("R1",), days=4, undo_last=True)

    found = similar_incidents(session=session, rules=("R2", "R1"), nodes=path, knowledge=KB)
    assert [(s.source, s.ref, s.reason, s.rules) for s in found] == [
        ("knowledge", "P0-1", "knowledge base; same rules: R1, R2", ("R1", "R2")),
        ("record", f"INC-{two_rules:04d}", "same rules: R1, R2", ("R1", "R2")),
        ("record", f"INC-{one_rule:04d}", "same rules: R1", ("R1",)),
        # a shared path counts when no rule is shared; the undone step still counts its first two
        ("record", f"INC-{taken_back:04d}", "walked 2 of the same playbook nodes", ()),
        ("record", f"INC-{same_path:04d}", "walked 2 of the same playbook nodes", ()),
    ]
    # as many rules shared each: the newer incident first; ``limit`` keeps the first few
    assert [s.ref for s in similar_incidents(session=session, rules=("R1",), nodes=path, limit=2)] == [
        f"INC-{one_rule:04d}",
        f"INC-{two_rules:04d}",
    ]


def test_one_node_a_playbook_match_drills_and_the_asker_itself(session):
    node = [("p0-1-discovery", "lease-health")]
    real = walked(session, "real", node, days=1)
    drill = walked(session, "drill", node, days=2, drill=True)

    found = similar_incidents(session=session, nodes=node, knowledge=KB, exclude=real)
    assert [(s.ref, s.reason) for s in found] == [("P0-1", "knowledge base; same playbook: p0-1-discovery")]
    found = similar_incidents(session=session, nodes=node, drill=True)
    assert [(s.ref, s.reason, s.is_drill, s.incident_id) for s in found] == [
        (f"INC-{drill:04d}", "walked the same node", True, drill)
    ]
    assert similar_incidents(session=session, nodes=[("nowhere", "x")], rules=("R99",), knowledge=KB) == []
