"""The postmortem as HTML, rendered directly from the context (``postmortem.html.j2``).

Re-parsing a 10,000-event Markdown document with markdown-it took seconds; the HTML template
prints the same sections and words from the same :class:`PostmortemContext` in a fraction of
that. The two documents carry the same content: ``tests/report/test_html_direct.py`` compares
the text of this page with the text of the Markdown rendered by markdown-it.

Escaping is HTML's: the environment autoescapes every printed value, and its ``finalize`` first
folds whitespace and drops control characters, as the Markdown escaping does, so both documents
read the same words. Trusted Markdown (knowledge-base text: a rule's anti-pattern and fix with
their Go code) is rendered by markdown-it (``html=False``, so even trusted text cannot inject
markup); it is small. The timeline's rows and the diagnosis path are built in Python, as for
Markdown (:mod:`runbook.report.rows`).

Headings get GitHub's anchors (the Markdown's links point at them), numbered across the page
(``failure-mode``, ``failure-mode-1`` ...) by one counter the template and the trusted
Markdown's headings share, in document order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from functools import lru_cache
from html import escape

from jinja2 import PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup

from runbook.report.context import Markdown, PostmortemContext, TimelineEntry
from runbook.report.escape import _clean, _drop_controls, demote_headings
from runbook.report.html import STYLESHEET
from runbook.report.links import slug
from runbook.report.rows import step_lines

#: The shipped HTML template.
HTML_TEMPLATE = "postmortem.html.j2"


def _fold(text: object) -> str:
    """The words of one line of user text, as :func:`~runbook.report.escape.md_inline` keeps them."""
    s = text if type(text) is str else _clean(text)
    return " ".join(_drop_controls(s).split())


class _Page:
    """One page's heading anchors and trusted-Markdown renderer (the anchors' counter is per page)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
        self.parser.core.ruler.push("heading_ids", self._heading_ids)

    def hid(self, text: object) -> str:
        base = slug(_fold(text))
        n = self.seen.get(base, 0)
        self.seen[base] = n + 1
        return base if n == 0 else f"{base}-{n}"

    def _heading_ids(self, state: StateCore) -> None:
        tokens = state.tokens
        for i, token in enumerate(tokens):
            if token.type != "heading_open" or i + 1 >= len(tokens):
                continue
            children = tokens[i + 1].children or ()
            token.attrSet("id", self.hid("".join(c.content for c in children if c.type in ("text", "code_inline"))))

    def block(self, text: object) -> Markup:
        """Paragraphs of user text (blank lines separate them); trusted Markdown rendered."""
        if isinstance(text, Markdown):
            return Markup(self.parser.render(text.strip()))
        paragraphs: list[str] = []
        current: list[str] = []
        for raw in _clean(text).split("\n"):
            if raw.strip():
                current.append(escape(" ".join(raw.split()), quote=False))
            elif current:
                paragraphs.append("\n".join(current))
                current = []
        if current:
            paragraphs.append("\n".join(current))
        return Markup("".join(f"<p>{p}</p>\n" for p in paragraphs))

    def md(self, text: object, levels: int = 0) -> Markup:
        """Trusted Markdown as HTML, headings pushed down ``levels``; user text escaped as a block."""
        if not isinstance(text, Markdown):
            return self.block(text)
        return Markup(self.parser.render(demote_headings(text, levels) if levels else text))

    def inline(self, text: object) -> Markup:
        """One line: trusted Markdown rendered inline (whitespace folded), user text escaped."""
        if isinstance(text, Markdown):
            return Markup(self.parser.renderInline(" ".join(text.split())))
        return Markup(escape(_fold(text), quote=False))

    def timeline_rows(self, lines: Iterable[object]) -> Markup:
        """The timeline's ``<tr>`` rows, one per line, cells as the Markdown table's."""
        cells: dict[str, str] = {}  # authors, kinds and verdicts repeat

        def cell(text: object) -> str:
            if type(text) is not str:
                return str(self.inline(text))
            out = cells.get(text)
            if out is None:
                out = cells[text] = escape(_fold(text), quote=False)
            return out

        rows = []
        for t in lines:
            if type(t) is not TimelineEntry:
                raise TypeError(f"timeline_rows takes the timeline's lines, not {type(t).__name__}")
            who = cell(t.author) + " (auto)" if t.automatic else cell(t.author)
            what = f"<s>{cell(t.text)}</s> (undone)" if t.undone else cell(t.text)
            backed = cell(t.source)
            c = t.citation
            if c is not None:
                figure = f" {code(c.key_figure)}" if c.key_figure else ""
                backed = f"{code(c.check_type)} <strong>{cell(c.verdict)}</strong>{figure}, {backed}"
            rows.append(f"<tr><td>{cell(t.at)}</td><td>{who}</td><td>{what}</td><td>{backed}</td></tr>")
        return Markup("\n".join(rows))

    def diagnosis_items(self, steps: Iterable[object]) -> Markup:
        """The diagnosis path's ``<li>`` items, as the Markdown's list."""
        e = self.inline
        out: list[str] = []
        for s in steps:
            head, sub = step_lines(s, e, code, _strong, _strike, "&quot;")
            items = "".join(f"<li>{x}</li>\n" for x in sub)
            out.append(f"<li>{head}\n<ul>\n{items}</ul>\n</li>" if sub else f"<li>{head}</li>")
        return Markup("\n".join(out))


def _strong(text: str) -> str:
    return f"<strong>{text}</strong>"


def _strike(text: str) -> str:
    return f"<s>{text}</s>"


def code(text: object) -> Markup:
    """An inline code span of user text (whitespace folded, as the Markdown's code spans)."""
    return Markup(f"<code>{escape(_fold(text), quote=False)}</code>")


def fence(text: object, lang: str = "") -> Markup:
    """A code block, the text kept line for line (as the Markdown's fenced block)."""
    s = _clean(text).rstrip("\n")
    cls = "".join(ch for ch in lang if ch.isalnum() or ch in "_+-")
    attr = f' class="language-{cls}"' if cls else ""
    return Markup(f"<pre><code{attr}>{escape(s, quote=False)}\n</code></pre>")


#: Inline rendering of trusted Markdown in ``finalize`` (no headings inline: no anchors to count).
_INLINE = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough"])


def _finalize(value: object) -> object:
    if isinstance(value, Markup):
        return value
    if isinstance(value, Markdown):
        return Markup(_INLINE.renderInline(value))
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, str):
        return _fold(value)  # autoescape escapes it next
    return value


def _per_page(name: str) -> Callable[..., Markup]:
    """A filter calling the page's own method (the page travels with the render's variables, so
    concurrent renders, e.g. a UI preview and an export in two threads, never share a counter)."""

    @pass_context
    def call(context: Context, *args: object) -> Markup:
        method: Callable[..., Markup] = getattr(context["page_state"], name)
        return method(*args)

    return call


@lru_cache(maxsize=1)
def html_environment() -> ImmutableSandboxedEnvironment:
    """The sandboxed, autoescaping environment of the shipped HTML template (compiled once)."""
    from runbook.report.render import PostmortemSandbox, _url

    env = PostmortemSandbox(
        loader=PackageLoader("runbook.report", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        code=code,
        fence=fence,
        url=_url,
        **{name: _per_page(method) for name, method in _PAGE_FILTERS.items()},
    )
    return env


_PAGE_FILTERS = {
    "block": "block",
    "md": "md",
    "md_inline": "inline",
    "timeline_rows": "timeline_rows",
    "diagnosis_items": "diagnosis_items",
}


def render_html(ctx: PostmortemContext) -> str:
    """The standalone HTML page for ``ctx`` through the shipped HTML template."""
    from runbook.report.render import TemplateError

    page = _Page()
    fields = {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx)}
    try:
        tmpl = html_environment().get_template(HTML_TEMPLATE)
        return tmpl.render({"pm": ctx, **fields, "page_state": page, "hid": page.hid, "stylesheet": Markup(STYLESHEET)})
    except Exception as exc:  # the shipped template: any failure is a bug, reported as one
        raise TemplateError(f"{HTML_TEMPLATE}: {type(exc).__name__}: {exc}") from exc
