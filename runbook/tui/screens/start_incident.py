"""Start an incident: what is happening, which playbook, and the endpoints to measure.

Returns the new incident's id (and the playbook to start from) to the app, or None when the
responder backs out. Validation is the domain's (``runbook.playbook.variables``); this screen
only shows the problems next to the fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Select, SelectionList, Static

SEVERITIES = ("P0", "P1", "P2", "P3", "P4")


@dataclass(frozen=True)
class StartedIncident:
    incident_id: int
    playbook_id: str


class StartIncidentScreen(Screen["StartedIncident | None"]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "start", "Start incident", priority=True),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="start-form"):
            yield Label("Title (what is happening, in one line)")
            yield Input(placeholder="Checkout requests time out", id="title")
            with Horizontal(id="start-row"):
                with Vertical():
                    yield Label("Severity")
                    yield Select([(s, s) for s in SEVERITIES], value="P1", allow_blank=False, id="severity")
                with Vertical():
                    yield Label("Service")
                    yield Input(placeholder="orders", id="service")
            yield Label("What do you see? (space selects; the playbook is suggested from these)")
            yield SelectionList[str](id="symptoms")
            yield Label("Playbook")
            yield Select([], prompt="loading playbooks...", id="playbook", allow_blank=True)
            yield Static("", id="playbook-summary")
            yield Vertical(id="variables")
            yield Static("", id="start-errors")
            yield Button("Start incident (ctrl+s)", variant="primary", id="start")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()
        self.load_content()

    @work(thread=True, exclusive=True, group="start-load", exit_on_error=False)
    def load_content(self) -> None:
        content = self.app.services.content
        self.app.call_from_thread(self.show_content, content)

    def show_content(self, content) -> None:
        from runbook.playbook.suggest import all_symptoms

        self.library = content.library
        self.app.report_content_errors(content)
        symptoms = self.query_one("#symptoms", SelectionList)
        symptoms.clear_options()
        symptoms.add_options([(s, s) for s in all_symptoms(self.library)])
        select = self.query_one("#playbook", Select)
        select.set_options(
            [(f"{pb.title} ({pb.id})", pb.id) for pb in sorted(self.library.playbooks.values(), key=lambda p: p.id)]
        )
        self.suggest()

    @on(SelectionList.SelectedChanged, "#symptoms")
    def suggest(self) -> None:
        from runbook.playbook.suggest import suggest_playbooks

        if not getattr(self, "library", None) or not self.library.playbooks:
            return
        chosen = self.query_one("#symptoms", SelectionList).selected
        best = suggest_playbooks(self.library, chosen)[0][0]
        self.query_one("#playbook", Select).value = best

    @on(Select.Changed, "#playbook")
    def playbook_changed(self, event: Select.Changed) -> None:
        box = self.query_one("#variables", Vertical)
        box.remove_children()
        if event.value is Select.BLANK or not getattr(self, "library", None):
            return
        pb = self.library.playbooks[event.value]
        self.query_one("#playbook-summary", Static).update(pb.summary)
        widgets = []
        for var in pb.variables:
            req = "" if var.required else " (optional)"
            widgets.append(Label(f"{var.name}{req}: {var.description}", classes="var-label"))
            widgets.append(Input(placeholder=var.example or "", id=f"var-{var.name}", classes="var-input"))
        box.mount(*widgets)

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        from runbook.playbook.variables import variable_problems

        title = self.query_one("#title", Input).value.strip()
        playbook_id = self.query_one("#playbook", Select).value
        problems = []
        if not title:
            problems.append("a title is required")
        if playbook_id is Select.BLANK or not getattr(self, "library", None):
            problems.append("choose a playbook")
        values: dict[str, str] = {}
        if not problems:
            pb = self.library.playbooks[playbook_id]
            for var in pb.variables:
                value = self.query_one(f"#var-{var.name}", Input).value.strip()
                if value:
                    values[var.name] = value
            found = variable_problems(pb, {**{v.name: v.example for v in pb.variables if not v.required}, **values})
            problems += list(found.values())
        if problems:
            self.query_one("#start-errors", Static).update("\n".join(f"• {p}" for p in problems))
            return
        self.create(
            title,
            str(self.query_one("#severity", Select).value),
            self.query_one("#service", Input).value.strip(),
            playbook_id,
            values,
        )

    @work(thread=True, exclusive=True, group="start-create", exit_on_error=False)
    def create(self, title: str, severity: str, service: str, playbook_id: str, values: dict[str, str]) -> None:
        from runbook.record.repo import create_incident

        with self.app.services.session() as session:
            inc = create_incident(
                session=session,
                title=title,
                severity=severity,
                service=service,
                variables=values,
                author=self.app.services.settings.author,
            )
        self.app.call_from_thread(self.dismiss, StartedIncident(inc.id, playbook_id))

    def action_cancel(self) -> None:
        self.dismiss(None)
