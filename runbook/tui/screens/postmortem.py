"""Postmortem preview (rendered Markdown) and export to a file, with the path shown."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, MarkdownViewer, Static

from runbook.tui.app import services_of


def default_export_path(incident_id: int, fmt: str) -> Path:
    return Path.cwd() / f"postmortem-INC-{incident_id:04d}.{fmt}"


class PostmortemScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("w", "export('md')", "Export .md"),
        Binding("ctrl+h", "export('html')", "Export .html"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="export-path")
        yield MarkdownViewer("Rendering the postmortem…", id="postmortem", show_table_of_contents=False)
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="pm-render", exit_on_error=False)
    def load(self) -> None:
        text = services_of(self).render_postmortem(self.incident_id, fmt="md")
        self.app.call_from_thread(self.query_one("#postmortem", MarkdownViewer).document.update, text)

    def action_export(self, fmt: str) -> None:
        self.export(fmt)

    @work(thread=True, exclusive=True, group="pm-export", exit_on_error=False)
    def export(self, fmt: str) -> None:
        path = default_export_path(self.incident_id, fmt)
        text = services_of(self).render_postmortem(self.incident_id, fmt=fmt)
        path.write_text(text, encoding="utf-8")
        self.app.call_from_thread(self.exported, path)

    def exported(self, path: Path) -> None:
        self.query_one("#export-path", Static).update(f"written: {path}")
        self.notify(str(path), title="Postmortem exported")
