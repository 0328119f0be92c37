"""One action item's fields (text, type, owner, due date), as a modal that returns the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from runbook.services.lifecycle import ActionChange
from runbook.tui.widgets.paragraph_field import ParagraphField

TYPES = (("prevent: stop it happening again", "prevent"), ("mitigate: stop the bleeding", "mitigate"))


@dataclass(frozen=True)
class ActionDraft:
    """What the form opens with: a proposal to accept, an item to edit, or nothing (a new one)."""

    title: str
    text: str = ""
    type: str = "prevent"
    owner: str = ""
    due: date | None = None


class ActionFormScreen(ModalScreen[ActionChange | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, draft: ActionDraft) -> None:
        super().__init__()
        self.draft = draft

    def compose(self) -> ComposeResult:
        d = self.draft
        with Vertical(id="action-form"):
            yield Static(f"[b]{d.title}[/b]")
            yield Label("What must be done")
            yield ParagraphField(d.text, placeholder="e.g. one KeepAlive per lease in the shared client", id="af-text")
            with Horizontal(id="af-row"):
                with Vertical():
                    yield Label("Owner")
                    yield Input(d.owner, placeholder="e.g. orders team", id="af-owner")
                with Vertical():
                    yield Label("Due (YYYY-MM-DD)")
                    yield Input(d.due.isoformat() if d.due else "", placeholder="e.g. 2026-04-30", id="af-due")
            yield Select(TYPES, value=d.type, allow_blank=False, id="af-type")
            yield Static("", id="af-errors")
            yield Button("Save (enter)", variant="primary", id="af-save")

    @on(Input.Submitted)
    @on(ParagraphField.Submitted)
    @on(Button.Pressed, "#af-save")
    def submit(self) -> None:
        text = self.query_one("#af-text", ParagraphField).value
        owner = self.query_one("#af-owner", Input).value.strip()
        due_text = self.query_one("#af-due", Input).value.strip()
        type_value = self.query_one("#af-type", Select).value
        problems = [] if text else ["say what must be done"]
        due: date | None = None
        if due_text:
            try:
                due = date.fromisoformat(due_text)
            except ValueError:
                problems.append(f"due date {due_text!r} is not YYYY-MM-DD")
        if problems:
            self.query_one("#af-errors", Static).update("\n".join(f"• {p}" for p in problems))
            return
        self.dismiss(
            ActionChange(
                text=text,
                type=str(type_value) if isinstance(type_value, str) else None,
                owner=owner,
                due=due,
                clear_due=due is None,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
