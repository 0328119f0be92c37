"""Rendering a postmortem: the one path ``runbook export``, the UI's preview and the drills take.

The knowledge base comes from the loaded content (never re-read from disk here), the team's
templates from the settings, the record from a session of its own.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
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


def postmortem_context(
    services: Services, incident: int | str, *, tz: str = "UTC", max_events: int | None = None
) -> PostmortemContext:
    """The incident's context; "generated" is the services' clock (a fixed one in tests)."""
    knowledge = services.content.knowledge
    with services.session() as session:
        return build_context(
            incident,
            session=session,
            knowledge=knowledge,
            tz=tz,
            now=services.clock(),
            links=knowledge_links(services),
            max_events=max_events,
        )


#: What a preview shows of the parts that grow with the record. A terminal's Markdown widget
#: builds a widget per table row and list item: 10,000 of them froze the UI for seconds, and
#: nobody reads 10,000 rows in a preview. The export has everything.
PREVIEW_EVENTS = 40
PREVIEW_STEPS = 15
PREVIEW_NOTES = 10


@dataclass(frozen=True)
class Preview:
    """A postmortem cut for the UI's preview, and what the cut left out."""

    text: str
    """Markdown: the document with the first events and steps, each cut section saying so."""
    events: int
    """Timeline events in the record (the preview shows at most :data:`PREVIEW_EVENTS`)."""
    events_shown: int
    steps: int
    steps_shown: int
    notes: int
    """Tagged findings (went well, went wrong, lucky) in the record."""
    notes_shown: int

    @property
    def cut(self) -> bool:
        return (self.events, self.steps, self.notes) != (self.events_shown, self.steps_shown, self.notes_shown)


def postmortem_preview(
    services: Services,
    incident: int | str,
    *,
    max_events: int = PREVIEW_EVENTS,
    max_steps: int = PREVIEW_STEPS,
    max_notes: int = PREVIEW_NOTES,
) -> Preview:
    """The postmortem as the UI previews it: every section, the long ones cut to their first
    lines (the document says how many more there are). Blocking: call it from a worker thread."""
    # Only the first events are read: a 10,000-event record costs the preview what 200 do (the
    # read runs in a UI thread, and a long one starves the event loop of the interpreter lock).
    ctx = postmortem_context(services, incident, max_events=max_events)
    notes = (ctx.went_well, ctx.went_wrong, ctx.lucky)
    cut = dataclasses.replace(
        ctx,
        diagnosis=ctx.diagnosis[:max_steps],
        diagnosis_omitted=max(0, len(ctx.diagnosis) - max_steps),
        went_well=ctx.went_well[:max_notes],
        went_wrong=ctx.went_wrong[:max_notes],
        lucky=ctx.lucky[:max_notes],
    )
    return Preview(
        text=_text(services, cut, fmt="md", template=None),
        events=len(ctx.timeline) + ctx.timeline_omitted,
        events_shown=len(ctx.timeline),
        steps=len(ctx.diagnosis),
        steps_shown=len(cut.diagnosis),
        notes=sum(len(n) for n in notes),
        notes_shown=len(cut.went_well) + len(cut.went_wrong) + len(cut.lucky),
    )


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
