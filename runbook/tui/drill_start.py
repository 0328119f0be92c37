"""What the walk screen needs to run a drill (chosen on the drills screen, run on the walk screen)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbook.drill.scenarios import DrillScenario
    from runbook.walk.engine import CheckRunner


@dataclass(frozen=True)
class DrillStart:
    """A scenario, its mode (replay or live), its variables and the check runner that answers."""

    scenario: DrillScenario
    mode: str
    variables: dict[str, str]
    runner: CheckRunner
