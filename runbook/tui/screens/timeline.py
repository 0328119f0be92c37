"""The incident's timeline, live: new events (this responder's and others') appear as they land.

Polling is enough: with a shared PostgreSQL record another responder's events show up within
the poll interval. Undone steps stay, struck through. A line too long for the table (80 columns)
wraps in its row at its words (and is shown whole under the table when highlighted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from runbook.tui.base_app import services_of

POLL_S = 1.0
#: Widths of the columns other than the summary, which takes what they leave and wraps.
TIME_W, WHO_W, AUTO_W = 8, 10, 4


@dataclass(frozen=True)
class TimelineLine:
    id: int
    at: datetime
    kind: str
    author: str
    summary: str
    automatic: bool
    undone: bool


class TimelineScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("r", "refresh", "Refresh")]

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id
        self._seen: set[int] = set()
        self._last_id = 0
        self.lines: dict[str, TimelineLine] = {}
        """Shown lines by row key (the highlighted one is shown whole below the table)."""
        self._summary_width = 0
        """The width the summaries are wrapped at (they are re-wrapped when it changes)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield Static("", id="timeline-detail")
        yield Footer()

    def on_mount(self) -> None:
        self._set_columns()
        self.poll()
        self.set_interval(POLL_S, self.poll)

    def _summary_fits(self) -> int:
        return max(20, self.size.width - TIME_W - WHO_W - AUTO_W - 2 * 4 - 2)

    def _set_columns(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        self._summary_width = self._summary_fits()
        table.add_column("UTC", width=TIME_W)
        table.add_column("what", width=self._summary_width)
        table.add_column("who", width=WHO_W)
        table.add_column("", width=AUTO_W)

    def on_resize(self) -> None:
        if self.is_mounted and self._summary_width and self._summary_width != self._summary_fits():
            self.action_refresh()  # rows wrap at the new width

    def action_refresh(self) -> None:
        self._seen.clear()
        self._last_id = 0
        self.lines.clear()
        self._set_columns()
        self.poll()

    @work(thread=True, exclusive=True, group="timeline-poll", exit_on_error=False)
    def poll(self) -> None:
        from runbook.record.repo import timeline

        # re-read a few ids back: concurrent writers on PostgreSQL may commit out of id order
        since = max(0, self._last_id - 20)
        with services_of(self).session() as session:
            lines = [
                TimelineLine(e.id or 0, e.at, e.kind, e.author, e.summary, e.automatic, e.undone)
                for e in timeline(self.incident_id, session=session, since=since)
            ]
        fresh = [line for line in lines if line.id not in self._seen]
        if fresh:
            self.app.call_from_thread(self.add_lines, fresh)

    def add_lines(self, lines: list[TimelineLine]) -> None:
        from rich.text import Text

        table = self.query_one(DataTable)
        for line in lines:
            if line.id in self._seen:
                continue
            self._seen.add(line.id)
            self._last_id = max(self._last_id, line.id)
            self.lines[str(line.id)] = line
            style = "strike dim" if line.undone else ""
            marker = "auto" if line.automatic else ""
            table.add_row(
                Text(f"{line.at:%H:%M:%S}", style=style),
                Text(line.summary, style=style),
                Text(line.author, style=style),
                marker,
                key=str(line.id),
                height=None,  # the summary wraps at its words: nothing runs off the right edge
            )
        table.move_cursor(row=table.row_count - 1)

    @on(DataTable.RowHighlighted, "#timeline")
    def show_whole(self, event: DataTable.RowHighlighted) -> None:
        from rich.markup import escape

        line = self.lines.get(str(event.row_key.value))
        text = "" if line is None else f"{line.at:%H:%M:%S} {escape(line.author)}: {escape(line.summary)}"
        undone = " [dim](undone: kept for the record)[/dim]" if line is not None and line.undone else ""
        self.query_one("#timeline-detail", Static).update(text + undone)
