"""Ask for the variables a node's checks need, or change the ones given (a modal that returns
the values, or None). A value typed wrong at the start (a pasted URL run into the next) is fixed
here from the walk (``v``) instead of being a dead end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from runbook.checks.redact import is_secret_name
from runbook.playbook.model import Variable
from runbook.playbook.variables import variable_problem

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from runbook.walk.state import NeededVariable


class VariablesScreen(ModalScreen["dict[str, str] | None"]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        needed: Iterable[NeededVariable],
        current: Mapping[str, str] | None = None,
        *,
        heading: str = "The checks need these values",
        button: str = "Run the checks",
    ) -> None:
        super().__init__()
        self.needed = list(needed)
        self.current = dict(current or {})
        """Values given so far, shown for editing (secret ones masked)."""
        self.heading = heading
        self.button = button

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="variables-box"):
            yield Static(f"[b]{escape(self.heading)}[/b]")
            for var in self.needed:
                optional = "" if var.required else " (optional)"
                yield Label(f"{var.name}{optional}: {var.description}", classes="var-label")
                # an example, said to be one: a placeholder that looks like a value is mistaken for it
                yield Input(
                    value=self.current.get(var.name, ""),
                    placeholder=f"e.g. {var.example}" if var.example else "",
                    id=f"need-{var.name}",
                    password=is_secret_name(var.name),
                )
            yield Static("", id="variables-errors")
            yield Button(self.button, variant="primary", id="variables-ok")

    def on_mount(self) -> None:
        self.query(Input).first().focus()  # the first value, ready to type or correct

    @on(Input.Submitted)
    @on(Button.Pressed, "#variables-ok")
    def submit(self) -> None:
        values, problems = {}, []
        for var in self.needed:
            value = self.query_one(f"#need-{var.name}", Input).value.strip()
            if not value and not var.required:
                continue  # an optional one left blank: not set
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
