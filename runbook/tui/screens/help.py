"""Help: the keys, and how a walk works, in one screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """\
[b]runbook — help[/b]  [dim](escape closes)[/dim]
[b]Anywhere[/b]  [b]?[/b] help · [b]ctrl+p[/b] palette · [b]escape[/b] back · [b]ctrl+q[/b] quit
[b]Home[/b]  [b]n[/b] new incident · [b]enter[/b] open · [b]k[/b] knowledge base · [b]d[/b] drills
[b]Walk[/b]  [b]r[/b] run the checks · [b]c[/b] cancel them · [b]s[/b] take the suggestion
  [b]1[/b]-[b]9[/b] choose; with ten or more, both digits ([b]1[/b] [b]2[/b] = 12)
  [b]j[/b]/[b]k[/b] or arrows, [b]enter[/b]: choose the highlighted one · [b]v[/b] variables
  [b]u[/b] undo a step (notes stay) · [b]a[/b] autopilot ([b]a[/b] again stops)
  [b]o[/b]/[b]h[/b]/[b]e[/b]/[b]x[/b] note an observation / hypothesis / decision / action
  [b]t[/b] timeline · [b]p[/b] postmortem · [b]f[/b] triage again · [b]i[/b] hint (drills)
  [b]m[/b] status and severity · [b]w[/b] write the postmortem · [b]d[/b] action items
[b]Postmortem[/b]  [b]w[/b] export .md · [b]x[/b] export .html (asks where) · [b]r[/b] reload
[b]Action items[/b]  [b]enter[/b] edit · [b]a[/b] accept · [b]n[/b] new · [b]d[/b] done · [b]x[/b] drop
[b]Narrative[/b]  saved as typed · [b]tab[/b] next section · [b]ctrl+s[/b] save now
[b]Knowledge[/b]  [b]/[/b] search · [b]enter[/b] opens the highlighted result
[dim]Verdicts: ok, warn, fail, unknown (could not measure: it says why).
Everything is saved as it happens: reopen an incident to resume.[/dim]
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(HELP, id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
