"""Where a postmortem's references to the knowledge base point: links that survive the file moving.

A postmortem is mailed, attached to tickets and committed to other repositories, so a link
computed from the exporting machine's directories (``../../work/main/incidents/rules/R8.md``)
breaks the moment the file moves, and shows where someone's checkout lived. A reference
therefore resolves one of two ways, neither depending on where the file is written:

- against ``knowledge_url`` (the config file's key, e.g. the team's Git web view of its
  incidents directory): ``{knowledge_url}/rules/R1.md``, the record's path inside its
  knowledge directory;
- else it is *embedded*: the document carries the record's text in an appendix
  ("Appendix: knowledge referenced") and links to that section by its anchor. Anchors are
  GitHub's heading slugs, which the HTML export gives its headings too (``runbook.report.html``),
  so one ``#rule-r1-...`` link works in the Markdown on a Git host and in the HTML file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from runbook.knowledge import IncidentRecord, Record
from runbook.report.context import KnowledgeRef, Markdown
from runbook.report.escape import demote_headings

_KIND_LABEL = {"rule": "Rule", "incident": "Incident", "cause": "Cause", "symptom": "Symptom"}


def slug(text: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def heading(record: Record) -> str:
    """The appendix heading of an embedded record: ``Rule R1: One lease, ...``."""
    label = _KIND_LABEL.get(record.kind, record.kind.capitalize() or "Record")
    return f"{label} {record.id}: {record.title}"


def record_path(record: Record) -> str:
    """The record's path inside its knowledge directory (``rules/R1.md``): the same on every machine."""
    return f"{record.path.parent.name}/{record.path.name}"


@dataclass(frozen=True)
class KnowledgeLinks:
    """How one document links to knowledge records."""

    base_url: str = ""
    """``knowledge_url``: the web view of the incidents directory; empty: embed the records."""

    @property
    def embedded(self) -> bool:
        return not self.base_url.strip()

    def href(self, record: Record | None) -> str:
        """The link target for ``record`` ('' for none): a URL under the base, else an anchor."""
        if record is None:
            return ""
        if self.embedded:
            return "#" + slug(heading(record))
        return f"{self.base_url.strip().rstrip('/')}/{record_path(record)}"

    def references(self, records: Iterable[Record | None]) -> tuple[KnowledgeRef, ...]:
        """The appendix entries for ``records`` (each once, in order); none when linking to a base."""
        if not self.embedded:
            return ()
        seen: dict[str, KnowledgeRef] = {}
        for record in records:
            if record is None or f"{record.kind}:{record.id}" in seen:
                continue
            title = heading(record)
            seen[f"{record.kind}:{record.id}"] = KnowledgeRef(
                record.id, title, slug(title), record_path(record), _text(record)
            )
        return tuple(seen.values())


def _text(record: Record) -> Markdown:
    """What the appendix quotes: a rule's or cause's every section; an incident record's summary
    (the whole record runs to hundreds of lines, and the document already tells its story)."""
    sections = record.sections
    if isinstance(record, IncidentRecord):
        summary = record.section_obj("Summary")
        sections = (summary,) if summary is not None else sections[:1]
    parts = [f"#### {s.title}\n\n{demote_headings(Markdown(s.markdown.strip()), 2)}" for s in sections]
    return Markdown("\n\n".join(parts))
