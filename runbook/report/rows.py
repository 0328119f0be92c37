"""The timeline's rows and the diagnosis path, built in Python: the parts of a postmortem that grow.

A 10,000-event incident makes a 10,000-row table (and a walk of a thousand steps a long list). Written as a Jinja loop, each row reads a
dozen attributes through the sandbox's safety check and calls five filters; most of the
rendering time went there. The shipped template instead calls the ``timeline_rows`` filter,
which builds the same rows here with the same escaping functions (:mod:`runbook.report.escape`),
so the document is byte for byte what the loop printed.

Safety is unchanged: every user field goes through ``md_cell`` / ``md_code`` exactly as the
template's filters did, and the filters accept only :class:`TimelineEntry` (``timeline_rows``)
and :class:`DiagnosisStep` (``diagnosis_items``) values, so a team
template cannot use it to read attributes of anything the sandbox would not let it read.
Team templates that want other rows keep iterating ``timeline`` with the filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter

from runbook.report.context import DiagnosisStep, Markdown, Note, TimelineEntry
from runbook.report.escape import md_cell, md_code, md_inline, md_inline_many


def timeline_row(t: TimelineEntry) -> str:
    """``| time | who | what | backed by |`` for one timeline line, every user field escaped."""
    return _row(t, md_cell(t.at), md_cell(t.author), md_cell(t.text), md_cell(t.source))


def _row(t: TimelineEntry, at: str, author: str, text: str, source: str) -> str:
    who = author + " (auto)" if t.automatic else author
    what = f"~~{text}~~ (undone)" if t.undone else text
    c = t.citation
    if c is not None:
        figure = f" {md_code(c.key_figure, cell=True)}" if c.key_figure else ""
        source = f"{md_code(c.check_type, cell=True)} **{md_cell(c.verdict)}**{figure}, {source}"
    return f"| {at} | {who} | {what} | {source} |"


def timeline_rows(lines: Iterable[object]) -> Markdown:
    """The table body for ``lines``: one row per line, joined by newlines (no trailing newline).

    The cells are escaped a column at a time (:func:`~runbook.report.escape.md_inline_many`,
    the same text as ``md_cell`` one by one); a citation's code spans and verdict, which repeat
    along a walk, are escaped once each. Raises ``TypeError`` for anything but
    :class:`TimelineEntry` (the filter reads their fields directly, outside the sandbox's
    attribute check).
    """
    entries: list[TimelineEntry] = []
    for t in lines:
        if type(t) is not TimelineEntry:
            raise TypeError(f"timeline_rows takes the timeline's lines, not {type(t).__name__}")
        entries.append(t)
    # Column by column: a character absent from a column (most are from the times and sources)
    # costs one scan of that column, not a copy of the whole table.
    ats, authors, texts, sources = (md_inline_many(list(map(field, entries))) for field in _CELLS)
    codes: dict[str, str] = {}
    verdicts: dict[str, str] = {}

    def code(text: str) -> str:  # md_code(text, cell=True): the same for the same text
        if type(text) is not str:
            return md_code(text, cell=True)
        out = codes.get(text)
        if out is None:
            out = codes[text] = md_code(text, cell=True)
        return out

    def verdict(text: str) -> str:  # md_cell: plain str only (trusted Markdown prints as it is)
        if type(text) is not str:
            return md_cell(text)
        out = verdicts.get(text)
        if out is None:
            out = verdicts[text] = md_cell(text)
        return out

    rows = []
    for t, at, who, what, source in zip(entries, ats, authors, texts, sources, strict=True):
        if t.automatic:
            who += " (auto)"
        if t.undone:
            what = f"~~{what}~~ (undone)"
        c = t.citation
        if c is not None:
            figure = f" {code(c.key_figure)}" if c.key_figure else ""
            source = f"{code(c.check_type)} **{verdict(c.verdict)}**{figure}, {source}"
        rows.append(f"| {at} | {who} | {what} | {source} |")
    return Markdown("\n".join(rows))


#: The escaped cells of a row, in order.
_CELLS = tuple(map(attrgetter, ("at", "author", "text", "source")))


def diagnosis_items(steps: Iterable[object]) -> Markdown:
    """The diagnosis path's list, built in Python as the shipped template's loop printed it
    (kept in the template's comment for team templates): a step line, then its verdicts, notes,
    conclusion and choice as nested items. Every user field is escaped as the template's
    ``finalize`` and ``code`` filter did. Only :class:`DiagnosisStep` values are accepted."""
    items = list(steps)
    # Every plain text the list prints, escaped in one pass (as ``finalize`` does one by one).
    texts: list[str] = []
    for s in items:
        if type(s) is DiagnosisStep:
            texts += (s.entered, s.author, s.conclusion, ", ".join(s.rules), s.choice)
            texts += (x for c in s.verdicts for x in (c.verdict, c.summary))
            texts += (x for n in s.notes for x in (n.text, n.author))
    plain = [x for x in texts if type(x) is str]
    cache = dict(zip(plain, md_inline_many(plain), strict=True))

    def e(text: str) -> str:  # finalize: plain text printed by ``{{ }}``; trusted Markdown kept
        return cache[text] if type(text) is str else md_inline(text)

    codes: dict[str, str] = {}

    def code(text: str) -> str:  # ``code`` filter: node and check names repeat along a walk
        out = codes.get(text)
        if out is None:
            out = codes[text] = md_code(text)
        return out

    out: list[str] = []
    for s in items:
        head, subs = step_lines(s, e, code, _md_strong, _md_strike, '"')
        out.append(f"- {head}")
        out += (f"  - {x}" for x in subs)
    return Markdown("\n".join(out))


def _md_strong(text: str) -> str:
    return f"**{text}**"


def _md_strike(text: str) -> str:
    return f"~~{text}~~"


def step_lines(
    s: object,
    e: Callable[[str], str],
    code: Callable[[str], str],
    strong: Callable[[str], str],
    strike: Callable[[str], str],
    quote: str,
) -> tuple[str, list[str]]:
    """One diagnosis step as its head line and nested lines, in the words both documents print.

    The Markdown list (:func:`diagnosis_items`) and the HTML one
    (:meth:`runbook.report.html_render.HtmlFilters.diagnosis_items`) differ only in markup:
    ``e`` escapes plain text, ``code`` makes a code span, ``strong`` / ``strike`` mark a verdict
    and an undone step, ``quote`` is the quotation mark around a choice. Raises ``TypeError`` for
    anything but a :class:`DiagnosisStep` (the fields are read outside the sandbox's check).
    """
    if type(s) is not DiagnosisStep:
        raise TypeError(f"diagnosis_items takes the diagnosis steps, not {type(s).__name__}")
    node = code(f"{s.playbook_id}#{s.node_id}")
    if s.undone:
        head = f"{strike(f'Step {s.seq}: {node}')} (undone: kept for the record, not part of the path)"
    else:
        head = f"Step {s.seq}: {node}"
    if s.entered:
        head += f" at {e(s.entered)}"
    if s.author:
        head += f" ({e(s.author)})"
    subs: list[str] = []
    for c in s.verdicts:
        line = f"check {code(c.check_type)}: {strong(e(c.verdict))}"
        if c.key_figure:
            line += f" ({code(c.key_figure)})"
        if c.summary:
            line += f": {e(c.summary)}"
        subs.append(line)
    for n in s.notes:
        line = str(e(n.text))
        if n.author:
            line += f" ({e(n.author)})"
        if s.undone:
            line += ": written before the undo, still evidence"
        subs.append(line)
    if s.conclusion or s.rules:
        reached = "conclusion reached, then taken back" if s.undone else "conclusion reached"
        line = f"{reached}: {e(s.conclusion)}"
        if s.rules:
            line += f" (rules: {e(', '.join(s.rules))})"
        subs.append(line)
    if s.choice:
        who = "the check verdict chose" if s.automatic else "the responder chose"
        line = f"{who} {quote}{e(s.choice)}{quote}"
        if s.next_node_id:
            line += f", next {code(s.next_node_id)}"
        subs.append(line)
    return head, subs


def note_items(notes: Iterable[object]) -> Markdown:
    """A tagged-findings list (what went well, wrong, lucky): ``- text (author, time)`` per note,
    as ``_notes.md.j2``'s loop printed it (kept in its comment), escaped in one pass.
    Only :class:`Note` values are accepted."""
    items: list[Note] = []
    for n in notes:
        if type(n) is not Note:
            raise TypeError(f"note_items takes notes, not {type(n).__name__}")
        items.append(n)
    texts = [x for n in items for x in (n.text, n.author, n.at)]
    plain = [x for x in texts if type(x) is str]
    cache = dict(zip(plain, md_inline_many(plain), strict=True))

    def e(text: str) -> str:
        return cache[text] if type(text) is str else md_inline(text)

    out = []
    for n in items:
        line = f"- {e(n.text)}"
        if n.author or n.at:
            sep = ", " if n.author and n.at else ""
            line += f" ({e(n.author)}{sep}{e(n.at)})"
        out.append(line)
    return Markdown("\n".join(out))
