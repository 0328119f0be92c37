"""Escaping of user text for each place a postmortem prints it.

A note is user text: ``# heading``, ``|``, backticks, HTML or ``{{ jinja }}`` inside it must
stay inside its section and read as text, on GitHub (which renders inline HTML), in
markdown-it (our HTML export) and in a terminal. Each function here is for one context:

- :func:`md_inline`: one line of running text (list items, headers); newlines fold to spaces.
- :func:`md_block`: paragraphs (summary, impact); blank lines separate paragraphs.
- :func:`md_cell`: a GFM table cell (same as inline; ``|`` is escaped there too).
- :func:`md_code`: a code span (backtick fence longer than any run inside; ``|`` escaped for cells).
- :func:`md_fence`: a fenced block (evidence excerpts), the fence longer than any inside.

Escaping is backslash-escaping of ASCII punctuation, which CommonMark defines for every
punctuation character, so the escaped text renders as exactly the characters typed. Only the
characters that can start syntax are escaped, to keep the Markdown readable in a terminal.
Jinja syntax needs nothing: user text is only ever a value, never a template.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from runbook.report.context import Markdown

# Control characters other than whitespace are dropped: they render as nothing useful anywhere.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# At the start of a line these begin a list item, block quote, setext underline or heading.
_LINE_START = re.compile(r"^(?:[-+=]|\d{1,9}[.)])")


# The characters that open Markdown or HTML syntax anywhere in a line: ``&``
# starts entities, ``<`` raw HTML and autolinks, ``~`` strikethrough, ``|`` table cells, ``#``
# headings (harmless mid-line, but escaping it everywhere is simpler than knowing where a line
# starts); and underscores unless both neighbours are alphanumeric ("[^\W_]": a word character that is not "_"). Intra-word underscores never
# make emphasis (CommonMark 6.2), so snake_case stays readable in a terminal.
#
# Done as chained ``str.replace`` (C speed, skipped when the character is absent) rather than one
# regex substitution: a 10,000-line timeline escapes ~40,000 cells, and ``re.sub`` with a group
# reference expands its template in Python for every match. The backslash goes first so the
# backslashes added for the others are not escaped again. Only underscores need their
# neighbours; escaping the other characters first leaves an underscore's neighbours in the
# same class (word or not), so the underscore pass gives what one combined pass would.
_ALWAYS = "\\`*[]<>#|~&"
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")


def _escape_chars(text: str) -> str:
    for ch in _ALWAYS:
        if ch in text:
            text = text.replace(ch, "\\" + ch)
    if "_" in text:
        text = _escape_underscores(text)
    return text


def _escape_underscores(text: str) -> str:
    """``_UNDERSCORE.sub(r"\\_", text)``: every underscore escaped (C-speed ``str.replace``),
    then the intra-word ones put back. The regex that finds those starts with the literal
    ``\\_``, so ``re`` skips to the underscores instead of testing every position of a
    megabyte-long table; ``[^\\W_]`` is exactly ``str.isalnum``. An underscore whose
    neighbour is another underscore keeps its escape: that neighbour is now a backslash."""
    return _INTRA_WORD.sub("_", text.replace("_", "\\_"))


_INTRA_WORD = re.compile(r"\\_(?<=[^\W_]\\_)(?=[^\W_])")


#: First characters of the line-start markers above; other lines skip the regex.
_MARKER_FIRST = frozenset("-+=0123456789")


def _escape_line(line: str) -> str:
    line = line.strip()
    m = _LINE_START.match(line) if line[:1] in _MARKER_FIRST else None
    if m:
        # "1." -> "1\.", "-" -> "\-": the marker reads the same but starts no block.
        marker = m.group(0)
        return marker[:-1] + "\\" + marker[-1] + _escape_chars(line[len(marker) :])
    return _escape_chars(line)


def _drop_controls(s: str) -> str:
    # Printable text has no control characters (they are all non-printable): skip the regex.
    return s if s.isprintable() else _CONTROL.sub("", s)


def _clean(text: object) -> str:
    if text is None:
        return ""
    s = str(text)
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    return _drop_controls(s)


_EMPTY = Markdown("")


def md_inline(text: object) -> Markdown:
    """One line of running text: whitespace (newlines too) folds to single spaces.

    Trusted :class:`Markdown` (knowledge-base text) keeps its syntax and is only folded.
    """
    if isinstance(text, Markdown):
        return Markdown(" ".join(text.split()))
    # Carriage returns need no translation here: they fold like any whitespace.
    s = " ".join((_drop_controls(text) if type(text) is str else _clean(text)).split())
    return Markdown(_escape_line(s)) if s else _EMPTY


def md_inline_many(texts: Iterable[object]) -> list[str]:
    """:func:`md_inline` of each of ``texts`` (as plain ``str``, for assembling table rows),
    escaped in bulk: what a 10,000-row table needs.

    The plain strings are joined by newlines into one text whose lines are the cells: when no cell needs folding (no
    newline, tab, control character, double or edge space; one regex scan tells), the character
    escapes run once over that text (C-speed ``str.replace``; the underscore rule sees a newline
    as the non-word neighbour a cell's start or end is) and one multi-line regex escapes the
    list and heading markers at line starts. Otherwise each cell is folded first, as
    :func:`md_inline` does. Anything but a plain ``str`` (trusted :class:`Markdown`, numbers)
    takes :func:`md_inline` itself. Tests compare the two on hostile text.
    """
    items = list(texts)
    plain = [t for t in items if type(t) is str]
    if len(plain) == len(items):
        return _escape_cells(plain)
    escaped = iter(_escape_cells(plain))
    return [next(escaped) if type(t) is str else md_inline(t) for t in items]


#: Every character ``str.isspace`` is true for but the space and the newline (CPython's
#: ``Py_UNICODE_ISSPACE``; a test compares it with ``isspace`` over all of Unicode).
OTHER_WHITESPACE = (
    "\t\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: What folding changes in a cell besides runs of spaces: :data:`_CONTROL`'s characters and
#: :data:`OTHER_WHITESPACE` (a test checks both against the regex and ``isspace``).
_FOLDED = "".join(dict.fromkeys([*(chr(c) for c in [*range(0x09), *range(0x0E, 0x20), 0x7F]), *OTHER_WHITESPACE]))


def _irregular(text: str) -> bool:
    """Whether a cell of ``text`` (one per line) needs folding: whitespace other than single
    spaces between words, or a control character. One-character ``in`` tests (``memchr``, false
    at once for a character above the text's widest) rather than ``isprintable``, which looks
    every character up."""
    return (
        "  " in text
        or " \n" in text
        or "\n " in text
        or text.startswith(" ")
        or text.endswith(" ")
        or any(ch in text for ch in _FOLDED)
    )


#: :data:`_LINE_START` after a newline, with its first character from :data:`_MARKER_FIRST` as
#: :func:`_escape_line` requires (ASCII digit first). The regex starts with a literal, so ``re``
#: skips from newline to newline; a ``^`` with ``re.MULTILINE`` is tried at every position.
_MARKER_AFTER_NEWLINE = re.compile(r"\n([-+=]|[0-9]\d{0,8}[.)])")


def _escape_cells(cells: list[str]) -> list[str]:
    text = "\n".join(cells)
    if text.count("\n") != len(cells) - 1 or _irregular(text):
        text = "\n".join(" ".join(_drop_controls(c).split()) for c in cells)
    text = _escape_chars(text)
    # "1." -> "1\.", "-" -> "\-" (markers hold no escaped character, so escaping first changes nothing)
    first = _LINE_START.match(text) if text[:1] in _MARKER_FIRST else None
    if first:
        marker = first.group(0)
        text = marker[:-1] + "\\" + text[len(marker) - 1 :]
    text = _MARKER_AFTER_NEWLINE.sub(_escape_marker, text)
    return text.split("\n") if cells else []


def _escape_marker(m: re.Match[str]) -> str:
    marker = m.group(1)
    return "\n" + marker[:-1] + "\\" + marker[-1]


#: A GFM table cell: inline text; ``|`` is escaped and newlines folded, so nothing breaks the row.
#: (The same function, not a wrapper: a 10,000-event timeline calls it 40,000 times.)
md_cell = md_inline


def md_block(text: object) -> Markdown:
    """Paragraphs of user text; every line escaped, blank lines kept as paragraph breaks."""
    if isinstance(text, Markdown):
        return Markdown(text.strip())
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in _clean(text).split("\n"):
        if raw.strip():
            current.append(_escape_line(" ".join(raw.split())))
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return Markdown("\n\n".join(paragraphs))


def _longest_run(text: str, ch: str) -> int:
    runs = re.findall(re.escape(ch) + "+", text)
    return max((len(r) for r in runs), default=0)


def md_code(text: object, *, cell: bool = False) -> Markdown:
    """A code span around ``text`` that no backtick inside can close early."""
    s = " ".join(_clean(text).split())
    if not s:
        return Markdown("")
    fence = "`" * (_longest_run(s, "`") + 1) if "`" in s else "`"
    if s.startswith("`") or s.endswith("`"):
        s = f" {s} "
    if cell:
        # GFM splits table rows on unescaped pipes before it sees code spans.
        s = s.replace("|", "\\|")
    return Markdown(f"{fence}{s}{fence}")


def md_fence(text: object, lang: str = "") -> Markdown:
    """A fenced code block: the fence is longer than any backtick run in the text."""
    s = _clean(text).rstrip("\n")
    fence = "`" * max(3, _longest_run(s, "`") + 1)
    lang = re.sub(r"[^A-Za-z0-9_+-]", "", lang)
    return Markdown(f"{fence}{lang}\n{s}\n{fence}")


_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^( {0,3})(#{1,6})(?=\s|$)")


def demote_headings(markdown: str, levels: int) -> Markdown:
    """Push every ATX heading of trusted Markdown down ``levels`` (capped at ``######``).

    A rule's sections are embedded under the postmortem's own headings; without this a
    ``## Fix`` inside them would end the "Root causes" section.
    """
    out: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        m = _FENCE_OPEN.match(line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
            fence = None
        elif fence is None:
            h = _ATX.match(line)
            if h:
                depth = min(6, len(h.group(2)) + levels)
                line = h.group(1) + "#" * depth + line[h.end() :]
        out.append(line)
    return Markdown("\n".join(out))
