"""Read rendered Markdown back with markdown-it-py: headings, per-section text, tables."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token


def parser(*, html: bool = False) -> MarkdownIt:
    """GFM-like: tables and strikethrough; ``html=True`` behaves like GitHub (raw HTML allowed)."""
    return MarkdownIt("commonmark", {"html": html}).enable(["table", "strikethrough"])


def headings(md: str, max_level: int = 2) -> list[tuple[int, str]]:
    tokens = parser().parse(md)
    out = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and int(tok.tag[1]) <= max_level:
            out.append((int(tok.tag[1]), _inline_text(tokens[i + 1])))
    return out


def _inline_text(tok: Token) -> str:
    parts = []
    for child in tok.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def section_texts(md: str, level: int = 2) -> dict[str, str]:
    """Heading text -> the plain text (as a reader sees it) of everything until the next heading
    of ``level`` or above. Code blocks count as text."""
    out: dict[str, list[str]] = {}
    current = "(preamble)"
    tokens = parser().parse(md)
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and int(tok.tag[1]) <= level:
            current = tokens[i + 1].content
            out.setdefault(current, [])
            continue
        if tok.type == "inline" and not (
            i and tokens[i - 1].type == "heading_open" and int(tokens[i - 1].tag[1]) <= level
        ):
            out.setdefault(current, []).append(_inline_text(tok))
        elif tok.type in ("fence", "code_block"):
            out.setdefault(current, []).append(tok.content)
    return {k: "\n".join(v) for k, v in out.items()}


@dataclass
class Table:
    line: int
    raw_cells: list[int]
    """Cell count of each source row (split on unescaped pipes), header and delimiter included."""
    parsed_cells: list[int]


def tables(md: str) -> list[Table]:
    lines = md.split("\n")
    tokens = parser().parse(md)
    found: list[Table] = []
    for i, tok in enumerate(tokens):
        if tok.type != "table_open":
            continue
        start, end = tok.map
        raw = [_raw_cells(lines[n]) for n in range(start, end)]
        parsed, count = [], 0
        for t in tokens[i + 1 :]:
            if t.type == "table_close":
                break
            if t.type == "tr_open":
                count = 0
            elif t.type in ("th_open", "td_open"):
                count += 1
            elif t.type == "tr_close":
                parsed.append(count)
        found.append(Table(start + 1, raw, parsed))
    return found


def _raw_cells(line: str) -> int:
    body = line.strip()
    body = body.removeprefix("|")
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return len(re.split(r"(?<!\\)\|", body))


def all_tokens(md: str, *, html: bool) -> list[Token]:
    out = []
    for tok in parser(html=html).parse(md):
        out.append(tok)
        out.extend(tok.children or ())
    return out
