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


#: The columns and the widths their contents need; the title (0) takes what they leave. Cells
#: wrap at their words: at 80 columns a long title no longer runs off the edge cut mid-word.
COLUMNS = (("id", 8), ("sev", 3), ("status", 13), ("title", 0), ("service", 10), ("started (UTC)", 13))


#: Incidents per page: the first paint reads only the newest ones, however big the record.
PAGE = 50
HINT = "Incidents.  n: new   enter: resume   k: knowledge base   d: drills"


class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding("n", "app.new_incident", "New incident"),
        Binding("enter", "open", "Open", show=True),
        Binding("k", "app.knowledge", "Knowledge"),
        Binding("d", "app.drills", "Drills"),
        Binding("r", "refresh", "Refresh"),
        Binding("m", "more", "More", show=False),  # offered in the hint when a page is full
    ]

    def __init__(self) -> None:
        super().__init__()
        self._shown = False
        """True after the first show: a resume then reloads the list."""
        self._limit = PAGE
        self._more = False
        """More incidents than the page holds are in the record (``m`` shows the next page)."""
        """How many of the newest incidents are listed (m: a page more)."""
        self._rows: list[IncidentRow] = []
        self._title_width = 0
        """The width the titles are wrapped at (the rows are redrawn when it changes)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(HINT, id="home-hint", markup=False)
            yield DataTable(id="incidents", cursor_type="row", zebra_stripes=True)
            yield Static("", id="home-empty", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._set_columns(self.query_one("#incidents", DataTable))
        # open the record after the first paint: the screen appears before the database does
        self.call_after_refresh(self.load)

    def on_screen_resume(self) -> None:
        # coming back from another screen: the list may have changed (not on the first show)
        if self._shown:
            self.load()
        self._shown = True

    def action_more(self) -> None:
        self._limit += PAGE
        self.load()

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="home-load", exit_on_error=False)
    def load(self) -> None:
        from runbook.record.alerts import groups_by_incident, walk_summary
        from runbook.record.repo import home_incidents

        with services_of(self).session() as session:
            incidents, self._more = home_incidents(session=session, limit=self._limit)
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

    def on_resize(self) -> None:
        if self.is_mounted and self._title_width and self._title_width != self._title_fits():
            self.show_rows(self._rows)

    def _title_fits(self) -> int:
        """The width the other columns leave the title (each cell is padded by 2, scrollbar 2)."""
        return max(16, self.size.width - sum(w for _, w in COLUMNS) - 2 * len(COLUMNS) - 2)

    def _set_columns(self, table: DataTable[object]) -> None:
        table.clear(columns=True)
        self._title_width = self._title_fits()
        for name, width in COLUMNS:
            table.add_column(name, width=width or self._title_width)

    def show_rows(self, rows: list[IncidentRow]) -> None:
        from rich.text import Text

        self._rows = rows
        table = self.query_one("#incidents", DataTable)
        self._set_columns(table)
        open_first = sorted(rows, key=lambda r: (r.status in ("resolved", "closed"), -r.id))
        for r in open_first:
            cells = (r.ref, r.severity, r.status, r.title_cell, r.service or "-", r.started)
            table.add_row(*(Text(c) for c in cells), key=str(r.id), height=None)  # text, never markup
        empty = self.query_one("#home-empty", Static)
        empty.update("No incidents yet. Press n to start one, or k to read the knowledge base.")
        empty.display = not rows
        more = f"   m: more (the newest {self._limit} shown)" if self._more else ""
        self.query_one("#home-hint", Static).update(HINT + more)
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
