"""The playbook model: what a parsed Markdown playbook is, independent of how it was written.

Frozen dataclasses, so a loaded library can be shared by the engine, the UI and the
validator without anyone mutating it under the others. Every element keeps the line it came
from, because every error message must point at ``path:line``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from runbook.playbook.alert_routes import AlertRoute, AlertVariables

VERDICTS = ("ok", "warn", "fail", "unknown")


class NodeKind(StrEnum):
    QUESTION = "question"
    """A human answers by picking a choice."""
    CHECK = "check"
    """Embedded live checks whose verdicts suggest a choice."""
    CONCLUSION = "conclusion"
    """A root cause: rules, the fix, proposed action items."""


@dataclass(frozen=True)
class Variable:
    """Something the responder supplies when the walk starts (an URL, a name, a port)."""

    name: str
    description: str = ""
    example: str | None = None
    required: bool = True
    line: int = 1


@dataclass(frozen=True)
class Choice:
    """One way out of a node: a list item linking to a node here or in another playbook."""

    label: str
    playbook: str
    """Id of the playbook the target node is in (this playbook's id for local links)."""
    node: str
    loop: bool = False
    """The author marked this edge as a deliberate loop (link title ``loop``)."""
    line: int = 1
    local: bool = True
    """Written as ``#node`` (same file) rather than ``playbook#node``."""

    @property
    def ref(self) -> str:
        """Global node reference ``playbook#node``."""
        return f"{self.playbook}#{self.node}"


@dataclass(frozen=True)
class CheckBlock:
    """An embedded diagnostic check: type, templated params, deadline, verdict -> choice."""

    check_type: str
    params: dict[str, Any] = field(default_factory=dict)
    timeout_s: float | None = None
    verdicts: dict[str, str] = field(default_factory=dict)
    """Verdict (ok/warn/fail/unknown) -> target as written (``node`` or ``playbook#node``)."""
    line: int = 1


@dataclass(frozen=True)
class ActionTemplate:
    """A proposed action item attached to a conclusion."""

    text: str
    type: str = "prevent"
    """``mitigate`` (stop the bleeding) or ``prevent`` (stop it happening again)."""
    owner: str = ""
    """A role, not a person: ``on-call``, ``service owner``, ``platform team``."""
    rule: str = ""
    """The one rule of the conclusion this action answers; empty: it answers all of them."""


#: ``cause`` names the rules it concludes; ``unexplained`` is the exit for an incident that is
#: none of them (no rules, an escalation, "cause unknown"), so a walk is never forced to pick one.
CONCLUSION_KINDS = ("cause", "unexplained")

#: The kind of the exit for what is none of the rules; drills name it as their truth when the
#: right answer is "none of them: escalate with the evidence".
UNEXPLAINED = "unexplained"


@dataclass(frozen=True)
class NodeConclusion:
    rules: tuple[str, ...]
    fix: str
    actions: tuple[ActionTemplate, ...] = ()
    line: int = 1
    kind: str = "cause"
    """``cause`` or ``unexplained`` (see ``CONCLUSION_KINDS``)."""
    escalate: str = ""
    """Who an unexplained incident goes to next (a role), with the evidence collected."""

    @property
    def unexplained(self) -> bool:
        """The walk ends without a rule: the cause is declared unknown and escalated."""
        return self.kind == "unexplained"


@dataclass(frozen=True)
class Node:
    playbook: str
    id: str
    title: str
    kind: NodeKind
    body: str
    """The node's prose as Markdown (special blocks and the choice list removed)."""
    choices: tuple[Choice, ...] = ()
    checks: tuple[CheckBlock, ...] = ()
    conclusion: NodeConclusion | None = None
    line: int = 1

    @property
    def ref(self) -> str:
        return f"{self.playbook}#{self.id}"

    def choice_for(self, target: str) -> Choice | None:
        """The choice whose target matches ``target`` (``node`` or ``playbook#node``)."""
        for choice in self.choices:
            if target in (choice.ref, choice.node if choice.local else choice.ref):
                return choice
        return None


@dataclass(frozen=True)
class Playbook:
    id: str
    title: str
    path: Path
    start: str
    nodes: dict[str, Node]
    """Nodes in document order."""
    summary: str = ""
    symptoms: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    variables: tuple[Variable, ...] = ()
    line: int = 1
    alerts: tuple[AlertRoute, ...] = ()
    """Which Alertmanager alerts start this playbook (``alerts:``; see ``alert_routes``)."""
    alert_variables: AlertVariables = field(default_factory=AlertVariables)
    """How an alert's labels and annotations fill the variables (``alert_variables:``)."""

    @property
    def start_node(self) -> Node:
        return self.nodes[self.start]

    def variable(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)

    def node_line(self, node_id: str) -> int:
        node = self.nodes.get(node_id)
        return node.line if node else self.line
