"""Ask where to write the postmortem: a path, proposed in the export directory, that the
responder can change before anything is written (the modal returns it, or None)."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

FORMATS = {"md": "Markdown", "html": "HTML"}


def default_export_path(export_dir: Path | None, incident_id: int, fmt: str) -> Path:
    """``INC-0001-postmortem.md`` in the configured export directory (else the working one)."""
    return (export_dir or Path.cwd()) / f"INC-{incident_id:04d}-postmortem.{fmt}"


def path_problem(path: Path) -> str:
    """Why ``path`` cannot be written to, or an empty string."""
    if path.is_dir():
        return f"{path} is a directory: add a file name"
    if not path.parent.is_dir():
        return f"no directory {path.parent}: create it first, or choose another"
    return ""


class ExportScreen(ModalScreen[Path | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, proposed: Path, fmt: str) -> None:
        super().__init__()
        self.proposed = proposed
        self.fmt = fmt
        self._confirm_overwrite: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Label(f"[b]Export the postmortem as {FORMATS[self.fmt]}[/b] to:")
            yield Input(str(self.proposed), id="export-to")
            yield Static("[dim]enter writes · escape cancels[/dim]", id="export-note")

    @on(Input.Submitted, "#export-to")
    def submit(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if not path.is_absolute():
            path = Path.cwd() / path
        note = self.query_one("#export-note", Static)
        problem = path_problem(path) if event.value.strip() else "give a file path"
        if problem:
            note.update(f"[red]{problem}[/]")
            return
        if path.exists() and self._confirm_overwrite != path:
            self._confirm_overwrite = path
            note.update(f"[yellow]{path.name} exists: enter again replaces it[/]")
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
