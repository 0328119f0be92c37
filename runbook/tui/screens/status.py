"""Move the incident along (investigating, mitigated, resolved, closed) and set its severity.

Each move is stamped when the responder makes it, so the postmortem's milestones are the times
people said so, not the time someone closed the paperwork. The record writes run in a thread
worker on a session of their own: a lock held by another responder never freezes the UI.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from runbook.tui.base_app import services_of

if TYPE_CHECKING:
    from runbook.record.models import Incident

#: Status -> what choosing it means to a responder (``open`` is shown as investigating).
MOVES = {
    "open": "Investigating",
    "mitigated": "Mitigated: impact stopped",
    "resolved": "Resolved: service restored",
    "closed": "Closed: follow-ups handed over",
}
SEVERITIES = ("P0", "P1", "P2", "P3", "P4")


def _at(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}Z" if value else "—"


def describe(inc: Incident) -> str:
    """The incident's status and milestones, one per line (each as stamped, or a dash)."""
    status = "investigating" if inc.status == "open" else inc.status
    return (
        f"[b]{inc.ref}[/b] [{inc.severity}] {inc.title}\n"
        f"status: [b]{status}[/b]\n"
        f"started   {_at(inc.started_at)}\n"
        f"mitigated {_at(inc.mitigated_at)}\n"
        f"resolved  {_at(inc.resolved_at)}\n"
        f"closed    {_at(inc.closed_at)}"
    )


class StatusScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id

    def compose(self) -> ComposeResult:
        with Vertical(id="status-box"):
            yield Static("Loading the incident…", id="status-now")
            with Horizontal(id="status-row"):
                with Vertical(id="status-col"):
                    yield Label("Status (stamped now)")
                    yield OptionList(*(Option(label, id=st) for st, label in MOVES.items()), id="status-moves")
                with Vertical(id="severity-col"):
                    yield Label("Severity")
                    yield OptionList(*(Option(sev, id=sev) for sev in SEVERITIES), id="status-severity")
            yield Static("[dim]enter applies · tab: the other list · escape closes[/dim]", id="status-hint")

    def on_mount(self) -> None:
        self.query_one("#status-moves", OptionList).focus()
        self.load()

    @work(thread=True, exclusive=True, group="status-io", exit_on_error=False)
    def load(self) -> None:
        inc = services_of(self).incident(self.incident_id)
        self.app.call_from_thread(self.show, inc)

    def show(self, inc: Incident) -> None:
        self.query_one("#status-now", Static).update(describe(inc))
        self.query_one("#status-moves", OptionList).highlighted = list(MOVES).index(inc.status)
        self.query_one("#status-severity", OptionList).highlighted = SEVERITIES.index(inc.severity)

    @on(OptionList.OptionSelected, "#status-moves")
    def status_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.apply(event.option.id, None)

    @on(OptionList.OptionSelected, "#status-severity")
    def severity_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.apply(None, event.option.id)

    @work(thread=True, exclusive=True, group="status-io", exit_on_error=False)
    def apply(self, status: str | None, severity: str | None) -> None:
        services = services_of(self)
        inc = (
            services.set_status(self.incident_id, status)
            if status is not None
            else services.set_severity(self.incident_id, severity or "")
        )
        self.app.call_from_thread(self.applied, inc, "status" if status is not None else "severity")

    def applied(self, inc: Incident, what: str) -> None:
        self.show(inc)
        value = inc.status if what == "status" else inc.severity
        self.notify(f"{inc.ref} {what}: {'investigating' if value == 'open' else value}", title="Recorded")

    def action_close(self) -> None:
        self.dismiss(None)
