"""The walk engine's observer for the UI: each callback becomes a Message on the walk screen.

The engine calls its observer on the event loop as things happen; posting Messages keeps the
screen's handlers ordinary Textual handlers (and lets tests await them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message
from textual.message_pump import MessagePump

from runbook.checks.base import CheckResult
from runbook.walk.observer import NullWalkObserver

if TYPE_CHECKING:
    from runbook.checks.base import CheckResult
    from runbook.playbook.model import Node
    from runbook.walk.state import ReachedConclusion, Suggestion, WalkStep


@dataclass
class CheckStarted(Message):
    key: str
    check_type: str


@dataclass
class CheckProgressed(Message):
    key: str
    fraction: float | None
    message: str


@dataclass
class CheckFinished(Message):
    key: str
    result: CheckResult


@dataclass
class WalkChanged(Message):
    """Something moved (node entered, choice taken, undone, suggestion, conclusion): redraw."""

    what: str


class MessageObserver(NullWalkObserver):
    """Turns walk events into Messages posted to ``target`` (the walk screen)."""

    def __init__(self, target: MessagePump) -> None:
        self.target = target

    def check_started(self, key: str, check_type: str) -> None:
        self.target.post_message(CheckStarted(key, check_type))

    def check_progress(self, key: str, fraction: float | None, message: str) -> None:
        self.target.post_message(CheckProgressed(key, fraction, message))

    def check_finished(self, key: str, result: CheckResult) -> None:
        self.target.post_message(CheckFinished(key, result))

    def node_entered(self, step: WalkStep, node: Node) -> None:
        self.target.post_message(WalkChanged("node_entered"))

    def choice_suggested(self, suggestion: Suggestion | None) -> None:
        self.target.post_message(WalkChanged("choice_suggested"))

    def step_undone(self, step: WalkStep) -> None:
        self.target.post_message(WalkChanged("step_undone"))

    def conclusion_reached(self, conclusion: ReachedConclusion) -> None:
        self.target.post_message(WalkChanged("conclusion_reached"))
