"""The timeline table's rows, built in Python: the one part of a postmortem that grows with the record.

A 10,000-event incident makes a 10,000-row table. Written as a Jinja loop, each row reads a
dozen attributes through the sandbox's safety check and calls five filters; most of the
rendering time went there. The shipped template instead calls the ``timeline_rows`` filter,
which builds the same rows here with the same escaping functions (:mod:`runbook.report.escape`),
so the document is byte for byte what the loop printed.

Safety is unchanged: every user field goes through ``md_cell`` / ``md_code`` exactly as the
template's filters did, and the filter accepts only :class:`TimelineEntry` values, so a team
template cannot use it to read attributes of anything the sandbox would not let it read.
Team templates that want other rows keep iterating ``timeline`` with the filters.
"""

from __future__ import annotations

from collections.abc import Iterable

from runbook.report.context import Markdown, TimelineEntry
from runbook.report.escape import md_cell, md_code


def timeline_row(t: TimelineEntry) -> str:
    """``| time | who | what | backed by |`` for one timeline line, every user field escaped."""
    who = md_cell(t.author) + " (auto)" if t.automatic else md_cell(t.author)
    what = f"~~{md_cell(t.text)}~~ (undone)" if t.undone else md_cell(t.text)
    backed: str = md_cell(t.source)
    c = t.citation
    if c is not None:
        figure = f" {md_code(c.key_figure, cell=True)}" if c.key_figure else ""
        backed = f"{md_code(c.check_type, cell=True)} **{md_cell(c.verdict)}**{figure}, {backed}"
    return f"| {md_cell(t.at)} | {who} | {what} | {backed} |"


def timeline_rows(lines: Iterable[object]) -> Markdown:
    """The table body for ``lines``: one row per line, joined by newlines (no trailing newline).

    Raises ``TypeError`` for anything but :class:`TimelineEntry` (the filter reads their fields
    directly, outside the sandbox's attribute check).
    """
    rows = []
    for t in lines:
        if type(t) is not TimelineEntry:
            raise TypeError(f"timeline_rows takes the timeline's lines, not {type(t).__name__}")
        rows.append(timeline_row(t))
    return Markdown("\n".join(rows))
