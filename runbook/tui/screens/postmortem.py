"""Postmortem preview (rendered Markdown) and export to a path the responder confirms.

The preview is rendered in a thread worker (record read, template, and Rich's rendering of the
Markdown to lines: ``widgets/rendered_page.py``) while the line above it says "Rendering the
postmortem…"; the event loop only paints the lines in view, so keys stay live. (Textual's
``Markdown`` widget mounted a widget per list item on the loop: seconds of frozen input for the
diagnosis path.) A long incident's preview shows the first events and steps
(``runbook.services.postmortems.postmortem_preview``; the line says how many of how many): nobody
reads a 10,000-row table in a terminal. The export always has everything.

``w`` exports Markdown, ``x`` HTML (both also in the palette): keys that reach the app in tmux and
over ssh, where ``ctrl+h`` arrives as Backspace. The path is asked for every time, proposed as
``INC-0001-postmortem.md`` in the configured export directory, and shown once written.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from runbook.services.postmortems import Preview, postmortem_preview
from runbook.tui.base_app import services_of
from runbook.tui.screens.export import FORMATS, ExportScreen, default_export_path
from runbook.tui.widgets.rendered_page import RenderedPage, render_lines

if TYPE_CHECKING:
    from textual.app import SystemCommand

_EXPORT_KEYS = "w: export Markdown · x: export HTML (asks where)"


def _status(preview: Preview) -> str:
    """The line above the document: the keys, and what a long incident's preview leaves out."""
    if not preview.cut:
        return f"[dim]{_EXPORT_KEYS}[/dim]"
    shown = [f"{preview.events_shown:,} of {preview.events:,} events"]
    if preview.steps_shown < preview.steps:
        shown.append(f"{preview.steps_shown:,} of {preview.steps:,} steps")
    if preview.notes_shown < preview.notes:
        shown.append(f"{preview.notes_shown:,} of {preview.notes:,} tagged findings")
    return f"Preview: the first {', '.join(shown)} · export for all of them ({_EXPORT_KEYS})"


class PostmortemScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("w", "export('md')", "Export .md"),
        Binding("x", "export('html')", "Export .html"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.written: Path | None = None
        """The last file written (tests and the status line read it)."""
        self.preview: Preview | None = None
        """The preview on show, once rendered (None while rendering)."""
        self.ready = False
        """True once the rendered document is on screen (tests and bench/preview.py wait for it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Rendering the postmortem…", id="export-path")
        yield RenderedPage(id="postmortem")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RenderedPage).focus()
        self.load()

    def on_rendered_page_resized(self, event: RenderedPage.Resized) -> None:
        if self.preview is not None:
            self.relayout(self.preview.text, event.width)

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="pm-render", exit_on_error=False)
    def load(self) -> None:
        # The record read and the template run here, off the event loop: keys stay live meanwhile.
        self.app.call_from_thread(self._rendering)
        preview = postmortem_preview(services_of(self), self.incident_id)
        page = self.query_one(RenderedPage)
        width = self.app.call_from_thread(lambda: page.text_width)
        lines = render_lines(preview.text, width)
        self.app.call_from_thread(page.show, preview.text, lines, width)
        self.app.call_from_thread(self._shown, preview)

    @work(thread=True, exclusive=True, group="pm-layout", exit_on_error=False)
    def relayout(self, text: str, width: int) -> None:
        # the terminal was resized: the same document, rendered again at the new width
        lines = render_lines(text, width)
        page = self.query_one(RenderedPage)
        self.app.call_from_thread(page.show, text, lines, width)

    def _rendering(self) -> None:
        self.ready = False
        self.query_one("#export-path", Static).update("Rendering the postmortem…")

    def _shown(self, preview: Preview) -> None:
        self.preview = preview
        self.ready = True
        if self.written is None:
            self.query_one("#export-path", Static).update(_status(preview))

    def action_export(self, fmt: str) -> None:
        proposed = default_export_path(services_of(self).settings.export_dir, self.incident_id, fmt)
        self.app.push_screen(ExportScreen(proposed, fmt), lambda path: self._export_to(path, fmt))

    def _export_to(self, path: Path | None, fmt: str) -> None:
        if path is not None:
            self.export(path, fmt)

    @work(thread=True, exclusive=True, group="pm-export", exit_on_error=False)
    def export(self, path: Path, fmt: str) -> None:
        text = services_of(self).postmortem(self.incident_id, fmt=fmt)
        path.write_text(text, encoding="utf-8")
        self.app.call_from_thread(self.exported, path)

    def exported(self, path: Path) -> None:
        self.written = path
        self.query_one("#export-path", Static).update(f"written: {path}")
        self.notify(str(path), title="Postmortem exported")

    def palette_commands(self) -> Iterator[SystemCommand]:
        from textual.app import SystemCommand

        for fmt, name in FORMATS.items():
            yield SystemCommand(
                f"Export the postmortem as {name}",
                "Asks for the path (proposed in the export directory)",
                lambda fmt=fmt: self.action_export(fmt),
            )
