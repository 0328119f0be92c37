"""The knowledge base model: rules, incident postmortems, causes and governance records.

These are the product's history: what went wrong in past incidents and which rule each
lesson became. Playbook conclusions name rules, drills use incidents as ground truth, and
reports quote both, so every record keeps its Markdown body, its sections by title and the
path and line it came from. Frozen dataclasses: one loaded knowledge base is shared by the
CLI, the engine and the UI without anyone mutating it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook.errors import NotFoundError
from runbook.knowledge.document import Section
from runbook.rule_ids import rule_sort_key as rule_sort_key  # re-exported: the one sort order


@dataclass(frozen=True)
class Record:
    """What every knowledge record has; causes and governance records are plain Records."""

    id: str
    title: str
    kind: str
    """``rule``, ``incident``, ``cause``, ``symptom``, ``table`` or ``governance``."""
    path: Path
    body: str
    """The Markdown after the front matter (level-1 title included)."""
    sections: tuple[Section, ...] = ()
    rules: tuple[str, ...] = ()
    """Rules this record links to (for a rule: empty; see Rule.incident)."""
    incidents: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    """The whole front matter, for fields a particular consumer needs."""
    key_lines: dict[str, int] = field(default_factory=dict, compare=False)
    """Line of each front-matter key, for ``path:line`` messages."""

    def section(self, title: str) -> str | None:
        """The Markdown of the level-2 section with this title (case-insensitive), or None."""
        found = self.section_obj(title)
        return found.markdown if found else None

    def section_obj(self, title: str) -> Section | None:
        want = title.strip().lower()
        return next((s for s in self.sections if s.title.lower() == want), None)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)

    @property
    def section_titles(self) -> tuple[str, ...]:
        return tuple(s.title for s in self.sections)


@dataclass(frozen=True)
class RuleCheck:
    """A check type (with example params) that confirms the rule's failure mode live."""

    type: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule(Record):
    incident: str = ""
    """The P0 incident the rule came from (``P0-1``)."""
    section_ref: str = ""
    """Section of the source article (``2.1``)."""
    failure_mode: str = ""
    demand: str = ""
    """What the rule demands, in one paragraph."""
    checks: tuple[RuleCheck, ...] = ()
    conclusions: tuple[str, ...] = ()
    """Playbook nodes (``playbook#node``) whose conclusion names this rule."""
    causes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostmortemAction:
    text: str
    type: str
    """``mitigate`` or ``prevent``."""
    owner: str
    """A role: on-call, service owner, platform team, ..."""
    line: int = 1


@dataclass(frozen=True)
class IncidentRecord(Record):
    severity: str = ""
    summary: str = ""
    causes: tuple[str, ...] = ()
    playbook: str = ""
    """Id of the playbook that walks this incident."""
    timeline: str = ""
    """``illustrative`` when the timeline is reconstructed rather than recorded."""
    actions: tuple[PostmortemAction, ...] = ()
    """Parsed from the body's "Action items" table."""


#: A rule id: the shipped ``R1``..``R12``, or a team's own scheme (``TEAM-1``, ``PAY12``). It ends in
#: a number so that every list sorts ``R2`` before ``R10`` (``runbook.rule_ids``).
RULE_ID = re.compile(r"[A-Z][A-Z0-9]*-?\d+")

#: Sections every rule record must have, in this order.
RULE_SECTIONS = (
    "Failure mode",
    "Anti-pattern",
    "Fix",
    "Why it happens",
    "How to detect it live",
    "Corrections to the source",
)

#: Sections every incident record must have, in this order.
INCIDENT_SECTIONS = (
    "Summary",
    "Impact",
    "Detection",
    "Trigger",
    "Timeline",
    "Root causes",
    "Contributing factors",
    "What went well",
    "What went wrong",
    "Where we got lucky",
    "Action items",
    "Lessons",
)


@dataclass(frozen=True)
class RecordOrigin:
    """Where a loaded record came from, and which earlier layers' files it replaces."""

    path: Path
    root: Path
    """The incidents directory (layer) it was found under, as given."""
    layer: int
    """Index of that directory in the load order (0: the shipped one by default)."""
    overrides: tuple[Path, ...] = ()
    """Files of earlier layers with the same id, nearest first."""


@dataclass(frozen=True)
class KnowledgeBase:
    rules: dict[str, Rule] = field(default_factory=dict)
    incidents: dict[str, IncidentRecord] = field(default_factory=dict)
    causes: dict[str, Record] = field(default_factory=dict)
    """Chapter 1 cross-cutting causes (C*), symptom rows (S*) and the symptom table."""
    governance: dict[str, Record] = field(default_factory=dict)
    origins: dict[str, RecordOrigin] = field(default_factory=dict, compare=False)
    """Where each loaded record came from (by id)."""

    def rule_ids(self) -> frozenset[str]:
        return frozenset(self.rules)

    def records(self) -> list[Record]:
        return [*self.rules.values(), *self.incidents.values(), *self.causes.values(), *self.governance.values()]

    def get(self, record_id: str) -> Record:
        """Any record by id (case-insensitive); NotFoundError lists what exists."""
        for rec in self.records():
            if rec.id == record_id:
                return rec
        lowered = record_id.lower()
        for rec in self.records():
            if rec.id.lower() == lowered:
                return rec
        known = ", ".join(r.id for r in self.records()) or "none loaded"
        raise NotFoundError(f"no knowledge record {record_id!r}; known ids: {known}")
