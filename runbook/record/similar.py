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

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Row, text
from sqlmodel import Session

from runbook.record.models import incident_ref
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


#: Per shared rule and per shared node, how many of the newest other incidents are compared
#: (``window``): past a few hundred incidents the lookup costs the same however big the record.
WINDOW = 30


def similar_incidents(
    *,
    session: Session,
    rules: Iterable[str] = (),
    nodes: Iterable[tuple[str, str]] = (),
    knowledge: Iterable[KnownIncident] = (),
    exclude: int | None = None,
    drill: bool = False,
    limit: int | None = None,
    window: int | None = WINDOW,
) -> list[SimilarIncident]:
    """Incidents sharing ``rules`` or ``nodes`` (``(playbook_id, node_id)`` pairs).

    ``exclude``: the asking incident's own id. ``drill``: whether the asking incident is a
    drill (only incidents of the same kind are listed). ``limit``: keep the first few.
    ``window`` (None = every incident): compare only the newest ``window`` incidents that
    concluded each rule and the newest ``window`` that walked each node (index ranges read
    newest first). Ranking is unchanged within them; the price is that an older incident
    sharing more can be left out once more than ``window`` newer ones share one of its rules
    or nodes.
    """
    wanted = set(rules)
    path = set(nodes)
    out = _knowledge_links(wanted, path, knowledge)
    shared_rules: dict[int, set[str]] = {}
    shared_nodes: dict[int, int] = {}
    seen: dict[int, tuple[str, Any]] = {}
    for iid, rule, title, started in _shared(
        wanted, path, session=session, exclude=exclude, drill=drill, window=window
    ):
        seen[iid] = (title, started)
        if rule is not None:
            shared_rules.setdefault(iid, set()).add(rule)
        else:
            shared_nodes[iid] = shared_nodes.get(iid, 0) + 1
    session.commit()  # end the read transaction

    def rank(iid: int) -> tuple[int, int, Any, int]:  # higher is better; one backend's type per call
        return (len(shared_rules.get(iid, ())), shared_nodes.get(iid, 0), seen[iid][1], iid)

    ranked = sorted(seen, key=rank, reverse=True)
    for iid in ranked[: None if limit is None else max(0, limit - len(out))]:
        hit = tuple(sorted(shared_rules.get(iid, ()), key=rule_sort_key))
        reason = f"same rules: {', '.join(hit)}" if hit else f"walked {_nodes(shared_nodes[iid])}"
        out.append(SimilarIncident("record", incident_ref(iid), seen[iid][0], reason, hit, iid, drill))
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


def _shared(
    rules: set[str],
    nodes: set[tuple[str, str]],
    *,
    session: Session,
    exclude: int | None,
    drill: bool,
    window: int | None,
) -> Sequence[Row[int, str | None, str, Any]]:
    """(incident, rule or None, title, started) rows: one per wanted rule another incident
    concluded (steps not undone), one (rule None) per wanted node its walk passed through.

    One statement, a part per rule and per node, each part an index range read newest first
    (``conclusion_rule(rule_id, incident_id)``, ``step(playbook_id, node_id, incident_id,
    undone)``) and cut at ``window``.
    """
    params: dict[str, Any] = {"ex": exclude if exclude is not None else -1, "drill": drill, "w": window, "f": False}
    parts = []
    for n, rule in enumerate(sorted(rules)):
        params[f"r{n}"] = rule
        parts.append(
            "SELECT cr.incident_id AS incident_id, cr.rule_id AS rule_id, i.title AS title, i.started_at AS started "
            "FROM conclusion_rule cr JOIN conclusion c ON c.id = cr.conclusion_id "
            "LEFT JOIN step s ON s.id = c.step_id JOIN incident i ON i.id = cr.incident_id "
            f"WHERE cr.rule_id = :r{n} AND cr.incident_id <> :ex AND i.is_drill = :drill "
            "AND (s.id IS NULL OR s.undone = :f)"
        )
    for n, (playbook, node) in enumerate(sorted(nodes)):
        params[f"p{n}"], params[f"n{n}"] = playbook, node
        parts.append(
            "SELECT DISTINCT s.incident_id AS incident_id, NULL AS rule_id, i.title AS title, i.started_at AS started "
            f"FROM step s JOIN incident i ON i.id = s.incident_id WHERE s.playbook_id = :p{n} AND s.node_id = :n{n} "
            "AND s.undone = :f AND s.incident_id <> :ex AND i.is_drill = :drill"
        )
    if not parts:
        return []
    cut = " ORDER BY incident_id DESC LIMIT :w" if window is not None else ""
    sql = " UNION ALL ".join(f"SELECT * FROM ({p}{cut}) AS part{n}" for n, p in enumerate(parts))
    return session.execute(text(sql), params).all()


def _nodes(count: int) -> str:
    """``the same node`` for one, ``2 of the same playbook nodes`` for more."""
    return "the same node" if count == 1 else f"{count} of the same playbook nodes"
