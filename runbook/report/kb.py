"""What a postmortem prints from the knowledge base, read off ``runbook.knowledge``'s own records.

The report takes the loaded :class:`~runbook.knowledge.KnowledgeBase` as it is (rules, causes,
P0 incident records); these helpers only pick the text a document quotes. Section bodies are
trusted Markdown (they carry the Go code), front-matter prose is folded onto one line.
"""

from __future__ import annotations

from typing import Any

from runbook.knowledge import IncidentRecord, Record, Rule
from runbook.report.context import Markdown


def flat(value: Any) -> str:
    """Front-matter prose on one line (YAML folded text keeps its line breaks)."""
    return " ".join(str(value or "").split())


def rule_sections(rule: Rule) -> tuple[Markdown, Markdown, Markdown]:
    """A rule's failure mode, anti-pattern and fix as the document quotes them."""
    return (
        Markdown(rule.section("Failure mode") or flat(rule.failure_mode)),
        Markdown(rule.section("Anti-pattern") or ""),
        Markdown(rule.section("Fix") or ""),
    )


def cause_summary(cause: Record) -> Markdown:
    """A cause's ``summary`` front matter, else the first paragraph of its first section."""
    first = cause.sections[0].markdown if cause.sections else ""
    return Markdown(flat(cause.meta.get("summary")) or first.strip().split("\n\n")[0].strip())


def incident_sections(record: IncidentRecord) -> dict[str, Markdown]:
    """``## Heading`` -> its Markdown, headings lower-cased (``summary``, ``action items`` ...)."""
    return {sec.title.lower(): Markdown(sec.markdown.strip()) for sec in record.sections}
