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

if TYPE_CHECKING:
    from runbook.services.root import Services

FORMATS = ("md", "html", "json")


def postmortem_context(
    services: Services, incident: int | str, *, tz: str = "UTC", link_base: Path | None = None
) -> PostmortemContext:
    knowledge = services.content.knowledge
    with services.session() as session:
        return build_context(incident, session=session, knowledge=knowledge, tz=tz, link_base=link_base)


def postmortem_text(
    services: Services,
    incident: int | str,
    *,
    fmt: str = "md",
    template: str | Path | None = None,
    tz: str = "UTC",
    link_base: Path | None = None,
) -> str:
    ctx = postmortem_context(services, incident, tz=tz, link_base=link_base)
    return _text(services, ctx, fmt=fmt, template=template)


def knowledge_text(
    services: Services,
    record_id: str,
    *,
    fmt: str = "md",
    template: str | Path | None = None,
    link_base: Path | None = None,
) -> str:
    from runbook.report.from_knowledge import context_from_kb

    content = services.content
    ctx = context_from_kb(record_id, knowledge=content.knowledge, library=content.library, link_base=link_base)
    return _text(services, ctx, fmt=fmt, template=template)


def _text(services: Services, ctx: PostmortemContext, *, fmt: str, template: str | Path | None) -> str:
    if fmt == "json":
        return json.dumps(dataclasses.asdict(ctx), indent=2, ensure_ascii=False) + "\n"
    return render_postmortem(ctx, fmt=fmt, template=template, templates_dir=services.settings.templates_dir)
