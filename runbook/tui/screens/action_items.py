"""The incident's action items, and what its conclusions propose, in one table.

A proposal is not an action item until a responder accepts it (as proposed, ``a``; or edited
first, ``enter``): the postmortem lists only what someone took on. Items are edited with
``enter``, marked done or reopened with ``d``, dropped with ``x``; ``n`` adds one. Every change is
on the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from runbook.services.lifecycle import ActionChange
from runbook.tui.base_app import services_of
from runbook.tui.screens.action_form import ActionDraft, ActionFormScreen

if TYPE_CHECKING:
    from collections.abc import Callable

    from runbook.record.lifecycle import ProposedAction
    from runbook.record.models import ActionItem


@dataclass(frozen=True)
class ActionLine:
    """One row: an action item (``item_id``) or a proposal nobody accepted yet (``proposal``)."""

    status: str
    type: str
    owner: str
    due: str
    text: str
    item_id: int | None = None
    proposal: ProposedAction | None = None
    draft: ActionDraft | None = None

    @property
    def key(self) -> str:
        return (
            f"item-{self.item_id}"
            if self.item_id is not None
            else f"proposal-{self.proposal.key if self.proposal else ''}"
        )


def lines_of(items: list[ActionItem], proposals: list[ProposedAction]) -> list[ActionLine]:
    """Open proposals first (they wait for a decision), then the items in the order added."""
    out = [
        ActionLine("proposed", p.type, p.owner or "—", "—", p.text, proposal=p)
        for p in proposals
        if p.accepted_id is None
    ]
    for a in items:
        draft = ActionDraft(f"Edit action #{a.id}", a.text, a.type, a.owner or "", a.due)
        out.append(
            ActionLine(
                a.status, a.type, a.owner or "—", a.due.isoformat() if a.due else "—", a.text, item_id=a.id, draft=draft
            )
        )
    return out


class ActionItemsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("a", "accept", "Accept proposal"),
        Binding("n", "new", "New"),
        Binding("d", "toggle_done", "Done/reopen"),
        Binding("x", "drop", "Drop"),
    ]

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.lines: list[ActionLine] = []
        self.loads = 0
        """Completed loads of the table (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("[dim]enter: edit, or accept a proposal after editing it[/dim]", id="actions-hint")
        yield DataTable(id="actions", cursor_type="row", zebra_stripes=True)
        yield Static("", id="action-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"INC-{self.incident_id:04d} · action items"
        self.load()

    def on_resize(self) -> None:
        if self.lines:
            self._fill(self.lines)  # the text wraps at the new width

    @work(thread=True, exclusive=True, group="actions-io", exit_on_error=False)
    def load(self) -> None:
        services = services_of(self)
        lines = lines_of(services.action_items(self.incident_id), services.proposed_actions(self.incident_id))
        self.app.call_from_thread(self.show, lines)

    def show(self, lines: list[ActionLine]) -> None:
        self._fill(lines)
        self.loads += 1

    def _fill(self, lines: list[ActionLine]) -> None:
        from rich.text import Text

        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        # Fixed widths, the text takes the rest and wraps at its words (at 80 columns it was cut
        # mid-word at the edge); owner wraps too.
        widths = {"status": 8, "type": 8, "owner": 13, "due": 10}
        rest = max(20, self.size.width - sum(widths.values()) - 2 * (len(widths) + 1) - 2)
        for name, width in {**widths, "what": rest}.items():
            table.add_column(name, width=width)
        for line in lines:
            cells = (line.status, line.type, line.owner, line.due, line.text)
            table.add_row(*(Text(c) for c in cells), key=line.key, height=None)
        self.lines = lines
        if lines:
            table.move_cursor(row=min(keep, len(lines) - 1))

    @on(DataTable.RowHighlighted, "#actions")
    def row_highlighted(self) -> None:
        # The highlighted item is also shown whole below the table, with its owner and due date.
        line = self._current()
        detail = (
            "" if line is None else f"[b]{line.status}[/b] {line.type} · {line.owner} · due {line.due}\n{line.text}"
        )
        self.query_one("#action-detail", Static).update(detail)

    def _current(self) -> ActionLine | None:
        row = self.query_one(DataTable).cursor_row
        return self.lines[row] if 0 <= row < len(self.lines) else None

    @on(DataTable.RowSelected, "#actions")
    def row_chosen(self) -> None:
        line = self._current()
        if line is None:
            return
        if line.proposal is not None:
            p = line.proposal
            draft = ActionDraft(f"Accept proposed action ({p.key})", p.text, p.type, p.owner)
            self.app.push_screen(ActionFormScreen(draft), lambda ch: self._accept(p.key, ch))
        elif line.draft is not None and line.item_id is not None:
            item_id = line.item_id
            self.app.push_screen(ActionFormScreen(line.draft), lambda ch: self._edit(item_id, ch))

    def action_accept(self) -> None:
        line = self._current()
        if line is None or line.proposal is None:
            self.notify("select a proposed action to accept it", severity="warning")
            return
        self._accept(line.proposal.key, ActionChange())

    def action_new(self) -> None:
        self.app.push_screen(ActionFormScreen(ActionDraft("New action item")), self._add)

    def action_toggle_done(self) -> None:
        line = self._current()
        if line is None or line.item_id is None:
            self.notify("accept the proposal first (a or enter)", severity="warning")
            return
        self._edit(line.item_id, ActionChange(status="open" if line.status == "done" else "done"))

    def action_drop(self) -> None:
        line = self._current()
        if line is not None and line.item_id is not None:
            self._edit(line.item_id, ActionChange(status="dropped"))

    def _accept(self, key: str, change: ActionChange | None) -> None:
        if change is not None:
            self.write(lambda: services_of(self).accept_action(self.incident_id, key, change))

    def _edit(self, item_id: int, change: ActionChange | None) -> None:
        if change is not None:
            self.write(lambda: services_of(self).edit_action(item_id, change))

    def _add(self, change: ActionChange | None) -> None:
        if change is not None:
            self.write(lambda: services_of(self).add_action(self.incident_id, change))

    @work(thread=True, exclusive=True, group="actions-io", exit_on_error=False)
    def write(self, call: Callable[[], ActionItem]) -> None:
        item = call()
        services = services_of(self)
        lines = lines_of(services.action_items(self.incident_id), services.proposed_actions(self.incident_id))
        self.app.call_from_thread(self.show, lines)
        self.app.call_from_thread(self.notify, f"#{item.id} [{item.status}] {item.text}", title="Action item")
