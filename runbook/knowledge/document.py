"""One knowledge record file split into front matter, body and level-2 sections.

Records are Markdown so that people review them like any document; this module turns a file
into the parts the loader needs, from markdown-it-py's token stream (front matter through
mdit-py-plugins, YAML through PyYAML) rather than regular expressions over the text, and keeps
the line of everything so that errors point at ``path:line``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").use(front_matter_plugin).enable("table")


class DocumentError(Exception):
    """The file cannot be split: no front matter, or front matter that is not a YAML mapping."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class Section:
    """A level-2 section: its heading, its Markdown (heading excluded) and where it starts."""

    title: str
    markdown: str
    line: int
    tokens: tuple[Token, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Document:
    meta: dict[str, Any]
    """The front matter as a mapping."""
    key_lines: dict[str, int]
    """Line (1-based, in the file) of each top-level front-matter key."""
    title: str
    """Text of the level-1 heading, if any."""
    body: str
    """Everything after the front matter."""
    body_line: int
    sections: tuple[Section, ...]


def parse_document(text: str) -> Document:
    """Split a record file; raise DocumentError when the front matter is missing or malformed."""
    md = _parser()
    tokens = md.parse(text)
    if not tokens or tokens[0].type != "front_matter":
        raise DocumentError(1, "no front matter; start the file with YAML between '---' lines")
    fm = tokens[0]
    fm_start = fm.map[0] if fm.map else 0
    meta, key_lines = _front_matter(fm.content, first_line=fm_start + 2)
    lines = text.splitlines(keepends=True)
    body_start = fm.map[1] if fm.map else 0
    body = "".join(lines[body_start:])
    return Document(
        meta=meta,
        key_lines=key_lines,
        title=_h1_title(tokens),
        body=body.lstrip("\n"),
        body_line=body_start + 1,
        sections=_sections(tokens, lines),
    )


def _front_matter(content: str, *, first_line: int) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        node = yaml.compose(content, Loader=yaml.SafeLoader)
        meta = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + (mark.line if mark else 0)
        reason = getattr(exc, "problem", None) or str(exc)
        raise DocumentError(line, f"front matter is not valid YAML ({reason}); fix the YAML syntax") from None
    if not isinstance(meta, dict) or not isinstance(node, yaml.MappingNode):
        raise DocumentError(first_line - 1, "front matter must be a YAML mapping of keys (id: ..., title: ...)")
    key_lines = {str(k.value): first_line + k.start_mark.line for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    return {str(k): v for k, v in meta.items()}, key_lines


def _h1_title(tokens: list[Token]) -> str:
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag == "h1":
            return tokens[i + 1].content.strip()
    return ""


def _sections(tokens: list[Token], lines: list[str]) -> tuple[Section, ...]:
    """Level-2 sections, each running to the next level-1 or level-2 heading."""
    starts: list[tuple[int, str, int]] = []  # (token index, title, heading line index)
    bounds: list[int] = []  # line indexes where a level-1/2 heading starts
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag in ("h1", "h2") and tok.map:
            bounds.append(tok.map[0])
            if tok.tag == "h2":
                starts.append((i, tokens[i + 1].content.strip(), tok.map[0]))
    out = []
    for idx, (tok_i, title, line_i) in enumerate(starts):
        end_line = next((b for b in bounds if b > line_i), len(lines))
        next_tok = starts[idx + 1][0] if idx + 1 < len(starts) else len(tokens)
        heading_map = tokens[tok_i].map
        heading_end = heading_map[1] if heading_map else line_i + 1
        markdown = "".join(lines[heading_end:end_line]).strip("\n")
        out.append(Section(title, markdown, line_i + 1, tuple(tokens[tok_i + 3 : next_tok])))
    return tuple(out)


def code_blocks(section: Section, lang: str) -> list[str]:
    """Contents of the fenced code blocks with info string ``lang`` in a section."""
    return [t.content for t in section.tokens if t.type == "fence" and t.info.strip().split(" ")[0] == lang]


def table_rows(section: Section) -> list[tuple[int, list[str]]]:
    """Body rows of the first table in a section, as (line, cell texts)."""
    rows: list[tuple[int, list[str]]] = []
    in_body = False
    current: list[str] | None = None
    line = section.line
    for tok in section.tokens:
        if tok.type == "tbody_open":
            in_body = True
        elif tok.type == "tbody_close":
            break
        elif in_body and tok.type == "tr_open":
            current = []
            line = (tok.map[0] + 1) if tok.map else line
        elif in_body and tok.type == "inline" and current is not None:
            current.append(tok.content.strip())
        elif in_body and tok.type == "tr_close" and current is not None:
            rows.append((line, current))
            current = None
    return rows
