"""The runbook Textual app and the one factory that builds it (for the CLI and the tests)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from runbook.tui.base_app import ServicesApp

if TYPE_CHECKING:
    from runbook.services import Services
    from runbook.tui.screens.start_incident import StartedIncident


@runtime_checkable
class PaletteCommands(Protocol):
    """A screen that adds its own commands to the command palette."""

    def palette_commands(self) -> Iterable[SystemCommand]: ...


class RunbookApp(ServicesApp):
    """Home -> start incident -> walk -> timeline / postmortem; knowledge base; drills."""

    TITLE = "runbook"
    SUB_TITLE = "incident runbooks for Go microservices"
    CSS_PATH = Path(__file__).parent / "app.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def get_default_screen(self) -> Screen[None]:
        from runbook.tui.screens.home import HomeScreen

        return HomeScreen()

    # -- actions shared by every screen ------------------------------------------------------

    def action_help(self) -> None:
        from runbook.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_new_incident(self) -> None:
        from runbook.tui.screens.start_incident import StartIncidentScreen

        self.push_screen(StartIncidentScreen(), self._open_started)

    def _open_started(self, started: StartedIncident | None) -> None:
        if started is not None:
            self.open_incident(started.incident_id, start_playbook=started.playbook_id, symptoms=started.symptoms)

    def open_incident(
        self, incident_id: int, *, start_playbook: str | None = None, symptoms: tuple[str, ...] = ()
    ) -> None:
        from runbook.tui.screens.walk import WalkScreen

        self.push_screen(WalkScreen(incident_id, start_playbook=start_playbook, symptoms=symptoms))

    def action_knowledge(self) -> None:
        from runbook.tui.screens.knowledge import KnowledgeScreen

        self.push_screen(KnowledgeScreen())

    def action_drills(self) -> None:
        from runbook.tui.screens.drills import DrillsScreen

        self.push_screen(DrillsScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("New incident", "Open an incident and pick a playbook", self.action_new_incident)
        yield SystemCommand("Knowledge base", "Rules, P0 incidents, playbooks, search", self.action_knowledge)
        yield SystemCommand("Drills", "Practise on a scenario (replay or live against the lab)", self.action_drills)
        yield SystemCommand("Help", "Keys and how to use runbook", self.action_help)
        if isinstance(screen, PaletteCommands):
            yield from screen.palette_commands()


def make_app(services: Services) -> RunbookApp:
    """Build the app with its dependencies (``Services``: record, content, check runner, clock)."""
    return RunbookApp(services)


def run_app(services: Services) -> int:
    make_app(services).run()
    return 0
