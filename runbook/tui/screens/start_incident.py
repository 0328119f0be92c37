"""Start an incident: what is happening, which playbook, and the endpoints to measure.

Returns the new incident's id (and the playbook to start from) to the app, or None when the
responder backs out. Validation is the domain's (``runbook.playbook.variables``); this screen
only shows the problems next to the fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, Input, Label, Select, SelectionList, Static

from runbook.checks.redact import is_secret_name
from runbook.tui.base_app import runbook_app, services_of

if TYPE_CHECKING:
    from runbook.playbook.library import Library
    from runbook.services.content import Content

SEVERITIES = ("P0", "P1", "P2", "P3", "P4")


@dataclass(frozen=True)
class StartedIncident:
    incident_id: int
    playbook_id: str
    symptoms: tuple[str, ...] = ()
    """What the responder ticked: the walk pre-selects the matching choice of triage's question."""


class StartIncidentScreen(Screen["StartedIncident | None"]):
    """The start form. Typed variable values survive switching playbooks (a variable two
    playbooks share keeps its value), and nothing is written before ``ctrl+s``."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "start", "Start incident", priority=True),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="start-form"):
            yield Label("Title (what is happening, in one line)")
            yield Input(placeholder="e.g. Checkout requests time out", id="title")
            with Horizontal(id="start-row"):
                with Vertical():
                    yield Label("Severity")
                    yield Select([(s, s) for s in SEVERITIES], value="P1", allow_blank=False, id="severity")
                with Vertical():
                    yield Label("Service")
                    yield Input(placeholder="e.g. orders", id="service")
            yield Label("What do you see? (space selects; the playbook is suggested from these)")
            yield SelectionList[str](id="symptoms")
            yield Label("Playbook")
            yield Select([], prompt="choose a playbook", id="playbook", allow_blank=True)
            yield Static("", id="playbook-summary")
            yield Vertical(id="variables")
            yield Static("", id="start-errors")
            yield Button("Start incident (ctrl+s)", variant="primary", id="start")
        yield Footer()

    def __init__(self) -> None:
        super().__init__()
        self.library: Library | None = None
        self._typed: dict[str, str] = {}
        """Variable values typed so far, by name: kept when the playbook changes."""
        self._shown_playbook: str | None = None

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()
        self.load_content()

    @work(thread=True, exclusive=True, group="start-load", exit_on_error=False)
    def load_content(self) -> None:
        content = services_of(self).content
        self.app.call_from_thread(self.show_content, content)

    def show_content(self, content: Content) -> None:
        from runbook.playbook.suggest import shown_symptoms

        self.library = content.library
        runbook_app(self).report_content_errors(content)
        symptoms = self.query_one("#symptoms", SelectionList)
        symptoms.clear_options()
        symptoms.add_options([(s, s) for s in shown_symptoms(self.library)])
        select: Select[str] = self.query_one("#playbook", Select)
        select.set_options(
            [(f"{pb.title} ({pb.id})", pb.id) for pb in sorted(self.library.playbooks.values(), key=lambda p: p.id)]
        )
        self.suggest()

    @on(SelectionList.SelectedChanged, "#symptoms")
    def suggest(self) -> None:
        from runbook.playbook.suggest import suggest_playbooks

        if self.library is None or not self.library.playbooks:
            return
        chosen = self.query_one("#symptoms", SelectionList).selected
        best = suggest_playbooks(self.library, chosen)[0][0]
        self.query_one("#playbook", Select).value = best

    @on(Input.Changed, ".var-input")
    def remember(self, event: Input.Changed) -> None:
        if event.input.id:
            self._typed[event.input.id.removeprefix("var-")] = event.value

    @on(Select.Changed, "#playbook")
    async def playbook_changed(self, event: Select.Changed) -> None:
        value = event.value
        playbook_id = value if isinstance(value, str) else None
        if playbook_id == self._shown_playbook:
            return
        self._shown_playbook = playbook_id
        box = self.query_one("#variables", Vertical)
        # Removal must finish before the new inputs (same ids for shared variables) are mounted.
        await box.remove_children()
        summary = self.query_one("#playbook-summary", Static)
        if self.library is None or playbook_id is None or playbook_id not in self.library.playbooks:
            summary.update("")
            return
        pb = self.library.playbooks[playbook_id]
        summary.update(pb.summary)
        widgets: list[Widget] = []
        for var in pb.variables:
            req = "" if var.required else " (optional)"
            example = f"e.g. {var.example}" if var.example else ""
            widgets.append(Label(f"{var.name}{req}: {var.description}", classes="var-label"))
            widgets.append(
                Input(
                    value=self._typed.get(var.name, ""),
                    placeholder=example,
                    id=f"var-{var.name}",
                    classes="var-input",
                    password=is_secret_name(var.name),
                )
            )
        await box.mount(*widgets)

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        from runbook.playbook.variables import variable_problems

        title = self.query_one("#title", Input).value.strip()
        value = self.query_one("#playbook", Select).value
        playbook_id = value if isinstance(value, str) else None
        problems = []
        if not title:
            problems.append("a title is required")
        if self.library is None or playbook_id is None or playbook_id not in self.library.playbooks:
            problems.append("choose a playbook")
        values: dict[str, str] = {}
        if not problems and self.library is not None and playbook_id is not None:
            pb = self.library.playbooks[playbook_id]
            for var in pb.variables:
                inputs = list(self.query(f"#var-{var.name}").results(Input))
                text = (inputs[0].value if inputs else self._typed.get(var.name, "")).strip()
                if text:
                    values[var.name] = text
            found = variable_problems(pb, {**{v.name: v.example for v in pb.variables if not v.required}, **values})
            problems += list(found.values())
        if problems or playbook_id is None:
            self.query_one("#start-errors", Static).update("\n".join(f"• {p}" for p in problems))
            return
        self.create(
            title,
            str(self.query_one("#severity", Select).value),
            self.query_one("#service", Input).value.strip(),
            playbook_id,
            values,
            tuple(self.query_one("#symptoms", SelectionList).selected),
        )

    @work(thread=True, exclusive=True, group="start-create", exit_on_error=False)
    def create(
        self,
        title: str,
        severity: str,
        service: str,
        playbook_id: str,
        values: dict[str, str],
        symptoms: tuple[str, ...] = (),
    ) -> None:
        # The core's one path: secret-looking values are kept in memory for this process only.
        opened = services_of(self).open_incident(title, severity=severity, service=service, variables=values)
        self.app.call_from_thread(self.dismiss, StartedIncident(opened.id, playbook_id, symptoms))

    def action_cancel(self) -> None:
        self.dismiss(None)
