"""The contract every diagnostic check follows.

A check type is a class with typed, validated parameters (a pydantic model, so the playbook
validator and ``runbook checks`` can read the schema) and an async ``run`` that measures a
live endpoint and returns an :class:`Outcome`. The runner (``runbook.checks.runner``) wraps it
into a timed, redacted :class:`CheckResult` and guarantees the deadline: a check never has to
worry about hanging peers beyond using the helpers it is given.

Results are frozen dataclasses, not dicts: they are stored, replayed in drills and rendered in
postmortems, so their shape must not drift.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from runbook.checks.redact import redact_text
from runbook.errors import RunbookError

#: Evidence excerpts are cut to this many characters each, and a result keeps at most
#: MAX_EVIDENCE items: results are stored per step and must stay small.
MAX_EXCERPT_CHARS = 2000
MAX_EVIDENCE = 50


class Verdict(StrEnum):
    """What a check concluded. ``unknown`` means it could not measure, never "probably fine"."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"

    @property
    def exit_code(self) -> int:
        """Monitoring-plugin convention: 0 ok, 1 warn, 2 fail, 3 unknown."""
        return {"ok": 0, "warn": 1, "fail": 2, "unknown": 3}[self.value]

    @property
    def weight(self) -> int:
        """How strongly the verdict points at a problem: fail > warn > ok; unknown says nothing."""
        return {"fail": 3, "warn": 2, "ok": 1, "unknown": 0}[self.value]


Figure = float | int | str | bool | None


@dataclass(frozen=True)
class Evidence:
    """One timestamped excerpt of what the check saw (a request, a response, a sample)."""

    at: datetime
    label: str
    """Short kind: ``request``, ``response``, ``sample``, ``event``, ``error``, ``note``."""
    text: str
    """The excerpt, redacted and cut to MAX_EXCERPT_CHARS."""
    deciding: bool = False
    """True for the excerpt the verdict rests on (the failing series' bucket lines, the
    goroutine group, the vanished keys ...): what a reviewer reads to check the verdict, shown
    before the raw requests and responses."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at.isoformat(), "label": self.label, "text": self.text}
        if self.deciding:  # only when set: stored results without it read back unchanged
            out["deciding"] = True
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(
            at=datetime.fromisoformat(data["at"]),
            label=data["label"],
            text=data["text"],
            deciding=bool(data.get("deciding", False)),
        )


@dataclass(frozen=True)
class Outcome:
    """What a check's ``run`` returns; the runner adds timing, type, params and evidence."""

    verdict: Verdict
    summary: str
    """One line a responder reads at 3 a.m.: what was measured and what it means."""
    figures: Mapping[str, Figure] = field(default_factory=dict)
    """Named measurements, e.g. ``{"p99_s": 1.2, "close_wait": 140}``."""
    thresholds: Mapping[str, Figure] = field(default_factory=dict)
    """The thresholds applied to reach the verdict, e.g. ``{"fail_close_wait": 100}``."""
    error: str | None = None
    """Why the check could not measure (set together with verdict ``unknown``)."""


@dataclass(frozen=True)
class CheckResult:
    """The full, timed record of one check run, as stored and shown."""

    check_type: str
    verdict: Verdict
    summary: str
    figures: Mapping[str, Figure]
    thresholds: Mapping[str, Figure]
    evidence: tuple[Evidence, ...]
    started_at: datetime
    duration_s: float
    params: Mapping[str, Any]
    """The parameters as run, with secrets redacted."""
    error: str | None = None
    ran: bool = True
    """False for a block the walk skipped (a variable it needs was not given): its ``unknown``
    stands in for a result, nothing was measured."""

    @property
    def deciding(self) -> tuple[Evidence, ...]:
        """The excerpts that decided the verdict, in the order recorded."""
        return tuple(e for e in self.evidence if e.deciding)

    def key_figure(self) -> str:
        """The first figure as ``name=value``: what a timeline line cites."""
        for name, value in self.figures.items():
            return f"{name}={value}"
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "check_type": self.check_type,
            "verdict": self.verdict.value,
            "summary": self.summary,
            "figures": dict(self.figures),
            "thresholds": dict(self.thresholds),
            "evidence": [e.to_dict() for e in self.evidence],
            "started_at": self.started_at.isoformat(),
            "duration_s": self.duration_s,
            "params": dict(self.params),
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        return cls(
            check_type=data["check_type"],
            verdict=Verdict(data["verdict"]),
            summary=data["summary"],
            figures=dict(data.get("figures") or {}),
            thresholds=dict(data.get("thresholds") or {}),
            evidence=tuple(Evidence.from_dict(e) for e in data.get("evidence") or ()),
            started_at=datetime.fromisoformat(data["started_at"]),
            duration_s=float(data["duration_s"]),
            params=dict(data.get("params") or {}),
            error=data.get("error"),
        )


class MeasureError(RunbookError):
    """A measurement could not be made: unreachable, hostile, malformed or too slow a peer.

    The message is the readable reason ("connection refused by 127.0.0.1:1234"); the runner
    turns it into verdict ``unknown`` with that reason.
    """

    title = "Could not measure"


class CheckParams(BaseModel):
    """Base for every check's parameter model: unknown parameters are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: A check's own parameter model: ``class HttpProbe(Check[HttpProbeParams])``.
ParamsT = TypeVar("ParamsT", bound=CheckParams)

ProgressCallback = Callable[[float | None, str], None]


class CheckContext:
    """What a running check gets from the runner: deadline, evidence log, progress, limits.

    Evidence is collected here as the check goes, so that when the deadline cuts a check
    short the result still shows what was seen before.
    """

    def __init__(
        self,
        *,
        deadline: float,
        max_bytes: int,
        on_progress: ProgressCallback | None = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.deadline = deadline
        """``time.monotonic()`` value by which the check must be done."""
        self.max_bytes = max_bytes
        """Response-size cap for any single read."""
        self.secrets = secrets
        """Secret values (tokens, passwords) to scrub from any text this check records."""
        self._on_progress = on_progress
        self.evidence: list[Evidence] = []

    def remaining(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.deadline - time.monotonic())

    def record(self, label: str, text: str, *, deciding: bool = False) -> None:
        """Keep an evidence excerpt (redacted and bounded; the oldest beyond the cap are dropped).

        ``deciding=True`` marks the excerpt the verdict rests on; those are never the ones
        dropped, so a long check still shows what decided it.
        """
        excerpt = redact_text(text, self.secrets)
        if len(excerpt) > MAX_EXCERPT_CHARS:
            excerpt = excerpt[: MAX_EXCERPT_CHARS - 15] + " ...[truncated]"
        self.evidence.append(Evidence(at=datetime.now(UTC), label=label, text=excerpt, deciding=deciding))
        if len(self.evidence) > MAX_EVIDENCE:
            # keep the first (the request that started it), the deciding ones and the most recent
            drop = next((i for i, e in enumerate(self.evidence) if i > 0 and not e.deciding), None)
            del self.evidence[drop if drop is not None else 1]

    def progress(self, fraction: float | None, message: str) -> None:
        """Report progress (0..1, or None when unknown) for long checks; the UI shows it."""
        if self._on_progress is not None:
            self._on_progress(fraction, message)


class Check(ABC, Generic[ParamsT]):
    """A check type. Subclasses set the class attributes and implement ``run``.

    Generic in its parameter model, so ``run`` receives the subclass's own params (the runner
    validates raw params with ``Params`` first). Register a subclass with ``@register_check``
    from ``runbook.checks.registry``.
    """

    name: ClassVar[str]
    """Stable identifier used in playbooks, e.g. ``etcd_lease_keepalive``."""
    title: ClassVar[str]
    """Short human title."""
    description: ClassVar[str] = ""
    """What it measures and how the verdict is decided (shown by ``runbook checks``)."""
    rules: ClassVar[tuple[str, ...]] = ()
    """Knowledge-base rule ids this check can confirm live, e.g. ``("R1",)``."""
    Params: ClassVar[type[CheckParams]]
    """The parameter model."""
    default_timeout_s: ClassVar[float] = 10.0
    """Deadline when the playbook or caller gives none."""
    secret_params: ClassVar[tuple[str, ...]] = ()
    """Names of parameters whose values are secrets (redacted everywhere)."""

    @abstractmethod
    async def run(self, params: ParamsT, ctx: CheckContext) -> Outcome:
        """Measure and decide. May raise; the runner maps any exception to ``unknown``."""
