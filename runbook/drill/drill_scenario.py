"""One drill scenario, parsed: the ground truth, where to start, the lab and the replay.

Its own module so that ``runbook.drill.validate`` can take a scenario without importing the
loader (``runbook.drill.scenarios``), which calls the validator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: ``lab:`` of a scenario made from a recorded incident: there is no lab, it replays only.
NO_LAB = "none"


@dataclass(frozen=True)
class DrillScenario:
    id: str
    title: str
    incident: str
    """The knowledge-base incident it rehearses (``P0-1``)."""
    truth: tuple[str, ...]
    """Rule ids a complete diagnosis concludes, or ``unexplained`` when the right answer is none
    of the rules: reach an unexplained terminal and escalate with the evidence."""
    playbook: str
    """Where the responder starts: a playbook id (its start node) or ``playbook#node``."""
    lab: str
    """Lab scenario to bring up for live mode (``runbook lab up <lab>``), or ``none`` (replay only)."""
    replay: str
    """Name of the recording (``drills/recordings/<name>.json``) replay mode answers from."""
    briefing: str
    """Markdown the responder reads first: what they see, not what is wrong."""
    hints: tuple[str, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)
    """Overrides of the lab's (or the recording's) variables."""
    par_s: float = 600.0
    """Time to diagnosis that still earns the full time score."""
    difficulty: str = "normal"
    mitigation: str = ""
    """``playbook#node`` where the damage is stopped (``triage#rollback``): when set, the time
    score is the time to mitigation (entering that node) instead of the time to diagnosis."""
    mitigation_par_s: float = 300.0
    """Time to mitigation that still earns the full time score."""
    path: Path = Path()
    line: int = 1
    key_lines: dict[str, int] = field(default_factory=dict)
    """Line of each front matter key, for ``path:line`` errors found after parsing."""

    def start_ref(self, library: Any) -> str:
        playbook, _, node = self.playbook.partition("#")
        return f"{playbook}#{node or library.get(playbook).start}"
