"""Similar past incidents: the one lookup behind the walk's links and the postmortem's list.

A responder standing at a node wants to know what happened the last times someone stood there;
a postmortem lists the incidents that ended the same way. Both ask the same question, "which
incidents share this one's rules or its path?", so they get the same answer in the same words:

- knowledge-base P0 records whose rules include one of the rules (else whose playbook holds
  one of the nodes), first, since they are reviewed postmortems;
- then earlier incidents in the record that concluded one of the rules (conclusions of undone
  steps do not count: they were taken back), ranked by how many rules they share; an incident
  sharing no rule but some of the nodes (steps not undone) follows, ranked by how many nodes.
  A shared cause is stronger evidence than a shared path, so a line names the rules when there
  are any and the nodes only otherwise.

Drills are compared only with drills, so training runs do not crowd a real incident's history.
The knowledge base is passed in as its incident records (anything with ``id``, ``title``,
``rules``, ``playbook``), so the record does not import ``runbook.knowledge``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import or_
from sqlmodel import Session, col, select

from runbook.record.models import Conclusion, Incident, Step, incident_ref
from runbook.rule_ids import rule_sort_key


@dataclass(frozen=True)
class SimilarIncident:
    """One incident related to another (or to a node), and why."""

    source: str
    """``record`` (an incident in this tool's record) or ``knowledge`` (a knowledge-base record)."""
    ref: str
    """``INC-0007`` or a knowledge-base id such as ``P0-1``."""
    title: str
    reason: str
    """Why it is similar, in words: ``same rules: R1``, ``walked 2 of the same playbook nodes``,
    ``knowledge base; same rules: R1``, ``knowledge base; same playbook: p0-1-discovery``."""
    rules: tuple[str, ...] = ()
    """The shared rules (for a knowledge record matched by playbook: all of its rules)."""
    incident_id: int | None = None
    """The record's incident id (None for a knowledge-base record)."""
    is_drill: bool = False
    link: str = ""
    """A link to the knowledge record, relative to where a document will live: the report
    fills it in; the record's answers leave it empty."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ref": self.ref,
            "title": self.title,
            "reason": self.reason,
            "rules": list(self.rules),
            "incident_id": self.incident_id,
            "is_drill": self.is_drill,
        }


class KnownIncident(Protocol):
    """What the lookup reads of a knowledge-base incident record (``runbook.knowledge``'s)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def rules(self) -> tuple[str, ...]: ...
    @property
    def playbook(self) -> str: ...


def similar_incidents(
    *,
    session: Session,
    rules: Iterable[str] = (),
    nodes: Iterable[tuple[str, str]] = (),
    knowledge: Iterable[KnownIncident] = (),
    exclude: int | None = None,
    drill: bool = False,
    limit: int | None = None,
) -> list[SimilarIncident]:
    """Incidents sharing ``rules`` or ``nodes`` (``(playbook_id, node_id)`` pairs).

    ``exclude``: the asking incident's own id. ``drill``: whether the asking incident is a
    drill (only incidents of the same kind are listed). ``limit``: keep the first few.
    """
    wanted = set(rules)
    path = set(nodes)
    out = _knowledge_links(wanted, path, knowledge)
    shared_rules = _shared_rules(wanted, session=session, exclude=exclude) if wanted else {}
    shared_nodes = _shared_nodes(path, session=session, exclude=exclude) if path else {}
    candidates = set(shared_rules) | set(shared_nodes)
    if candidates:
        rows = session.execute(
            select(Incident.id, Incident.title, Incident.started_at, Incident.is_drill).where(
                col(Incident.id).in_(candidates)
            )
        )
        others = {iid: (title, started, bool(is_drill)) for iid, title, started, is_drill in rows}

        def rank(iid: int) -> tuple[int, int, float, int]:
            started: datetime | None = others[iid][1]
            return (-len(shared_rules.get(iid, ())), -shared_nodes.get(iid, 0), -_stamp(started), -iid)

        for iid in sorted((i for i in candidates if i in others and others[i][2] == drill), key=rank):
            title = others[iid][0]
            hit = tuple(sorted(shared_rules.get(iid, ()), key=rule_sort_key))
            reason = f"same rules: {', '.join(hit)}" if hit else f"walked {_nodes(shared_nodes[iid])}"
            out.append(SimilarIncident("record", incident_ref(iid), title, reason, hit, iid, drill))
    return out[:limit] if limit is not None else out


def _knowledge_links(
    rules: Collection[str], nodes: Collection[tuple[str, str]], knowledge: Iterable[KnownIncident]
) -> list[SimilarIncident]:
    playbooks = {playbook for playbook, _ in nodes}
    out: list[SimilarIncident] = []
    for rec in knowledge:
        shared = tuple(sorted(set(rules) & set(rec.rules), key=rule_sort_key))
        if shared:
            reason = f"knowledge base; same rules: {', '.join(shared)}"
        elif rec.playbook and rec.playbook in playbooks:
            shared = tuple(rec.rules)
            reason = f"knowledge base; same playbook: {rec.playbook}"
        else:
            continue
        out.append(SimilarIncident("knowledge", rec.id, rec.title, reason, shared))
    return out


def _shared_rules(rules: set[str], *, session: Session, exclude: int | None) -> dict[int, set[str]]:
    """Per other incident, the wanted rules its conclusions named (undone steps' do not count)."""
    q = (
        select(Conclusion.incident_id, Conclusion.rule_ids)
        .outerjoin(Step, col(Conclusion.step_id) == col(Step.id))
        .where(or_(col(Step.id).is_(None), col(Step.undone).is_(False)))
    )
    if exclude is not None:
        q = q.where(Conclusion.incident_id != exclude)
    out: dict[int, set[str]] = {}
    for other_id, other_rules in session.execute(q):
        common = rules & set(other_rules or ())
        if common:
            out.setdefault(other_id, set()).update(common)
    return out


def _shared_nodes(nodes: set[tuple[str, str]], *, session: Session, exclude: int | None) -> dict[int, int]:
    """Per other incident, how many of ``nodes`` its walk passed through (steps not undone)."""
    q = select(Step.incident_id, Step.playbook_id, Step.node_id).where(
        col(Step.undone).is_(False), col(Step.playbook_id).in_({playbook for playbook, _ in nodes})
    )
    if exclude is not None:
        q = q.where(Step.incident_id != exclude)
    seen: dict[int, set[tuple[str, str]]] = {}
    for other_id, playbook, node in session.execute(q):
        if (playbook, node) in nodes:
            seen.setdefault(other_id, set()).add((playbook, node))
    return {iid: len(hit) for iid, hit in seen.items()}


def _nodes(count: int) -> str:
    """``the same node`` for one, ``2 of the same playbook nodes`` for more."""
    return "the same node" if count == 1 else f"{count} of the same playbook nodes"


def _stamp(value: datetime | None) -> float:
    return value.timestamp() if value is not None else 0.0
