"""How a walk reports what it does, so a face (the TUI, the CLI, a drill) can show it live.

The engine calls these methods synchronously, on the event loop, as each thing happens and
after it is recorded: a UI turns each call into a Message; the CLI prints a line. The check
methods have the same names and signatures as ``runbook.checks.runner.CheckObserver``, so one
object can serve both. :class:`NullWalkObserver` lets an observer implement only what it needs;
:class:`CompositeObserver` fans out to several (the UI and a drill scorer at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from runbook.checks.base import CheckResult
    from runbook.playbook.model import Node
    from runbook.walk.state import ReachedConclusion, Suggestion, TakenChoice, WalkStep


class WalkObserver(Protocol):
    """Progress of one incident's walk."""

    def node_entered(self, step: WalkStep, node: Node) -> None:
        """A node was entered (and recorded as step ``step.seq``)."""

    def check_started(self, key: str, check_type: str) -> None:
        """A check block began; ``key`` is ``playbook#node#index``."""

    def check_progress(self, key: str, fraction: float | None, message: str) -> None:
        """A long check reported progress (fraction 0..1 or None when unknown)."""

    def check_finished(self, key: str, result: CheckResult) -> None:
        """A check block has a result (already recorded)."""

    def choice_suggested(self, suggestion: Suggestion | None) -> None:
        """The node's checks are done; ``None`` when the verdicts suggest nothing."""

    def choice_taken(self, choice: TakenChoice) -> None:
        """A branch was taken, by a person or (``choice.automatic``) by the autopilot."""

    def step_undone(self, step: WalkStep) -> None:
        """A step was undone: it stays in the record, flagged."""

    def conclusion_reached(self, conclusion: ReachedConclusion) -> None:
        """A conclusion node was reached (and recorded)."""


class NullWalkObserver:
    """Does nothing; subclass it and override only what you need."""

    def node_entered(self, step: WalkStep, node: Node) -> None:
        pass

    def check_started(self, key: str, check_type: str) -> None:
        pass

    def check_progress(self, key: str, fraction: float | None, message: str) -> None:
        pass

    def check_finished(self, key: str, result: CheckResult) -> None:
        pass

    def choice_suggested(self, suggestion: Suggestion | None) -> None:
        pass

    def choice_taken(self, choice: TakenChoice) -> None:
        pass

    def step_undone(self, step: WalkStep) -> None:
        pass

    def conclusion_reached(self, conclusion: ReachedConclusion) -> None:
        pass


class CompositeObserver(NullWalkObserver):
    """Calls every observer in turn; one that raises does not stop the others or the walk."""

    def __init__(self, observers: Iterable[WalkObserver] = ()) -> None:
        self.observers = [o for o in observers if o is not None]
        self.errors: list[BaseException] = []
        """Exceptions raised by observers (kept for tests and logs; the walk goes on)."""

    def add(self, observer: WalkObserver) -> None:
        self.observers.append(observer)

    def _call(self, name: str, *args: object) -> None:
        for obs in self.observers:
            method = getattr(obs, name, None)
            if method is None:
                continue
            try:
                method(*args)
            except Exception as exc:
                self.errors.append(exc)

    def node_entered(self, step: WalkStep, node: Node) -> None:
        self._call("node_entered", step, node)

    def check_started(self, key: str, check_type: str) -> None:
        self._call("check_started", key, check_type)

    def check_progress(self, key: str, fraction: float | None, message: str) -> None:
        self._call("check_progress", key, fraction, message)

    def check_finished(self, key: str, result: CheckResult) -> None:
        self._call("check_finished", key, result)

    def choice_suggested(self, suggestion: Suggestion | None) -> None:
        self._call("choice_suggested", suggestion)

    def choice_taken(self, choice: TakenChoice) -> None:
        self._call("choice_taken", choice)

    def step_undone(self, step: WalkStep) -> None:
        self._call("step_undone", step)

    def conclusion_reached(self, conclusion: ReachedConclusion) -> None:
        self._call("conclusion_reached", conclusion)
