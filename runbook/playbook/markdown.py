"""The markdown-it-py set-up shared by everything that reads playbooks and knowledge records.

CommonMark plus front matter, block attributes (``{#id}`` on the line before a heading) and a
small core rule that takes a trailing ``{#id}`` off a heading's text and makes it the heading's
``id`` attribute (the kramdown/pandoc spelling, which reads naturally in a heading).
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.front_matter import front_matter_plugin


def _heading_ids(state: StateCore) -> None:
    tokens = state.tokens
    for i, tok in enumerate(tokens):
        if tok.type != "heading_open" or i + 1 >= len(tokens):
            continue
        inline = tokens[i + 1]
        if not inline.children:
            continue
        last = inline.children[-1]
        if last.type != "text":
            continue
        text = last.content.rstrip()
        if not text.endswith("}"):
            continue
        start = text.rfind("{#")
        if start < 0:
            continue
        ident = text[start + 2 : -1].strip()
        if not ident or any(c.isspace() for c in ident):
            continue
        tok.attrs["id"] = ident
        last.content = text[:start].rstrip()
        inline.content = inline.content.rstrip()[: -(len(text) - start)].rstrip()


def heading_ids_plugin(md: MarkdownIt) -> None:
    md.core.ruler.push("heading_ids", _heading_ids)


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """The shared parser (building one costs more than parsing a small file)."""
    return (
        MarkdownIt("commonmark")
        .use(front_matter_plugin)
        .use(attrs_block_plugin)
        .use(heading_ids_plugin)
        .enable("table")
    )
