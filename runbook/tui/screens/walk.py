"""Walk: one node at a time — its text, its choices, its live checks, notes, undo, autopilot.

The screen holds a ``WalkEngine`` (the domain) and shows what it says; every action is an
engine call, recorded before the screen redraws. The engine lives in an ``EngineThread``: its
record writes (which may wait for another responder's lock) and its checks run there, awaited by
workers on the app's loop, so the UI never freezes and ``c`` cancels them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from importlib import import_module
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from runbook.errors import RunbookError
from runbook.playbook.model import NodeKind
from runbook.tui.base_app import runbook_app, services_of
from runbook.tui.engine_thread import EngineThread
from runbook.tui.observer import CheckFinished, CheckProgressed, CheckStarted, MessageObserver, WalkChanged
from runbook.tui.widgets.check_panel import CheckPanel, verdict_markup

if TYPE_CHECKING:
    from textual.app import SystemCommand
    from textual.await_complete import AwaitComplete

    from runbook.playbook.model import Node
    from runbook.tui.drill_start import DrillStart
    from runbook.walk.engine import WalkEngine
    from runbook.walk.state import NeededVariable

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
        Binding("m", "status", "Status", show=False),
        Binding("w", "narrative", "Write postmortem", show=False),
        Binding("d", "action_items", "Action items", show=False),
        Binding("f", "from_triage", "Triage again", show=False),
        Binding("i", "hint", "Hint (drill)", show=False),
        Binding("v", "variables", "Variables", show=False),
        Binding("j", "choice_cursor(1)", "Next choice", show=False),
        Binding("k", "choice_cursor(-1)", "Previous choice", show=False),
        *[Binding(str(i), f"digit({i})", f"choice {i}", show=False) for i in range(10)],
    ]

    #: How long a first digit waits for a second one when the node has ten choices or more.
    DIGIT_WAIT_S = 0.8

    def __init__(
        self,
        incident_id: int | None,
        *,
        start_playbook: str | None = None,
        drill: DrillStart | None = None,
        symptoms: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.start_playbook = start_playbook
        self._preselect = symptoms
        self._shown_ref: str | None = None
        """The node whose choices are shown (redrawing the same node keeps the highlighted one)."""
        """The symptoms ticked in the start form: the first node's matching choice is highlighted."""
        self.drill = drill
        """A ``DrillStart`` when this walk is a drill (hints on ``i``, a score at the conclusion)."""
        self.engine: WalkEngine | None = None
        """Built and used in ``self.thread``; the screen only reads its state to draw."""
        self.thread = EngineThread()
        self._note_kind = "observation"
        self._digits = ""
        """Digits typed so far towards a choice number of two digits (choices 10 and above)."""
        self._digit_timer: Timer | None = None
        self._checks_running = 0
        """Check runs and autopilot walks under way (the hint says c cancels while any is)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="breadcrumb")
        with Vertical(id="walk-main"):
            with VerticalScroll(id="node-pane"):
                yield Markdown("Loading the incident…", id="node-text")
                yield OptionList(id="choices")
                yield Static("", id="similar")
                yield Static("", id="weighing", markup=False)
            yield CheckPanel(id="checks")
        # outside the scrolled pane: what to do next ("press r", "c cancels", "press s") is
        # always in sight, even when a check's figures fill the lower half at 80x24
        yield Static("", id="suggestion")
        yield Input(placeholder="note (enter saves, escape cancels)", id="note-input")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#note-input", Input).display = False
        self.query_one("#checks", CheckPanel).display = False
        self.open_walk()

    def on_unmount(self) -> None:
        self.thread.close()

    # -- opening -------------------------------------------------------------------------------

    @work(exclusive=True, group="walk-open", exit_on_error=False)
    async def open_walk(self) -> None:
        services = services_of(self)
        await asyncio.to_thread(lambda: services.content)  # parsing must not block the UI
        observer = MessageObserver(self)
        if self.drill is not None:
            from runbook.drill.session import open_drill

            d = self.drill
            engine = await self.thread.call(services.walk_engine, runner=d.runner, observer=observer)
            self.incident_id = await self.thread.call(open_drill, d.scenario, engine, d.variables, d.mode)
            self.notify(f"drill {d.scenario.id} ({d.mode}): diagnose it; i takes a hint", title="Drill")
        else:
            assert self.incident_id is not None
            engine = await self.thread.call(services.walk_engine, self.incident_id, observer=observer)
            if engine.node is None:
                await self.thread.call(engine.start, self.start_playbook or "triage")
        self.engine = engine
        self.refresh_node()

    # -- drawing -------------------------------------------------------------------------------

    def refresh_node(self) -> None:
        engine = self.engine
        node = engine.node if engine else None
        if engine is None or node is None:
            return
        drill = f"drill {self.drill.scenario.id} · " if self.drill else ""
        self.sub_title = f"{drill}INC-{self.incident_id or 0:04d} · {node.playbook}"
        crumbs = [s.node_id for s in engine.active_path][-5:]
        self.query_one("#breadcrumb", Static).update(" › ".join(crumbs))
        text = f"## {node.title}\n\n{node.body}"
        if node.kind is NodeKind.CONCLUSION and node.conclusion:
            c = node.conclusion
            if c.unexplained:
                text += f"\n\n**Root cause:** unknown (none of the known rules)\n\n**Escalate to:** {c.escalate}\n"
            else:
                text += f"\n\n**Root cause:** {', '.join(c.rules)}\n\n**Fix:** {c.fix}\n"
            if c.actions:
                text += "\n**Proposed actions:**\n\n" + "\n".join(
                    f"- ({a.type}, {a.owner or 'owner tbd'}) {a.text}" for a in c.actions
                )
            if c.actions:
                text += "\n\n*Press **d** to accept the proposed actions as action items.*"
            text += "\n\n*Press **f** to continue from triage if there may be another cause, **p** for the postmortem.*"
        shown = self.query_one("#node-text", Markdown).update(text)
        choices = self.query_one("#choices", OptionList)
        kept = choices.highlighted if node.ref == self._shown_ref else None  # a redraw keeps the cursor
        self._shown_ref = node.ref
        choices.clear_options()
        suggestion = engine.suggestion
        for i, choice in enumerate(node.choices, 1):
            mark = "  ◀ suggested" if suggestion and suggestion.target == choice.ref else ""
            choices.add_option(Option(f"{i}. {choice.label}{mark}", id=choice.ref))
        choices.display = bool(node.choices)
        if node.choices:
            choices.highlighted = kept if kept is not None and kept < len(node.choices) else self._preselected(node)
            if not self.query_one("#note-input", Input).display:
                choices.focus()  # visible focus: arrows, j/k and enter work at once
        self.query_one("#suggestion", Static).update(self._suggestion_text(engine))
        if suggestion is not None:
            # A resumed walk has its verdict at once, while the node's text is still being mounted:
            # scrolling before it is would put the choices where the text then grows.
            self.run_worker(
                self._show_suggestion_after(shown), group="walk-scroll", exclusive=True, exit_on_error=False
            )
        panel = self.query_one("#checks", CheckPanel)
        panel.display = bool(node.checks)
        if not panel.children and engine.results:
            for block in engine.results:
                panel.finished(block.key, block.result)
        self.show_similar()
        self.show_weighing()

    async def _show_suggestion_after(self, shown: AwaitComplete) -> None:
        await shown
        self.call_after_refresh(self._show_suggestion)

    def _show_suggestion(self) -> None:
        """Scroll the choices (the suggested one marked) into sight: at 80x24 a check's figures
        take the lower half and the node's text alone fills the rest."""
        if self.is_mounted:
            self.query_one("#node-pane").scroll_to_widget(self.query_one("#choices"), animate=False)

    def _preselected(self, node: Node) -> int:
        """The choice to highlight first: the one the ticked symptoms match (once), else the first."""
        from runbook.playbook.suggest import matching_choice

        symptoms, self._preselect = self._preselect, ()  # the first node shown only
        match = matching_choice(node, symptoms) if symptoms else None
        return node.choices.index(match) if match is not None else 0

    def _suggestion_text(self, engine: WalkEngine) -> str:
        node = engine.node
        if node is None:
            return ""
        if node.kind is NodeKind.QUESTION:
            return "[dim]type a choice's number, or j/k (arrows) and enter; u undoes[/dim]"
        if node.kind is not NodeKind.CHECK:
            return ""
        s = engine.suggestion
        if s is None:
            if self._checks_running > 0:
                return "[dim]checks running: [b]c[/b] cancels them[/dim]"
            return (
                "[dim]press [b]r[/b] to run the checks[/dim]"
                if engine.needs_checks
                else "[yellow]the verdicts suggest nothing definite: decide with the evidence below[/]"
            )
        return f"suggested by {verdict_markup(s.verdict.value).rstrip()}: [b]{s.label}[/b] — press [b]s[/b] to take it"

    @work(exclusive=True, group="walk-weighing", exit_on_error=False)
    async def show_weighing(self) -> None:
        """At triage's sweep: the findings as implicated / latent / unlikely / not examined."""
        from runbook.walk.sweep_view import sweep_lines

        engine = self.engine
        if engine is None:
            return
        lines = await self.thread.call(sweep_lines, engine)
        box = self.query_one("#weighing", Static)
        box.update("\n".join(lines))
        box.display = bool(lines)

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
        panel.started(message.key, message.check_type, self._deadline(message.key, message.check_type))
        self.query_one("#suggestion", Static).update("[dim]checks running: [b]c[/b] cancels them[/dim]")

    def _deadline(self, key: str, check_type: str) -> float | None:
        """The time limit of the check block ``key`` (``playbook#node#i``): its own, else its type's."""
        from runbook.checks.registry import get_check

        node = self.engine.node if self.engine else None
        _, _, index = key.rpartition("#")
        if node is None or not index.isdigit() or int(index) >= len(node.checks):
            return None
        block = node.checks[int(index)]
        if block.timeout_s is not None:
            return block.timeout_s
        try:
            return float(get_check(check_type).default_timeout_s)
        except RunbookError:
            return None

    def on_check_progressed(self, message: CheckProgressed) -> None:
        self.query_one("#checks", CheckPanel).progress(message.key, message.fraction, message.message)

    def on_check_finished(self, message: CheckFinished) -> None:
        self.query_one("#checks", CheckPanel).finished(message.key, message.result)
        self.call_after_refresh(self._show_suggestion)  # the figures just took room from the node

    def on_walk_changed(self, message: WalkChanged) -> None:
        if message.what in ("node_entered", "step_undone"):
            self.query_one("#checks", CheckPanel).clear()
        self.refresh_node()
        if message.what == "conclusion_reached" and self.drill is not None:
            self.score_drill()

    @work(group="walk-call", exit_on_error=False)
    async def score_drill(self) -> None:
        from runbook.drill.session import finish_drill

        engine, drill = self.engine, self.drill
        if engine is None or drill is None:
            return
        try:
            run = await self.thread.call(
                finish_drill, drill.scenario, engine, drill.mode, stop_reason="conclusion", stop_ref=engine.ref or ""
            )
        except RunbookError as exc:
            runbook_app(self).show_error(exc)
            return
        if run.score is None:
            return
        from runbook.tui.screens.drill_result import DrillResultScreen

        self.app.push_screen(DrillResultScreen(drill.scenario.id, run.score))

    # -- actions -------------------------------------------------------------------------------

    def _call(self, method: Callable[[WalkEngine], object]) -> None:
        """Run ``method(engine)`` in the engine's thread; a domain error becomes a notification."""
        if self.engine is None or self.engine.node is None:
            return
        self._engine_call(self.engine, method)

    @work(group="walk-call", exit_on_error=False)
    async def _engine_call(self, engine: WalkEngine, method: Callable[[WalkEngine], object]) -> None:
        try:
            await self.thread.call(method, engine)
        except RunbookError as exc:
            runbook_app(self).show_error(exc)

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

        if self.engine is None:
            return
        self._checks_running += 1
        try:
            await self.thread.run(self.engine.run_checks())
        except MissingVariables as exc:
            self.ask_variables(exc.needed)
        except RunbookError as exc:
            runbook_app(self).show_error(exc)
        finally:
            self._checks_done()

    def _checks_done(self) -> None:
        """Checks over (finished, failed or cancelled): the hint goes back to what is next."""
        self._checks_running -= 1
        if self.engine is not None and self.is_mounted:
            self.query_one("#suggestion", Static).update(self._suggestion_text(self.engine))

    def ask_variables(self, needed: Sequence[NeededVariable]) -> None:
        from runbook.tui.screens.variables import VariablesScreen

        self.app.push_screen(VariablesScreen(needed), self._got_variables)

    def _got_variables(self, values: dict[str, str] | None) -> None:
        if values:
            self._set_variables_and_run(values)

    @work(group="walk-call", exit_on_error=False)
    async def _set_variables_and_run(self, values: dict[str, str]) -> None:
        if self.engine is None:
            return
        try:
            await self.thread.call(self.engine.set_variables, values)
        except RunbookError as exc:
            runbook_app(self).show_error(exc)
            return
        self.run_checks()

    def action_variables(self) -> None:
        """Show the playbook's variables with their values, to correct one (then run the checks)."""
        from runbook.tui.screens.variables import VariablesScreen
        from runbook.walk.state import NeededVariable

        engine = self.engine
        node = engine.node if engine else None
        if engine is None or node is None:
            return
        declared = engine.library.playbooks[node.playbook].variables
        if not declared:
            self.notify(f"{node.playbook} has no variables", severity="warning")
            return
        current = {v.name: str(engine.variables[v.name]) for v in declared if engine.variables.get(v.name)}
        needed = [NeededVariable(v.name, v.description, v.example, v.required) for v in declared]
        run = bool(node.checks)
        screen = VariablesScreen(
            needed,
            current,
            heading=f"Variables of {node.playbook} (this incident's values)",
            button="Save and run the checks" if run else "Save",
        )
        self.app.push_screen(screen, lambda values: self._variables_changed(values, run))

    def _variables_changed(self, values: dict[str, str] | None, run: bool) -> None:
        if values:
            self._set_variables(values, run)

    @work(group="walk-call", exit_on_error=False)
    async def _set_variables(self, values: dict[str, str], run: bool) -> None:
        if self.engine is None:
            return
        try:
            await self.thread.call(self.engine.set_variables, values)
        except RunbookError as exc:
            runbook_app(self).show_error(exc)
            return
        self.notify("variables saved", title="Variables")
        if run:
            self.action_run_checks()

    def action_cancel_checks(self) -> None:
        cancelled = [w for w in self.workers if w.group in ("walk-checks", "walk-auto") and w.is_running]
        self.workers.cancel_group(self, "walk-checks")
        self.workers.cancel_group(self, "walk-auto")
        if cancelled:
            self.notify("checks cancelled; the cancellation is in the timeline", title="Cancelled")

    def action_take_suggestion(self) -> None:
        s = self.engine.suggestion if self.engine else None
        if s is None:
            self.notify(
                "no suggestion here: run the checks (r) or pick a choice (its number, or j/k and enter)",
                severity="warning",
            )
            return
        self._call(lambda engine: engine.choose(s.target))

    def action_choose(self, index: int) -> None:
        self._call(lambda engine: engine.choose(str(index)))

    def action_digit(self, digit: int) -> None:
        """Type a choice's number. With ten choices or more, a digit that can start a larger
        number waits ``DIGIT_WAIT_S`` for the next one (``1`` then ``2`` is choice 12)."""
        node = self.engine.node if self.engine else None
        count = len(node.choices) if node else 0
        if self._digit_timer is not None:
            self._digit_timer.stop()
            self._digit_timer = None
        typed = self._digits + str(digit)
        self._digits = ""
        number = int(typed)
        if number * 10 <= count and len(typed) == 1:  # more choices start with this digit
            self._digits = typed
            self.query_one("#suggestion", Static).update(f"[b]choice {typed}…[/b] [dim](type the next digit)[/dim]")
            self._digit_timer = self.set_timer(self.DIGIT_WAIT_S, self._commit_digits)
            return
        if 1 <= number <= count:
            self._highlight_choice(number)
            self.action_choose(number)
        else:
            self.notify(f"no choice {number} here (1-{count})", severity="warning")

    def _commit_digits(self) -> None:
        typed, self._digits, self._digit_timer = self._digits, "", None
        if typed and self.engine is not None:
            self.query_one("#suggestion", Static).update(self._suggestion_text(self.engine))
            self._highlight_choice(int(typed))
            self.action_choose(int(typed))

    def _highlight_choice(self, number: int) -> None:
        choices = self.query_one("#choices", OptionList)
        if 1 <= number <= choices.option_count:
            choices.highlighted = number - 1

    def action_choice_cursor(self, step: int) -> None:
        choices = self.query_one("#choices", OptionList)
        if not choices.display or not choices.option_count:
            return
        choices.focus()
        current = choices.highlighted if choices.highlighted is not None else -1
        choices.highlighted = max(0, min(choices.option_count - 1, current + step))

    @on(OptionList.OptionSelected, "#choices")
    def choice_selected(self, event: OptionList.OptionSelected) -> None:
        target = event.option.id
        if target is not None:
            self._call(lambda engine: engine.choose(target))

    def action_undo(self) -> None:
        self._call(lambda engine: engine.undo())

    def action_from_triage(self) -> None:
        self._call(lambda engine: engine.continue_from_triage())

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

        if self.engine is None:
            return
        self.notify("autopilot on: following the checks' suggestions (a stops)", title="Autopilot")
        self._checks_running += 1
        try:
            stop = await self.thread.run(autopilot(self.engine))
        except MissingVariables as exc:
            self.ask_variables(exc.needed)
            return
        except RunbookError as exc:
            runbook_app(self).show_error(exc)
            return
        finally:
            self._checks_done()
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
        text = event.value.strip()
        if text and self.engine is not None and self.incident_id is not None:
            self._save_note(self.incident_id, text, self._note_kind)
        self._close_note()

    @work(group="walk-call", exit_on_error=False)
    async def _save_note(self, incident_id: int, text: str, kind: str) -> None:
        from runbook.record.notes import add_finding

        engine = self.engine
        if engine is None:
            return
        step = engine.current_step
        author = services_of(self).settings.author
        try:
            await self.thread.call(
                lambda: add_finding(
                    incident_id,
                    text,
                    session=engine.session,
                    kind=kind,
                    author=author,
                    step_id=step.step_id if step else None,
                )
            )
        except RunbookError as exc:
            runbook_app(self).show_error(exc)
            return
        self.notify(f"{kind} saved", title="Note")

    def action_hint(self) -> None:
        if self.drill is None:
            self.notify("hints are for drills", severity="warning")
            return
        self._take_hint()

    @work(group="walk-call", exit_on_error=False)
    async def _take_hint(self) -> None:
        from runbook.drill.session import take_hint

        if self.drill is None or self.engine is None:
            return
        try:
            hint = await self.thread.call(take_hint, self.drill.scenario, self.engine)
        except RunbookError as exc:
            runbook_app(self).show_error(exc)
            return
        self.notify(hint or "no more hints", title="Hint", timeout=20)

    def _open(self, module: str, name: str) -> None:
        """Push one of the incident's screens, imported on first use (the walk opens sooner)."""
        if self.incident_id is not None:
            screen = getattr(import_module(f"runbook.tui.screens.{module}"), name)
            self.app.push_screen(screen(self.incident_id))

    def action_timeline(self) -> None:
        self._open("timeline", "TimelineScreen")

    def action_postmortem(self) -> None:
        self._open("postmortem", "PostmortemScreen")

    def action_status(self) -> None:
        self._open("status", "StatusScreen")

    def action_narrative(self) -> None:
        self._open("narrative", "NarrativeScreen")

    def action_action_items(self) -> None:
        self._open("action_items", "ActionItemsScreen")

    def _export(self, fmt: str) -> None:
        from runbook.tui.screens.postmortem import PostmortemScreen

        if self.incident_id is not None:
            screen = PostmortemScreen(self.incident_id)
            self.app.push_screen(screen)
            screen.call_after_refresh(screen.action_export, fmt)

    def palette_commands(self) -> Iterator[SystemCommand]:
        from textual.app import SystemCommand

        yield SystemCommand(
            "Status and severity",
            "Mark the incident mitigated, resolved or closed; set its severity",
            self.action_status,
        )
        yield SystemCommand(
            "Write the postmortem",
            "Summary, impact, trigger, resolution, what went well/wrong, lessons",
            self.action_narrative,
        )
        yield SystemCommand(
            "Action items", "Accept the proposed actions; add, edit, mark done", self.action_action_items
        )
        yield SystemCommand("Export the postmortem as Markdown", "Asks for the path", lambda: self._export("md"))
        yield SystemCommand("Export the postmortem as HTML", "Asks for the path", lambda: self._export("html"))

        yield SystemCommand("Run checks", "Run this node's live checks", self.action_run_checks)
        yield SystemCommand(
            "Variables", "See and correct the playbook's variables (URLs, names)", self.action_variables
        )
        yield SystemCommand("Autopilot", "Follow the suggestions until a person is needed", self.action_autopilot)
        yield SystemCommand("Undo", "Step back (the step stays in the timeline)", self.action_undo)
        yield SystemCommand("Timeline", "The incident's live timeline", self.action_timeline)
        yield SystemCommand("Postmortem", "Preview and export the postmortem", self.action_postmortem)
