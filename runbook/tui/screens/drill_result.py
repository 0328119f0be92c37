"""A drill's score on a screen of its own: the total and each part, what was found and missed,
so a trainee reads it at leisure instead of catching a toast before it fades."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

if TYPE_CHECKING:
    from runbook.drill.scoring import Score


def score_markdown(scenario_id: str, score: Score) -> str:
    taken = f"{score.seconds_to_diagnosis:.0f} s" if score.seconds_to_diagnosis is not None else "no diagnosis"
    lines = [
        f"# Drill {scenario_id}: {score.total:g}/100",
        "",
        "| part | score | how |",
        "|---|---|---|",
        f"| root cause | {score.root_cause:g} | found {', '.join(score.found) or 'none'}"
        f"{'; missed ' + ', '.join(score.missed) if score.missed else ''} |",
        f"| path | {score.path:g} | {score.steps_taken} steps, best {score.optimal_steps} |",
        f"| time | {score.time:g} | {taken}, par {score.par_s:.0f} s |",
        f"| checks | {score.checks:g} | {score.checks_run} run, best {score.optimal_checks} |",
        "",
        f"Hints taken: {score.hints_taken}.",
    ]
    if score.wrong:
        lines.append(f"Wrong conclusions: {'; '.join(', '.join(w) for w in score.wrong)}.")
    if score.honest_unknown:
        lines.append("The cause was declared unknown and escalated rather than guessed.")
    lines += ["", "*escape closes; the score is in the timeline too.*"]
    return "\n".join(lines)


class DrillResultScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, scenario_id: str, score: Score) -> None:
        super().__init__()
        self.text = score_markdown(scenario_id, score)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="drill-result"):
            yield Markdown(self.text)

    def action_close(self) -> None:
        self.dismiss(None)
