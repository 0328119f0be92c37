"""Rendering a postmortem: the one path ``runbook export``, the UI's preview and the drills take.

The knowledge base comes from the loaded content (never re-read from disk here), the team's
templates from the settings, the record from a session of its own.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

from runbook.report import PostmortemContext, build_context, render_postmortem
from runbook.report.links import KnowledgeLinks

if TYPE_CHECKING:
    from runbook.services.core import ServicesCore as Services

FORMATS = ("md", "html", "json")


def knowledge_links(services: Services) -> KnowledgeLinks:
    """The settings' ``knowledge_url``, else embedded records: never the exporting machine's paths."""
    return KnowledgeLinks(services.settings.knowledge_url)


def postmortem_context(services: Services, incident: int | str, *, tz: str = "UTC") -> PostmortemContext:
    knowledge = services.content.knowledge
    with services.session() as session:
        return build_context(incident, session=session, knowledge=knowledge, tz=tz, links=knowledge_links(services))


def postmortem_text(
    services: Services,
    incident: int | str,
    *,
    fmt: str = "md",
    template: str | Path | None = None,
    tz: str = "UTC",
) -> str:
    ctx = postmortem_context(services, incident, tz=tz)
    return _text(services, ctx, fmt=fmt, template=template)


def knowledge_text(
    services: Services,
    record_id: str,
    *,
    fmt: str = "md",
    template: str | Path | None = None,
) -> str:
    from runbook.report.from_knowledge import context_from_kb

    content = services.content
    links = knowledge_links(services)
    ctx = context_from_kb(record_id, knowledge=content.knowledge, library=content.library, links=links)
    return _text(services, ctx, fmt=fmt, template=template)


def _text(services: Services, ctx: PostmortemContext, *, fmt: str, template: str | Path | None) -> str:
    if fmt == "json":
        return json.dumps(dataclasses.asdict(ctx), indent=2, ensure_ascii=False) + "\n"
    return render_postmortem(ctx, fmt=fmt, template=template, templates_dir=services.settings.templates_dir)
