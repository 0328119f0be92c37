"""The postmortem as one standalone HTML document (markdown-it-py, tables, a small stylesheet).

Raw HTML in the Markdown is *not* passed through (``html=False``): user text is already
escaped by the renderer, and this keeps the export safe even for a team template that
prints something it should not. The stylesheet is built in so the file can be mailed or
attached to a ticket as it is.
"""

from __future__ import annotations

import html

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

from runbook.report.links import slug

STYLESHEET = """
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1, h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
h1 { font-size: 1.9em; } h2 { font-size: 1.45em; margin-top: 2em; } h3 { font-size: 1.2em; }
table { border-collapse: collapse; margin: 1em 0; display: block; overflow-x: auto; }
th, td { border: 1px solid #d1d9e0; padding: .35em .7em; vertical-align: top; text-align: left; }
th { background: #f6f8fa; } tr:nth-child(2n) td { background: #fbfcfd; }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eff1f3;
       padding: .1em .3em; border-radius: 4px; }
pre { background: #f6f8fa; padding: .8em 1em; overflow-x: auto; border-radius: 6px; }
pre code { background: none; padding: 0; }
del { color: #8c959f; }
em { color: #59636e; }
@media print { body { max-width: none; margin: 0; } h2 { break-after: avoid; } }
""".strip()


def markdown_parser() -> MarkdownIt:
    """CommonMark plus GFM tables and strikethrough (undone steps), raw HTML off; every heading
    gets GitHub's anchor as its ``id``, so a document's ``#rule-r1-...`` links work in HTML too."""
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.core.ruler.push("heading_ids", _heading_ids)
    return md


def _heading_ids(state: StateCore) -> None:
    """``id`` on each heading: the slug of its text, ``-1``, ``-2`` ... for repeats (as GitHub does)."""
    seen: dict[str, int] = {}
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i + 1 >= len(tokens):
            continue
        inline = tokens[i + 1]
        text = "".join(c.content for c in inline.children or () if c.type in ("text", "code_inline"))
        base = slug(text)
        n = seen.get(base, 0)
        seen[base] = n + 1
        token.attrSet("id", base if n == 0 else f"{base}-{n}")


def to_html(markdown: str, *, title: str) -> str:
    """A complete HTML5 document for ``markdown``; ``title`` is escaped for the ``<title>``."""
    body = markdown_parser().render(markdown)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{STYLESHEET}\n</style>\n</head>\n"
        f"<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )
