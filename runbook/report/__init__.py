"""Postmortems from the record: context (pure data) -> sandboxed Jinja2 -> Markdown or HTML.

Public API::

    from runbook.report import build_context, render_postmortem
    ctx = build_context("INC-0007", session=session, knowledge=kb, tz="UTC")   # kb: a KnowledgeBase
    text = render_postmortem(ctx, fmt="md")            # or fmt="html", template=path

``runbook.report.from_knowledge.context_from_kb("P0-1", knowledge=kb)`` builds the same context from a
knowledge-base P0 record (the worked examples in ``docs/examples/``).
"""

from __future__ import annotations

from pathlib import Path

from runbook.report.context import PostmortemContext
from runbook.report.from_record import build_context
from runbook.report.render import DEFAULT_TEMPLATE, TemplateError, render_markdown

FORMATS = ("md", "html")


def render_postmortem(
    ctx: PostmortemContext, *, fmt: str = "md", template: str | Path | None = None, templates_dir: Path | None = None
) -> str:
    """The document for ``ctx`` as Markdown (``md``) or a standalone HTML page (``html``)."""
    if fmt == "html" and template is None and not _team_markdown(templates_dir):
        # The shipped template has an HTML twin: the page is rendered from the context directly
        # (the same content; re-parsing a large Markdown document took seconds).
        from runbook.report.html_render import render_html

        return render_html(ctx)
    text = render_markdown(ctx, template=template, templates_dir=templates_dir)
    if fmt == "html":
        # A team's Markdown template: its words, made into a page by markdown-it.
        from runbook.report.html import to_html

        return to_html(text, title=f"Postmortem {ctx.header.ref}: {ctx.header.title}")
    if fmt != "md":
        raise TemplateError(f"unknown format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    return text


def _team_markdown(templates_dir: Path | None) -> bool:
    """Whether the team's templates directory overrides the shipped Markdown template."""
    return bool(templates_dir and (templates_dir / DEFAULT_TEMPLATE).is_file())


__all__ = [
    "FORMATS",
    "PostmortemContext",
    "TemplateError",
    "build_context",
    "render_postmortem",
]
