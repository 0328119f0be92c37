"""Home: open and recent incidents, and the way to everything else."""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from runbook.tui.base_app import runbook_app, services_of


@dataclass(frozen=True)
class IncidentRow:
    id: int
    ref: str
    severity: str
    status: str
    title: str
    service: str
    started: str
    drill: bool
    alert: str = ""
    """Opened from an Alertmanager alert: where its autopilot walk stands (else empty)."""

    @property
    def title_cell(self) -> str:
        return f"[alert] {self.title} ({self.alert})" if self.alert else self.title


class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding("n", "app.new_incident", "New incident"),
        Binding("enter", "open", "Open", show=True),
        Binding("k", "app.knowledge", "Knowledge"),
        Binding("d", "app.drills", "Drills"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._shown = False
        """True after the first show: a resume then reloads the list."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(
                "Incidents.  n: new   enter: resume   k: knowledge base   d: drills", id="home-hint", markup=False
            )
            yield DataTable(id="incidents", cursor_type="row", zebra_stripes=True)
            yield Static("", id="home-empty", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#incidents", DataTable)
        table.add_columns("id", "sev", "status", "title", "service", "started (UTC)")
        # open the record after the first paint: the screen appears before the database does
        self.call_after_refresh(self.load)

    def on_screen_resume(self) -> None:
        # coming back from another screen: the list may have changed (not on the first show)
        if self._shown:
            self.load()
        self._shown = True

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="home-load", exit_on_error=False)
    def load(self) -> None:
        from runbook.record.alerts import groups_by_incident, walk_summary
        from runbook.record.repo import list_incidents

        with services_of(self).session() as session:
            incidents = list_incidents(session=session, limit=200)
            groups = groups_by_incident([i.id or 0 for i in incidents], session=session)
            rows = [
                IncidentRow(
                    i.id or 0,
                    i.ref,
                    i.severity,
                    i.status,
                    i.title,
                    i.service,
                    i.started_at.strftime("%m-%d %H:%M"),
                    i.is_drill,
                    walk_summary(groups[i.id or 0], session=session) if (i.id or 0) in groups else "",
                )
                for i in incidents
            ]
        self.app.call_from_thread(self.show_rows, rows)

    def show_rows(self, rows: list[IncidentRow]) -> None:
        table = self.query_one("#incidents", DataTable)
        table.clear()
        open_first = sorted(rows, key=lambda r: (r.status in ("resolved", "closed"), -r.id))
        for r in open_first:
            table.add_row(r.ref, r.severity, r.status, r.title_cell, r.service or "-", r.started, key=str(r.id))
        empty = self.query_one("#home-empty", Static)
        empty.update("No incidents yet. Press n to start one, or k to read the knowledge base.")
        empty.display = not rows
        self.query_one("#incidents", DataTable).focus()

    def action_open(self) -> None:
        table = self.query_one("#incidents", DataTable)
        if table.row_count == 0:
            runbook_app(self).action_new_incident()
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is not None:
            runbook_app(self).open_incident(int(key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            runbook_app(self).open_incident(int(event.row_key.value))
