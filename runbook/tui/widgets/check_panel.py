"""The check panel: one row per check of the current node, live while it runs.

While a check runs its row shows the time it has taken against its deadline and the check's
own progress ("goroutine dump 1 of 2"), ticking every half second so a slow check is visibly
alive; when it finishes, the verdict, the one-line summary, the figures and thresholds, and the
evidence in a collapsible section.
"""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Collapsible, Static

from runbook.checks.base import CheckResult

VERDICT_STYLE = {"ok": "green", "warn": "yellow", "fail": "red", "unknown": "magenta"}


def verdict_markup(verdict: str) -> str:
    style = VERDICT_STYLE.get(verdict, "white")
    return f"[b {style}]{verdict.upper():<7}[/] "


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


class CheckRow(Vertical):
    """One check: header line, then (when done) figures and evidence.

    All parts exist from the start and are filled in later, so a result that arrives before
    the row has finished mounting is never lost.
    """

    def __init__(self, key: str, check_type: str, deadline_s: float | None = None) -> None:
        super().__init__(classes="check-row running")
        self.key = key
        self.check_type = check_type
        self.deadline_s = deadline_s
        """The check's own time limit (the verdict is unknown past it), shown against the elapsed time."""
        self.started = time.monotonic()
        self._progress = ""
        self._done = False
        self.head = Static(f"[dim]RUNNING[/] {check_type} …", classes="check-head")
        self.figures = Static("", classes="check-figures")
        self.evidence_body = Static("", markup=False)
        self.evidence = Collapsible(self.evidence_body, title="evidence", collapsed=True)
        self.figures.display = False
        self.evidence.display = False

    def compose(self) -> ComposeResult:
        yield self.head
        yield self.figures
        yield self.evidence

    def on_mount(self) -> None:
        self._tick = self.set_interval(0.5, self._show_running)
        self._show_running()

    def running_text(self) -> str:
        """``RUNNING type 3.5s of 20s · 40% goroutine dump 1 of 2``."""
        elapsed = time.monotonic() - self.started
        limit = f" of {self.deadline_s:g}s" if self.deadline_s else ""
        progress = f" · {self._progress}" if self._progress else ""
        return f"[dim]RUNNING[/] {self.check_type} {elapsed:.1f}s{limit}{progress}"

    def _show_running(self) -> None:
        if not self._done:
            self.head.update(self.running_text())

    def progress(self, fraction: float | None, message: str) -> None:
        pct = f"{fraction * 100:.0f}% " if fraction is not None else ""
        self._progress = f"{pct}[dim]{_escape(message)}[/]".strip()
        self._show_running()

    def finish(self, result: CheckResult) -> None:
        self._done = True
        self.head.update(
            f"{verdict_markup(result.verdict.value)}{result.check_type}: {_escape(result.summary)} "
            f"[dim]({result.duration_s:.1f}s)[/]"
        )
        self.remove_class("running")
        self.add_class(f"verdict-{result.verdict.value}")
        lines = []
        figures = ", ".join(f"{k}={v}" for k, v in result.figures.items())
        thresholds = ", ".join(f"{k}={v}" for k, v in result.thresholds.items())
        if figures:
            lines.append(f"[b]figures[/] {_escape(figures)}")
        if thresholds:
            lines.append(f"[b]thresholds[/] {_escape(thresholds)}")
        if result.error and result.error not in result.summary:
            lines.append(f"[b]could not measure[/] {_escape(result.error)}")
        self.figures.update("\n".join(lines))
        self.figures.display = bool(lines)
        if result.evidence:
            # the excerpt the verdict rests on first (as the postmortem prints it), then the raw ones
            deciding = [f"decided the verdict: {e.label}\n{e.text}" for e in result.deciding]
            raw = [f"{e.at:%H:%M:%S} {e.label}: {e.text}" for e in result.evidence if not e.deciding]
            self.evidence_body.update("\n\n".join(filter(None, ["\n\n".join(deciding), "\n".join(raw)])))
            self.evidence.title = f"evidence ({len(result.evidence)})"
            self.evidence.display = True


class CheckPanel(VerticalScroll):
    """All the checks of the node being walked."""

    def clear(self) -> None:
        self.remove_children()

    def started(self, key: str, check_type: str, deadline_s: float | None = None) -> None:
        self.mount(CheckRow(key, check_type, deadline_s))

    def _row(self, key: str) -> CheckRow | None:
        for row in self.query(CheckRow):
            if row.key == key:
                return row
        return None

    def progress(self, key: str, fraction: float | None, message: str) -> None:
        row = self._row(key)
        if row is not None:
            row.progress(fraction, message)

    def finished(self, key: str, result: CheckResult) -> None:
        row = self._row(key)
        if row is None:
            self.started(key, result.check_type)
            row = self._row(key)
        if row is not None:
            row.finish(result)
