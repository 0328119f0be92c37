"""Ask for the variables a node's checks need (a modal that returns the values, or None)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from runbook.playbook.model import Variable
from runbook.playbook.variables import variable_problem

if TYPE_CHECKING:
    from collections.abc import Iterable

    from runbook.walk.state import NeededVariable


class VariablesScreen(ModalScreen["dict[str, str] | None"]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, needed: Iterable[NeededVariable]) -> None:
        super().__init__()
        self.needed = list(needed)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="variables-box"):
            yield Static("[b]The checks need these values[/b]")
            for var in self.needed:
                yield Label(f"{var.name}: {var.description}")
                # an example, said to be one: a placeholder that looks like a value is mistaken for it
                yield Input(placeholder=f"e.g. {var.example}" if var.example else "", id=f"need-{var.name}")
            yield Static("", id="variables-errors")
            yield Button("Run the checks", variant="primary", id="variables-ok")

    @on(Input.Submitted)
    @on(Button.Pressed, "#variables-ok")
    def submit(self) -> None:
        values, problems = {}, []
        for var in self.needed:
            value = self.query_one(f"#need-{var.name}", Input).value.strip()
            problem = variable_problem(Variable(var.name, var.description, var.example), value)
            if problem:
                problems.append(problem)
            values[var.name] = value
        if problems:
            self.query_one("#variables-errors", Static).update("\n".join(f"• {p}" for p in problems))
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
