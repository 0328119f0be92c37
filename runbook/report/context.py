"""The data a postmortem template sees: frozen, pure, already in the reader's time zone.

Templates never touch the database or the knowledge base. A builder
(``runbook.report.from_record`` for a recorded incident, ``runbook.report.from_knowledge`` for a
knowledge-base P0 record) turns its source into a :class:`PostmortemContext`; the same template
renders both. Times are formatted strings in the one zone the document states
(``PostmortemContext.tz``), so a template cannot mix zones by accident.

Two kinds of text live here. Plain ``str`` fields are *user text* (notes, findings, check
summaries that echo what a remote server said): the renderer escapes them wherever they are
printed. :class:`Markdown` fields are *trusted Markdown* written by the tool or taken from the
knowledge base (a rule's anti-pattern and fix with their Go code) and are printed as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from runbook.record.similar import SimilarIncident


class Markdown(str):
    """Trusted Markdown: printed verbatim by the renderer (every other ``str`` is escaped)."""

    __slots__ = ()


@dataclass(frozen=True)
class Header:
    title: str
    ref: str
    """``INC-0007`` for a recorded incident, ``P0-1`` for a knowledge-base record."""
    severity: str
    status: str
    """Incident status: open, mitigated, resolved, closed."""
    postmortem_status: str
    """draft, in review, reviewed, closed (already worded for readers)."""
    service: str
    authors: tuple[str, ...]
    started: str
    detected: str
    mitigated: str
    resolved: str
    closed: str
    is_drill: bool = False
    illustrative_times: bool = False
    """True when the times were reconstructed (knowledge-base records without real times)."""


@dataclass(frozen=True)
class Citation:
    """A check result a line of the document rests on: type, verdict and the key figure."""

    check_type: str
    verdict: str
    key_figure: str
    """``name=value`` of the first figure, or empty when the check measured nothing."""
    at: str
    summary: str


@dataclass(frozen=True)
class Detection:
    text: str
    derived: bool
    """True when the tool derived it (first failing check / first finding), not a person."""
    citation: Citation | None = None


@dataclass(frozen=True)
class TimelineEntry:
    at: str
    kind: str
    """Event kind (``check_run``, ``finding``, ``choice_taken`` ...) or ``reconstructed``."""
    author: str
    text: str
    source: str
    """Where the line comes from: ``event #12`` (a recorded row) or ``record`` for a KB record."""
    citation: Citation | None = None
    automatic: bool = False
    undone: bool = False


_new = object.__new__
_set = object.__setattr__
_T = TypeVar("_T")


def built(cls: type[_T], fields: dict[str, object]) -> _T:
    """``cls(**fields)`` for one of these frozen dataclasses, the way :func:`timeline_entry` builds
    a line: ``fields`` (every field, by name; the dict becomes the instance's) set in one step
    rather than one ``object.__setattr__`` per field. For the rows a large record has by the
    thousand (diagnosis steps, notes, citations); tests compare them with the constructor's."""
    obj: _T = _new(cls)
    _set(obj, "__dict__", fields)
    return obj


def timeline_entry(
    at: str,
    kind: str,
    author: str,
    text: str,
    source: str,
    citation: Citation | None,
    automatic: bool,
    undone: bool,
) -> TimelineEntry:
    """``TimelineEntry(...)`` for the 10,000-line case: the same frozen object, built without the
    generated ``__init__``'s one ``object.__setattr__`` per field (a quarter of reading a large
    record went there). The instance's ``__dict__`` is set whole, in one step; the result
    compares, hashes, copies and serializes like any other instance."""
    entry: TimelineEntry = _new(TimelineEntry)
    _set(
        entry,
        "__dict__",
        {
            "at": at,
            "kind": kind,
            "author": author,
            "text": text,
            "source": source,
            "citation": citation,
            "automatic": automatic,
            "undone": undone,
        },
    )
    return entry


@dataclass(frozen=True)
class DiagnosisStep:
    seq: int
    playbook_id: str
    node_id: str
    entered: str
    choice: str
    """Label of the branch taken; empty while the step is still open."""
    next_node_id: str
    automatic: bool
    """True when a check result decided the branch."""
    author: str
    undone: bool
    verdicts: tuple[Citation, ...] = ()
    conclusion: str = ""
    """Title of the conclusion reached at this node, if any."""
    rules: tuple[str, ...] = ()
    """Rules that conclusion names."""
    notes: tuple[Note, ...] = ()
    """What responders wrote down at this step (kept when the step is undone: evidence stays)."""


@dataclass(frozen=True)
class RootCause:
    rule_id: str
    title: str
    concluded_by: str
    """Which conclusion or node named this rule (``p0-1-discovery#lease-race``)."""
    failure_mode: Markdown
    anti_pattern: Markdown
    fix: Markdown
    link: str
    """Relative link to the rule record (``incidents/rules/R1.md``) or empty."""


@dataclass(frozen=True)
class Factor:
    """A chapter-1 cross-cutting cause linked from a concluded rule."""

    cause_id: str
    title: str
    summary: Markdown
    via_rules: tuple[str, ...]
    link: str = ""


@dataclass(frozen=True)
class Note:
    """A finding tagged went well / went wrong / lucky, or a lesson line of a KB record."""

    text: str
    author: str = ""
    at: str = ""


@dataclass(frozen=True)
class ActionRow:
    text: str
    type: str
    owner: str
    due: str
    status: str
    rule: str
    link: str = ""


@dataclass(frozen=True)
class Lesson:
    rule_id: str
    title: str
    demand: str
    """What the rule demands, one sentence."""
    link: str = ""


@dataclass(frozen=True)
class EvidenceExcerpt:
    check_type: str
    at: str
    label: str
    text: str
    """Redacted and cut to the appendix bound."""
    truncated: bool = False
    deciding: bool = False
    """The excerpt the check's verdict rests on (shown first), not a raw request or response."""
    verdict: str = ""
    """The verdict of the check that recorded it."""


@dataclass(frozen=True)
class KnowledgeRef:
    """A knowledge record the document links to, embedded in its appendix (no ``knowledge_url``)."""

    record_id: str
    heading: str
    """``Rule R1: One lease, ...``: the appendix heading whose anchor the links use."""
    anchor: str
    path: str
    """Where the record lives inside a knowledge directory (``rules/R1.md``)."""
    text: Markdown
    """The record's sections, headings demoted under the appendix's."""


@dataclass(frozen=True)
class PostmortemContext:
    """Everything the template prints, section by section, in document order."""

    header: Header
    tz: str
    """The one time zone every time in the document is written in (``UTC`` by default)."""
    generated: str
    summary: str
    impact: str
    trigger: str
    resolution: str
    detection: Detection
    timeline: tuple[TimelineEntry, ...]
    diagnosis: tuple[DiagnosisStep, ...]
    root_causes: tuple[RootCause, ...]
    factors: tuple[Factor, ...]
    went_well: tuple[Note, ...]
    went_wrong: tuple[Note, ...]
    lucky: tuple[Note, ...]
    actions: tuple[ActionRow, ...]
    similar: tuple[SimilarIncident, ...]
    """``runbook.record.similar``'s lines, with links to knowledge records filled in."""
    lessons: tuple[Lesson, ...]
    evidence: tuple[EvidenceExcerpt, ...]
    evidence_omitted: int = 0
    """How many excerpts the appendix bound left out."""
    source: str = "record"
    """``record`` (walked incident) or ``knowledge`` (a P0 record of the knowledge base)."""
    went_well_text: str = ""
    """The responders' own words on what went well, shown before the tagged findings."""
    went_wrong_text: str = ""
    lucky_text: str = ""
    lessons_text: str = ""
    """The responders' lessons, shown before those that follow from the root causes."""
    references: tuple[KnowledgeRef, ...] = ()
    """Knowledge records the links point into this document for (empty with ``knowledge_url``)."""
    unexplained: tuple[str, ...] = ()
    """Titles of the "cause unknown" terminals the walk reached (escalated, no rule named)."""
    timeline_omitted: int = 0
    """Events left out of ``timeline`` (a preview shows the first few; an export shows all)."""
    diagnosis_omitted: int = 0
    """Steps left out of ``diagnosis`` (a preview's cut, as for the timeline)."""
