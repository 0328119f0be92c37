"""Help: the keys, and how a walk works, in one screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# runbook — help

**Anywhere**: `?` this help · `ctrl+p` command palette · `escape` back · `ctrl+q` quit

**Home**: `n` new incident · `enter` open the selected incident · `k` knowledge base · `d` drills

**Walk** (one node of a playbook at a time):

| key | action |
|---|---|
| `r` | run the node's live checks (they run in the background) |
| `c` | cancel running checks |
| `s` | take the suggested choice (highlighted after the checks) |
| `1`..`9`, `10`.. | take that choice (with ten or more, type both digits: `1` `2` is choice 12) |
| `j` / `k`, arrows, `enter` | move through the choices and take the highlighted one |
| `u` | undo the last step (it stays in the timeline, marked undone) |
| `a` | autopilot: follow suggestions until a question, an unknown verdict or a conclusion; `a` again stops |
| `o` / `h` / `e` / `x` | add an observation / hypothesis / decision / action note |
| `t` | live timeline |
| `p` | postmortem preview and export |
| `m` | status (investigating, mitigated, resolved, closed: stamped now) and severity |
| `w` | write the postmortem: summary, impact, trigger, resolution, went well/wrong, lessons |
| `d` | action items: accept the conclusion's proposals, add, edit, mark done |
| `f` | continue from triage after a conclusion (another root cause?) |

**Postmortem**: `w` export Markdown · `x` export HTML (each asks for the path, proposed as
`INC-0001-postmortem.md` in `export_dir`) · `r` reload

A check's verdict is **ok**, **warn**, **fail** or **unknown** (could not measure: the reason is
shown). Every step, check result and note is saved the moment it happens: if the terminal dies,
open the incident again and you are back at the same node.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
