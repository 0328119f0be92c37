"""Drills: pick a scenario, read the briefing, run it in replay or live against the lab.

The drill itself is an ordinary walk (the walk screen in drill mode): the same playbooks and
checks, a drill incident in the record, hints on a key, and the score when a conclusion is
reached. Replay needs nothing running; live needs ``runbook lab up <scenario's lab>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, OptionList
from textual.widgets.option_list import Option

from runbook.tui.base_app import runbook_app, services_of
from runbook.tui.drill_start import DrillStart

if TYPE_CHECKING:
    from runbook.drill.scenarios import DrillScenario
    from runbook.services.content import Content


class DrillsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "run('replay')", "Run (replay)"),
        Binding("l", "run('live')", "Run live (lab)"),
        Binding("w", "random", "Spin the wheel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.content: Content | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield OptionList(id="drill-list", classes="kb-list")
            yield Markdown("Loading scenarios…", id="drill-briefing")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="drills-load", exit_on_error=False)
    def load(self) -> None:
        content = services_of(self).content
        self.app.call_from_thread(self.show, content)

    def show(self, content: Content) -> None:
        self.content = content
        options = self.query_one("#drill-list", OptionList)
        runbook_app(self).report_content_errors(content)
        options.add_options(
            [Option(f"{s.id}  {s.title}", id=s.id) for s in sorted(content.scenarios.values(), key=lambda s: s.id)]
        )
        if content.scenarios:
            options.highlighted = 0
            options.focus()
        else:
            self.query_one("#drill-briefing", Markdown).update("No drill scenarios are loaded.")

    @on(OptionList.OptionHighlighted, "#drill-list")
    def briefing(self, event: OptionList.OptionHighlighted) -> None:
        if self.content is None:
            return
        if event.option.id is None:
            return
        s = self.content.scenarios[event.option.id]
        text = (
            f"## {s.title}\n\n*Incident {s.incident} · difficulty {s.difficulty} · par {s.par_s:.0f} s · "
            f"{len(s.hints)} hint(s) · lab scenario `{s.lab}`*\n\n{s.briefing}\n\n"
            "**enter** runs it in replay (recorded results, no network); **l** runs it live against "
            f"the fault lab (`runbook lab up {s.lab}` first). In the walk, **i** takes a hint."
        )
        self.query_one("#drill-briefing", Markdown).update(text)

    @on(OptionList.OptionSelected, "#drill-list")
    def selected(self) -> None:
        self.action_run("replay")

    def action_random(self) -> None:
        import random

        if self.content is not None and self.content.scenarios:
            ids = sorted(self.content.scenarios)
            self.query_one("#drill-list", OptionList).highlighted = ids.index(random.choice(ids))

    def action_run(self, mode: str) -> None:
        options = self.query_one("#drill-list", OptionList)
        if options.highlighted is None:
            return
        if self.content is None:
            return
        ident = options.get_option_at_index(options.highlighted).id
        if ident is not None:
            self.prepare(self.content.scenarios[ident], mode)

    @work(thread=True, exclusive=True, group="drills-prepare", exit_on_error=False)
    def prepare(self, scenario: DrillScenario, mode: str) -> None:
        from runbook.drill.scenarios import recording_dirs
        from runbook.drill.session import drill_variables

        dirs = recording_dirs(services_of(self).settings.incident_dirs)
        variables, runner = drill_variables(scenario, mode, dirs)
        self.app.call_from_thread(self.start, DrillStart(scenario, mode, dict(variables), runner))

    def start(self, drill: DrillStart) -> None:
        from runbook.tui.screens.walk import WalkScreen

        self.app.push_screen(WalkScreen(None, drill=drill))
