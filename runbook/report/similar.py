"""Similar past incidents for the postmortem: same rules concluded, or the same playbook nodes.

Two sources: earlier incidents in the record (a conclusion naming one of this incident's
rules, or steps through the same conclusion-bearing nodes) and the knowledge base's P0
records (their rule lists). The reason is stated on each line, so a reader sees why it is
listed. Drills are only compared with drills, so training runs do not crowd the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import or_, select
from sqlmodel import Session

from runbook.record.models import Conclusion, Incident, Step, incident_ref
from runbook.report.context import SimilarIncident
from runbook.report.kb import KnowledgeView, relative_link

#: A postmortem lists the closest few; the record search finds the rest.
MAX_SIMILAR = 10


def similar_incidents(
    inc: Incident,
    rule_ids: Sequence[str],
    steps: Sequence[Step],
    *,
    session: Session,
    knowledge: KnowledgeView,
    link_base: Path | None = None,
) -> tuple[SimilarIncident, ...]:
    rules = set(rule_ids)
    out: list[SimilarIncident] = []
    for kb_inc in knowledge.incidents.values():
        shared = sorted(rules & set(kb_inc.rules), key=_rule_key)
        if shared:
            out.append(
                SimilarIncident(
                    kb_inc.id,
                    kb_inc.title,
                    f"knowledge base; same rules: {', '.join(shared)}",
                    relative_link(kb_inc.path, link_base),
                )
            )
    shared_rules: dict[int, set[str]] = {}
    if rules:
        # A conclusion of an undone step was taken back: it says nothing about that incident.
        q = (
            select(Conclusion.incident_id, Conclusion.rule_ids)
            .outerjoin(Step, Conclusion.step_id == Step.id)
            .where(Conclusion.incident_id != inc.id, or_(Step.id.is_(None), not Step.undone))
        )
        for other_id, other_rules in session.execute(q):
            common = rules & set(other_rules or ())
            if common:
                shared_rules.setdefault(other_id, set()).update(common)
    nodes = {(s.playbook_id, s.node_id) for s in steps if not s.undone}
    shared_nodes: dict[int, int] = {}
    if nodes and not shared_rules:
        # Only when no rule is shared: a common path is weaker evidence than a common cause.
        playbooks = {p for p, _ in nodes}
        q = select(Step.incident_id, Step.playbook_id, Step.node_id).where(
            Step.incident_id != inc.id, not Step.undone, Step.playbook_id.in_(playbooks)
        )
        for other_id, pb, node in session.execute(q):
            if (pb, node) in nodes:
                shared_nodes[other_id] = shared_nodes.get(other_id, 0) + 1
    candidates = set(shared_rules) | set(shared_nodes)
    if not candidates:
        return tuple(out[:MAX_SIMILAR])
    others = {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(candidates)))}
    ranked = sorted(candidates, key=lambda i: (-len(shared_rules.get(i, ())), -shared_nodes.get(i, 0), -i))
    for other_id in ranked:
        other = others.get(other_id)
        if other is None or other.is_drill != inc.is_drill:
            continue
        if other_id in shared_rules:
            reason = f"same rules: {', '.join(sorted(shared_rules[other_id], key=_rule_key))}"
        else:
            reason = f"walked {shared_nodes[other_id]} of the same playbook nodes"
        out.append(SimilarIncident(incident_ref(other_id), other.title, reason))
    return tuple(out[:MAX_SIMILAR])


def _rule_key(rule_id: str) -> tuple[int, str]:
    digits = "".join(ch for ch in rule_id if ch.isdigit())
    return (int(digits) if digits else 0, rule_id)
