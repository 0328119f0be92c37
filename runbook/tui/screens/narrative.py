"""Write the postmortem's narrative: one text area per section, saved to the record as typed.

A pause in typing (``SAVE_DELAY_S``) saves the sections changed since the last save, in a
thread on a session of its own, one save at a time and in order, so the record always ends with
the last text typed. Leaving the screen saves what is pending first. A failed save (another
responder holding the record's lock too long) is shown, and the section is saved again on the
next pause or ``ctrl+s``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Label, Static, TextArea

from runbook.errors import RunbookError
from runbook.record.narrative import NARRATIVE
from runbook.tui.base_app import services_of

SAVE_DELAY_S = 0.5

#: What each section is for, shown in the empty text area (examples, never a value).
PROMPTS = {
    "summary": "e.g. Orders vanished from discovery for 40 min after a deploy",
    "impact": "e.g. 12% of checkout requests failed from 02:10 to 02:50 UTC",
    "detection": "e.g. the checkout 5xx alert paged the on-call at 02:12 (left empty: derived from the record)",
    "trigger": "e.g. the 02:05 deploy doubled the watchers per instance",
    "resolution": "e.g. re-registered the instances; one KeepAlive per lease",
    "went_well": "e.g. the lease check pointed at the cause in 6 minutes",
    "went_wrong": "e.g. the first page went to the wrong team",
    "lucky": "e.g. it happened outside the sales peak",
    "lessons": "e.g. lease ownership belongs in the shared client",
}


class NarrativeScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back (saves)"),
        Binding("ctrl+s", "save_now", "Save now"),
    ]

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id
        self._dirty: set[str] = set()
        self._timer: Timer | None = None
        self._loaded = False
        self._saved: dict[str, str] = {}
        """Each section's text as the record holds it (a change back to it needs no save)."""
        self._save_lock = asyncio.Lock()
        self.saves = 0
        """Saves that reached the record (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", id="narrative-state")
        with VerticalScroll(id="narrative"):
            for name, heading in NARRATIVE.items():
                yield Label(f"[b]{heading}[/b]", classes="narrative-label")
                yield TextArea(id=f"nar-{name}", placeholder=PROMPTS[name], classes="narrative-text")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"INC-{self.incident_id:04d} · postmortem narrative"
        self.load()

    @work(thread=True, exclusive=True, group="narrative-load", exit_on_error=False)
    def load(self) -> None:
        inc = services_of(self).incident(self.incident_id)
        texts = {name: str(getattr(inc, name)) for name in NARRATIVE}
        self.app.call_from_thread(self.fill, texts)

    def fill(self, texts: dict[str, str]) -> None:
        for name, text in texts.items():
            self._saved[name] = text
            if not self._dirty & {name}:  # never overwrite what was typed while loading
                self.query_one(f"#nar-{name}", TextArea).load_text(text)
        self._loaded = True
        self.query_one("#narrative-state", Static).update(
            "[dim]saved as you type · tab: next section · escape: back[/dim]"
        )
        self.query_one("#nar-summary", TextArea).focus()

    @on(TextArea.Changed, ".narrative-text")
    def typed(self, event: TextArea.Changed) -> None:
        if not self._loaded or event.text_area.id is None:
            return
        name = event.text_area.id.removeprefix("nar-")
        if event.text_area.text == self._saved.get(name):
            return  # load_text's own change event, or typed back to what is saved
        self._dirty.add(name)
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SAVE_DELAY_S, self.flush)

    def flush(self) -> None:
        sections = self._take_dirty()
        if sections:
            self.save(sections)

    def _take_dirty(self) -> dict[str, str]:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        sections = {name: self.query_one(f"#nar-{name}", TextArea).text for name in sorted(self._dirty)}
        self._dirty.clear()
        return sections

    @work(group="narrative-save", exit_on_error=False)
    async def save(self, sections: dict[str, str]) -> None:
        await self._save(sections)

    async def _save(self, sections: dict[str, str]) -> bool:
        state = self.query_one("#narrative-state", Static)
        services = services_of(self)
        async with self._save_lock:  # FIFO: saves land in the order they were typed
            try:
                await asyncio.to_thread(services.save_narrative, self.incident_id, sections)
            except RunbookError as exc:
                self._dirty |= set(sections)  # saved again on the next pause or ctrl+s
                state.update(f"[red]not saved: {exc.message}[/] (ctrl+s retries)")
                return False
        self._saved.update(sections)
        self.saves += 1
        state.update(f"[dim]saved {', '.join(sections)} at {datetime.now(UTC):%H:%M:%S} UTC[/dim]")
        return True

    def action_save_now(self) -> None:
        self.flush()

    async def action_back(self) -> None:
        sections = self._take_dirty()
        if sections and not await self._save(sections):
            self.notify("the narrative is not saved yet: ctrl+s retries", severity="error")
            return
        self.app.pop_screen()
