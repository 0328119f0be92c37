"""What a walk is made of, as frozen values the engine hands to its faces.

The engine owns the mutable state; everything it gives out (to the UI, the CLI, a drill
scorer, the JSON output) is one of these snapshots, rebuilt from the record on resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from runbook.checks.base import CheckResult, Verdict


def split_ref(ref: str) -> tuple[str, str]:
    """``playbook#node`` -> (playbook, node)."""
    playbook, _, node = ref.partition("#")
    return playbook, node


@dataclass(frozen=True)
class WalkStep:
    """One visit of a node, as recorded (undone steps included, flagged)."""

    step_id: int
    seq: int
    playbook_id: str
    node_id: str
    entered_at: datetime
    choice: str | None = None
    """Label of the branch taken when leaving (None while here, or when the branch was undone)."""
    next_ref: str | None = None
    automatic: bool = False
    undone: bool = False

    @property
    def ref(self) -> str:
        return f"{self.playbook_id}#{self.node_id}"


@dataclass(frozen=True)
class BlockResult:
    """The latest result of one check block of a node."""

    ref: str
    """The node, ``playbook#node``."""
    index: int
    """Position of the block in the node (0-based)."""
    result: CheckResult
    target: str | None
    """Where this block's verdict points (``playbook#node``), None when unmapped."""

    @property
    def key(self) -> str:
        return f"{self.ref}#{self.index}"

    @property
    def verdict(self) -> Verdict:
        return self.result.verdict


@dataclass(frozen=True)
class Suggestion:
    """The choice a node's verdicts suggest (see ``runbook.walk.suggest``)."""

    target: str
    """``playbook#node`` of the suggested choice."""
    label: str
    verdict: Verdict
    block: int
    """Index of the block whose verdict decided."""
    contested: bool = False
    """Another block with an equally severe verdict points elsewhere: a person should decide."""
    reason: str = ""


@dataclass(frozen=True)
class TakenChoice:
    """A branch taken out of a step."""

    step: WalkStep
    label: str
    target: str
    automatic: bool


@dataclass(frozen=True)
class ReachedConclusion:
    """A conclusion node reached during the walk."""

    ref: str
    title: str
    rules: tuple[str, ...]
    fix: str
    step_id: int | None
    automatic: bool = False


@dataclass(frozen=True)
class NeededVariable:
    """A variable a check needs and the incident does not have yet."""

    name: str
    description: str = ""
    example: str | None = None
    required: bool = True
    """Declared required (the default). A block whose missing variables are all optional is
    skipped (verdict ``unknown``, "not run") instead of stopping the node."""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "example": self.example, "required": self.required}


class StopReason(StrEnum):
    """Why an automatic walk stopped; the CLI maps these to exit codes."""

    CONCLUSION = "conclusion"
    QUESTION = "question"
    """A question only a person can answer."""
    UNDECIDED = "undecided"
    """Checks ran but their verdicts suggest nothing definite (unmapped, or contested)."""
    UNKNOWN = "unknown"
    """Every check at the node came back ``unknown``: nothing was measured."""
    STEP_LIMIT = "step_limit"
    """The walk went round a loop more often than allowed."""
    UNEXPLAINED = "unexplained"
    """The unexplained terminal: none of the rules explains it; the cause is declared unknown and
    the incident escalated with the evidence (its own exit code, so scripts never read it as a
    diagnosis)."""

    @property
    def exit_code(self) -> int:
        """0 conclusion, 1 a human decision is needed, 2 stopped at unknown, 4 unexplained (3 is an error)."""
        return {"conclusion": 0, "unknown": 2, "unexplained": 4}.get(self.value, 1)
