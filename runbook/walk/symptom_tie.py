"""Which rules the responder's symptoms point at: the tie between a finding and the incident.

A check can find a real property of a service that is true every day (coarse histogram buckets,
a label with many values). Such a finding is a *latent* risk; it becomes the incident's cause
only when what the responder sees points at its rule. The tie is data, not code: each rule
record lists in its front matter (``symptoms``) the playbooks' symptom phrases that point at
it, so a team that adds a rule or a symptom edits Markdown, and ``runbook validate``-style
tests catch a phrase no playbook offers.

The symptoms of an incident come from ``--symptom`` (diagnose) and are recorded as a note
whose payload holds ``symptoms``, so a walk on the same incident reads them back.

The walk side: a *survey* node (a check node whose blocks route to different places, like
triage's quick sweep) picks where to look, not what the incident is. A conclusion reached
automatically on a route a survey picked, whose rules no symptom points at, is held for a
person (``sweep_hold``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from runbook.checks.base import Verdict
from runbook.errors import NotFoundError, RunbookError
from runbook.knowledge.model import KnowledgeBase
from runbook.playbook.library import Library
from runbook.playbook.model import Node, NodeKind
from runbook.record import repo
from runbook.record.models import EventKind
from runbook.rule_ids import rule_sort_key
from runbook.walk.state import WalkStep
from runbook.walk.suggest import verdict_target

SYMPTOMS_KEY = "symptoms"
"""Front-matter key of a rule record, and payload key of the note that records an incident's symptoms."""


class UnknownSymptom(RunbookError):
    title = "Unknown symptom"


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class SymptomTie:
    """Symptom phrase -> the rules it points at, read from the rule records."""

    rules_by_symptom: Mapping[str, tuple[str, ...]]
    """Keyed by the phrase as written in the rule records (first spelling wins)."""

    @classmethod
    def from_knowledge(cls, knowledge: KnowledgeBase) -> SymptomTie:
        found: dict[str, set[str]] = {}
        spelled: dict[str, str] = {}
        for rule in knowledge.rules.values():
            for phrase in rule_symptoms(rule.meta):
                key = _norm(phrase)
                spelled.setdefault(key, phrase.strip())
                found.setdefault(key, set()).add(rule.id)
        return cls({spelled[k]: tuple(sorted(v, key=rule_sort_key)) for k, v in found.items()})

    @property
    def phrases(self) -> tuple[str, ...]:
        return tuple(sorted(self.rules_by_symptom, key=str.lower))

    def tie(self, symptoms: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Rule -> the given symptoms that point at it. An unknown phrase is an error that
        lists the known ones: a typo must not silently leave every finding latent."""
        by_norm = {_norm(k): (k, v) for k, v in self.rules_by_symptom.items()}
        out: dict[str, list[str]] = {}
        for given in symptoms:
            if not given.strip():
                continue
            hit = by_norm.get(_norm(given))
            if hit is None:
                raise UnknownSymptom(
                    f"unknown symptom {given.strip()!r}; the rule records name these: " + "; ".join(self.phrases)
                )
            for rule in hit[1]:
                out.setdefault(rule, []).append(hit[0])
        return {r: tuple(dict.fromkeys(s)) for r, s in sorted(out.items(), key=lambda kv: rule_sort_key(kv[0]))}

    def recorded(self, incident_id: int, *, session: Session) -> tuple[str, ...]:
        """The incident's recorded symptoms that a rule lists (others are ignored here: they
        were checked when recorded, and a walk must not fail on a rule record edited since)."""
        known = {_norm(p) for p in self.rules_by_symptom}
        return tuple(s for s in recorded_symptoms(incident_id, session=session) if _norm(s) in known)


def rule_symptoms(meta: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``symptoms`` list of a rule record's front matter (strings only)."""
    raw = meta.get(SYMPTOMS_KEY) or ()
    if isinstance(raw, str):
        raw = [raw]
    return tuple(s.strip() for s in raw if isinstance(s, str) and s.strip())


def recorded_symptoms(incident_id: int, *, session: Session) -> tuple[str, ...]:
    """The symptoms recorded for an incident (notes whose payload holds ``symptoms``), in order."""
    seen: dict[str, None] = {}
    for event in repo.timeline(incident_id, session=session):
        payload = event.payload if event.kind == EventKind.NOTE.value else None
        if isinstance(payload, dict) and isinstance(payload.get(SYMPTOMS_KEY), list):
            for s in payload[SYMPTOMS_KEY]:
                if isinstance(s, str) and s.strip():
                    seen.setdefault(s.strip(), None)
    return tuple(seen)


def record_symptoms(incident_id: int, symptoms: Sequence[str], *, session: Session, author: str | None) -> None:
    """Write the incident's symptoms as a note (read back by ``recorded_symptoms``)."""
    repo.add_event(
        incident_id,
        EventKind.NOTE.value,
        session=session,
        author=author,
        summary="symptoms: " + "; ".join(symptoms),
        payload={SYMPTOMS_KEY: list(symptoms)},
    )


def is_survey(node: Node) -> bool:
    """A check node whose blocks' ``fail`` verdicts point to different places (triage's sweep):
    its findings say where to look, not what the incident is."""
    if node.kind != NodeKind.CHECK or len(node.checks) < 2:
        return False
    targets = {verdict_target(node, b, Verdict.FAIL) for b in node.checks}
    return len(targets - {None}) > 1


def sweep_hold(library: Library, path: Sequence[WalkStep], target: str, tied: Collection[str]) -> str | None:
    """Why an automatic move to ``target`` must wait for a person, or None.

    Held when ``target`` concludes rules none of ``tied`` names and the route here was picked
    by a survey's verdict with no person's choice since: a sweep finding no symptom points at
    is a latent risk, not yet the cause. ``path`` is the active path, the current step last.
    """
    node = _node(library, target)
    if node is None or node.conclusion is None or not node.conclusion.rules:
        return None
    rules = node.conclusion.rules
    if set(rules) & set(tied):
        return None
    for step in reversed(path[:-1]):
        if not step.automatic:
            return None
        left = _node(library, step.ref)
        if left is not None and is_survey(left):
            return (
                f"the route here was picked by a finding of {step.ref} (a sweep), and no symptom of the "
                f"incident points at {', '.join(rules)}: a latent risk until a person confirms it is the cause"
            )
    return None


def _node(library: Library, ref: str) -> Node | None:
    try:
        return library.node(ref)
    except NotFoundError:
        return None


def incident_tie(
    knowledge: KnowledgeBase | None, incident_id: int | None, *, session: Session
) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """The incident's recorded symptoms, and rule -> those of them that point at it (what
    ``sweep_weighing`` takes as ``symptoms`` and ``tied``)."""
    if not isinstance(knowledge, KnowledgeBase) or incident_id is None:
        return (), {}
    tie = SymptomTie.from_knowledge(knowledge)
    symptoms = tie.recorded(incident_id, session=session)
    return symptoms, tie.tie(symptoms)


def incident_tied_rules(knowledge: KnowledgeBase | None, incident_id: int | None, *, session: Session) -> set[str]:
    """Rules the incident's recorded symptoms point at."""
    return set(incident_tie(knowledge, incident_id, session=session)[1])
