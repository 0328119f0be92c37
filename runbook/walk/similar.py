"""Similar past incidents for a node: what happened the last times someone stood here.

Two sources, each link saying why it is similar:

- the record: earlier incidents whose walk passed through the same node (steps not undone),
  and, at a conclusion node, earlier incidents that concluded one of the same rules;
- the knowledge base: the P0 records whose rules include the node's conclusion rules, or
  whose playbook contains the node.

The knowledge base is read by attribute (``incidents`` with ``id``, ``title``, ``rules``,
``playbook``), so this module does not depend on how ``runbook.knowledge`` loads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from runbook.playbook.library import Library
from runbook.playbook.model import Node
from runbook.record.models import incident_ref
from runbook.walk import store


@dataclass(frozen=True)
class SimilarIncident:
    """One link from a node to a related incident."""

    source: str
    """``record`` (an incident in this tool's record) or ``knowledge`` (a knowledge-base record)."""
    ref: str
    """``INC-0007`` or a knowledge-base id such as ``P0-1``."""
    title: str
    reason: str
    """Why it is similar, in words: "passed through this node", "concluded R1"."""
    rules: tuple[str, ...] = ()
    incident_id: int | None = None
    is_drill: bool = False

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


def similar_incidents(
    library: Library,
    node: Node,
    *,
    session: Session,
    knowledge: Any = None,
    exclude: int | None = None,
    include_drills: bool = False,
) -> list[SimilarIncident]:
    """Links for ``node``: record incidents first (newest first), then knowledge-base records."""
    rules = tuple(node.conclusion.rules) if node.conclusion else ()
    found: dict[int, SimilarIncident] = {}
    for visit in store.incidents_through(node.playbook, node.id, session=session, exclude=exclude):
        if visit.is_drill and not include_drills:
            continue
        found[visit.incident_id] = SimilarIncident(
            "record",
            incident_ref(visit.incident_id),
            visit.title,
            "passed through this node",
            (),
            visit.incident_id,
            visit.is_drill,
        )
    for iid, title, _started, drill, hit in store.incidents_concluding(rules, session=session, exclude=exclude):
        if drill and not include_drills:
            continue
        why = f"concluded {', '.join(hit)}"
        prev = found.get(iid)
        reason = f"{prev.reason}; {why}" if prev else why
        found[iid] = SimilarIncident("record", incident_ref(iid), title, reason, hit, iid, drill)
    return [*found.values(), *knowledge_links(library, node, knowledge)]


def knowledge_links(library: Library, node: Node, knowledge: Any) -> list[SimilarIncident]:
    """Knowledge-base incident records related to ``node`` (by rule, or by playbook)."""
    records = getattr(knowledge, "incidents", None) if knowledge is not None else None
    if not records:
        return []
    if isinstance(records, dict):
        records = records.values()
    rules = set(node.conclusion.rules) if node.conclusion else set()
    out = []
    for rec in records:
        rec_rules = tuple(getattr(rec, "rules", ()) or ())
        single = getattr(rec, "playbook", None)
        playbooks = getattr(rec, "playbooks", None) or ([single] if single else [])
        reasons = []
        shared = sorted(rules & set(rec_rules))
        if shared:
            reasons.append(f"same rule {', '.join(shared)}")
        if node.playbook in playbooks:
            reasons.append(f"its playbook {node.playbook} holds this node")
        if reasons:
            out.append(
                SimilarIncident(
                    "knowledge",
                    str(getattr(rec, "id", "")),
                    str(getattr(rec, "title", "")),
                    "; ".join(reasons),
                    tuple(shared or rec_rules),
                )
            )
    return out
