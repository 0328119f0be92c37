"""What every screen may ask of the app, without importing the app (which imports the screens).

``RunbookApp`` (``app.py``) pushes screens, so it imports them; screens reach the app only
through :class:`ServicesApp`, the base it derives from, so the screens and the app form no
import cycle. ``runbook_app(self)`` and ``services_of(self)`` are the typed ways in.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING

from textual.app import App
from textual.worker import Worker, WorkerState

from runbook.errors import RunbookError

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from runbook.services import Services
    from runbook.services.content import Content


class ServicesApp(App[None]):
    """The app with its composition root, its error display and its navigation entry points."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services: Services = services
        self._content_errors_shown = False

    @abstractmethod
    def action_new_incident(self) -> None:
        """Open the start form."""

    @abstractmethod
    def open_incident(
        self, incident_id: int, *, start_playbook: str | None = None, symptoms: tuple[str, ...] = ()
    ) -> None:
        """Open an incident's walk."""

    # -- errors never surface as tracebacks --------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.show_error(event.worker.error)

    def report_content_errors(self, content: Content) -> None:
        """Say once that some playbooks or records are broken (the rest still work)."""
        if content.errors and not self._content_errors_shown:
            self._content_errors_shown = True
            first = content.errors[0].message
            more = f" (and {len(content.errors) - 1} more; run 'runbook validate')" if len(content.errors) > 1 else ""
            self.notify(f"{first}{more}", title="Broken playbook", severity="warning", timeout=15)

    def show_error(self, error: BaseException) -> None:
        if isinstance(error, RunbookError):
            self.notify(error.message, title=error.title, severity="error", timeout=8)
        else:
            self.notify(f"{error.__class__.__name__}: {error}", title="Unexpected error", severity="error", timeout=8)


def runbook_app(node: DOMNode) -> ServicesApp:
    """The running app seen from any of its widgets or screens, typed."""
    app = node.app
    if not isinstance(app, ServicesApp):  # pragma: no cover - a screen mounted in a foreign app
        raise TypeError(f"{type(node).__name__} runs inside {type(app).__name__}, not the runbook app")
    return app


def services_of(node: DOMNode) -> Services:
    """The composition root the app was built with."""
    return runbook_app(node).services
