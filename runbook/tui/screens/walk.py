"""Walk: one node at a time — its text, its choices, its live checks, notes, undo, autopilot.

The screen holds a ``WalkEngine`` (the domain) and shows what it says; every action is an
engine call, recorded before the screen redraws. Checks and the autopilot run in async
workers on the app's loop, so the UI never freezes and ``c`` cancels them.
"""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from runbook.errors import RunbookError
from runbook.playbook.model import NodeKind
from runbook.tui.app import runbook_app, services_of
from runbook.tui.observer import CheckFinished, CheckProgressed, CheckStarted, MessageObserver, WalkChanged
from runbook.tui.widgets.check_panel import CheckPanel, verdict_markup

NOTE_KINDS = {"o": "observation", "h": "hypothesis", "e": "decision", "x": "action"}


class WalkScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Home"),
        Binding("r", "run_checks", "Run checks"),
        Binding("c", "cancel_checks", "Cancel"),
        Binding("s", "take_suggestion", "Take suggestion"),
        Binding("u", "undo", "Undo"),
        Binding("a", "autopilot", "Autopilot"),
        Binding("o", "note('o')", "Note"),
        Binding("h", "note('h')", "Hypothesis", show=False),
        Binding("e", "note('e')", "Decision", show=False),
        Binding("x", "note('x')", "Action", show=False),
        Binding("t", "timeline", "Timeline"),
        Binding("p", "postmortem", "Postmortem"),
        Binding("f", "from_triage", "Triage again", show=False),
        Binding("i", "hint", "Hint (drill)", show=False),
        *[Binding(str(i), f"choose({i})", f"choice {i}", show=False) for i in range(1, 10)],
    ]

    def __init__(self, incident_id: int | None, *, start_playbook: str | None = None, drill=None) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.start_playbook = start_playbook
        self.drill = drill
        """A ``DrillStart`` when this walk is a drill (hints on ``i``, a score at the conclusion)."""
        self.engine = None
        self._note_kind = "observation"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="breadcrumb")
        with Vertical(id="walk-main"):
            with VerticalScroll(id="node-pane"):
                yield Markdown("Loading the incident…", id="node-text")
                yield OptionList(id="choices")
                yield Static("", id="suggestion")
                yield Static("", id="similar")
            yield CheckPanel(id="checks")
        yield Input(placeholder="note (enter saves, escape cancels)", id="note-input")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#note-input", Input).display = False
        self.query_one("#checks", CheckPanel).display = False
        self.open_walk()

    # -- opening -------------------------------------------------------------------------------

    @work(exclusive=True, group="walk-open", exit_on_error=False)
    async def open_walk(self) -> None:
        services = services_of(self)
        await asyncio.to_thread(lambda: services.content)  # parsing must not block the UI
        runner = self.drill.runner if self.drill else None
        if self.drill is not None:
            self.engine = services.walk_engine(runner=runner, observer=MessageObserver(self))
        else:
            assert self.incident_id is not None
            self.engine = services.walk_engine(self.incident_id, observer=MessageObserver(self))
        if self.drill is not None:
            from runbook.drill.session import open_drill

            d = self.drill
            self.incident_id = open_drill(d.scenario, self.engine, d.variables, d.mode)
            self.notify(f"drill {d.scenario.id} ({d.mode}): diagnose it; i takes a hint", title="Drill")
        else:
            node = self.engine.node
            if node is None:
                self.engine.start(self.start_playbook or "triage")
        self.refresh_node()

    # -- drawing -------------------------------------------------------------------------------

    def refresh_node(self) -> None:
        engine = self.engine
        node = engine.node if engine else None
        if node is None:
            return
        drill = f"drill {self.drill.scenario.id} · " if self.drill else ""
        self.sub_title = f"{drill}INC-{self.incident_id:04d} · {node.playbook}"
        crumbs = [s.node_id for s in engine.active_path][-5:]
        self.query_one("#breadcrumb", Static).update(" › ".join(crumbs))
        text = f"## {node.title}\n\n{node.body}"
        if node.kind is NodeKind.CONCLUSION and node.conclusion:
            c = node.conclusion
            text += f"\n\n**Root cause:** {', '.join(c.rules)}\n\n**Fix:** {c.fix}\n"
            if c.actions:
                text += "\n**Proposed actions:**\n\n" + "\n".join(
                    f"- ({a.type}, {a.owner or 'owner tbd'}) {a.text}" for a in c.actions
                )
            text += "\n\n*Press **f** to continue from triage if there may be another cause, **p** for the postmortem.*"
        self.query_one("#node-text", Markdown).update(text)
        choices = self.query_one("#choices", OptionList)
        choices.clear_options()
        suggestion = engine.suggestion
        for i, choice in enumerate(node.choices, 1):
            mark = "  ◀ suggested" if suggestion and suggestion.target == choice.ref else ""
            choices.add_option(Option(f"{i}. {choice.label}{mark}", id=choice.ref))
        choices.display = bool(node.choices)
        self.query_one("#suggestion", Static).update(self._suggestion_text())
        panel = self.query_one("#checks", CheckPanel)
        panel.display = bool(node.checks)
        if not panel.children and engine.results:
            for block in engine.results:
                panel.finished(block.key, block.result)
        self.show_similar()

    def _suggestion_text(self) -> str:
        engine, node = self.engine, self.engine.node
        if node.kind is NodeKind.QUESTION:
            return "[dim]answer with 1-9 (or enter on a choice); u undoes[/dim]"
        if node.kind is not NodeKind.CHECK:
            return ""
        s = engine.suggestion
        if s is None:
            return (
                "[dim]press [b]r[/b] to run the checks[/dim]"
                if engine.needs_checks
                else "[yellow]the verdicts suggest nothing definite: decide with the evidence below[/]"
            )
        return f"suggested by {verdict_markup(s.verdict.value).rstrip()}: [b]{s.label}[/b] — press [b]s[/b] to take it"

    def show_similar(self) -> None:
        if self.engine is not None and self.engine.ref:
            self.look_up_similar(self.engine.ref, self.incident_id)

    @work(thread=True, exclusive=True, group="walk-similar", exit_on_error=False)
    def look_up_similar(self, node_ref: str, incident_id: int | None) -> None:
        # Its own session (``Services.similar_incidents``): the engine's session belongs to the
        # event loop. A failure reaches the app's worker handler, which shows it.
        similar = services_of(self).similar_incidents(node_ref, exclude=incident_id)
        lines = [f"• {s.ref} {s.title} ({s.reason})" for s in similar[:3]]
        text = ("[b]Similar:[/b] " + "  ".join(lines)) if lines else ""
        self.app.call_from_thread(self.query_one("#similar", Static).update, text)

    # -- engine events -------------------------------------------------------------------------

    def on_check_started(self, message: CheckStarted) -> None:
        panel = self.query_one("#checks", CheckPanel)
        panel.display = True
        panel.started(message.key, message.check_type)

    def on_check_progressed(self, message: CheckProgressed) -> None:
        self.query_one("#checks", CheckPanel).progress(message.key, message.fraction, message.message)

    def on_check_finished(self, message: CheckFinished) -> None:
        self.query_one("#checks", CheckPanel).finished(message.key, message.result)

    def on_walk_changed(self, message: WalkChanged) -> None:
        if message.what in ("node_entered", "step_undone"):
            self.query_one("#checks", CheckPanel).clear()
        self.refresh_node()
        if message.what == "conclusion_reached" and self.drill is not None:
            self.score_drill()

    def score_drill(self) -> None:
        from runbook.drill.session import finish_drill

        run = self._guard(
            lambda: finish_drill(
                self.drill.scenario, self.engine, self.drill.mode, stop_reason="conclusion", stop_ref=self.engine.ref
            )
        )
        if run is None or run.score is None:
            return
        sc = run.score
        missed = f"; missed {', '.join(sc.missed)}" if sc.missed else ""
        self.notify(
            f"{sc.total:g}/100: root cause {sc.root_cause:g}, path {sc.path:g} "
            f"({sc.steps_taken} steps, best {sc.optimal_steps}), time {sc.time:g}, checks {sc.checks:g}"
            f"{missed}",
            title=f"Drill {self.drill.scenario.id} scored",
            timeout=30,
        )

    # -- actions -------------------------------------------------------------------------------

    def _guard(self, fn, *args):
        if self.engine is None or self.engine.node is None:
            return None
        try:
            return fn(*args)
        except RunbookError as exc:
            runbook_app(self).show_error(exc)
            return None

    def action_back(self) -> None:
        if self.query_one("#note-input", Input).display:
            self._close_note()
            return
        self.workers.cancel_group(self, "walk-checks")
        self.app.pop_screen()

    def action_run_checks(self) -> None:
        if self.engine and self.engine.node and self.engine.node.checks:
            self.query_one("#checks", CheckPanel).clear()
            self.run_checks()

    @work(exclusive=True, group="walk-checks", exit_on_error=False)
    async def run_checks(self) -> None:
        from runbook.walk.variables import MissingVariables

        try:
            await self.engine.run_checks()
        except MissingVariables as exc:
            self.ask_variables(exc.needed)
        except RunbookError as exc:
            runbook_app(self).show_error(exc)

    def ask_variables(self, needed) -> None:
        from runbook.tui.screens.variables import VariablesScreen

        self.app.push_screen(VariablesScreen(needed), self._got_variables)

    def _got_variables(self, values) -> None:
        if values:
            self._guard(self.engine.set_variables, values)
            self.run_checks()

    def action_cancel_checks(self) -> None:
        cancelled = [w for w in self.workers if w.group in ("walk-checks", "walk-auto") and w.is_running]
        self.workers.cancel_group(self, "walk-checks")
        self.workers.cancel_group(self, "walk-auto")
        if cancelled:
            self.notify("checks cancelled; the cancellation is in the timeline", title="Cancelled")

    def action_take_suggestion(self) -> None:
        s = self.engine.suggestion if self.engine else None
        if s is None:
            self.notify("no suggestion here: run the checks (r) or pick a choice (1-9)", severity="warning")
            return
        self._guard(self.engine.choose, s.target)

    def action_choose(self, index: int) -> None:
        self._guard(self.engine.choose, str(index))

    @on(OptionList.OptionSelected, "#choices")
    def choice_selected(self, event: OptionList.OptionSelected) -> None:
        self._guard(self.engine.choose, event.option.id)

    def action_undo(self) -> None:
        self._guard(self.engine.undo)

    def action_from_triage(self) -> None:
        self._guard(self.engine.continue_from_triage)

    def action_autopilot(self) -> None:
        running = [w for w in self.workers if w.group == "walk-auto" and w.is_running]
        if running:
            self.workers.cancel_group(self, "walk-auto")
            self.notify("autopilot stopped", title="Autopilot")
            return
        self.autopilot()

    @work(exclusive=True, group="walk-auto", exit_on_error=False)
    async def autopilot(self) -> None:
        from runbook.walk.autopilot import autopilot
        from runbook.walk.variables import MissingVariables

        self.notify("autopilot on: following the checks' suggestions (a stops)", title="Autopilot")
        try:
            stop = await autopilot(self.engine)
        except MissingVariables as exc:
            self.ask_variables(exc.needed)
            return
        except RunbookError as exc:
            runbook_app(self).show_error(exc)
            return
        self.notify(f"autopilot stopped: {stop.reason.value} — {stop.detail}", title="Autopilot")

    def action_note(self, key: str) -> None:
        self._note_kind = NOTE_KINDS[key]
        note = self.query_one("#note-input", Input)
        note.placeholder = f"{self._note_kind} (enter saves, escape cancels)"
        note.display = True
        note.focus()

    def _close_note(self) -> None:
        note = self.query_one("#note-input", Input)
        note.value = ""
        note.display = False

    @on(Input.Submitted, "#note-input")
    def save_note(self, event: Input.Submitted) -> None:
        from runbook.record.notes import add_finding

        text = event.value.strip()
        if text and self.engine is not None:
            step = self.engine.current_step
            self._guard(
                lambda: add_finding(
                    self.incident_id,
                    text,
                    session=self.engine.session,
                    kind=self._note_kind,
                    author=services_of(self).settings.author,
                    step_id=step.step_id if step else None,
                )
            )
            self.notify(f"{self._note_kind} saved", title="Note")
        self._close_note()

    def action_hint(self) -> None:
        if self.drill is None:
            self.notify("hints are for drills", severity="warning")
            return
        from runbook.drill.session import take_hint

        hint = self._guard(take_hint, self.drill.scenario, self.engine)
        self.notify(hint or "no more hints", title="Hint", timeout=20)

    def action_timeline(self) -> None:
        from runbook.tui.screens.timeline import TimelineScreen

        self.app.push_screen(TimelineScreen(self.incident_id))

    def action_postmortem(self) -> None:
        from runbook.tui.screens.postmortem import PostmortemScreen

        self.app.push_screen(PostmortemScreen(self.incident_id))

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("Run checks", "Run this node's live checks", self.action_run_checks)
        yield SystemCommand("Autopilot", "Follow the suggestions until a person is needed", self.action_autopilot)
        yield SystemCommand("Undo", "Step back (the step stays in the timeline)", self.action_undo)
        yield SystemCommand("Timeline", "The incident's live timeline", self.action_timeline)
        yield SystemCommand("Postmortem", "Preview and export the postmortem", self.action_postmortem)
