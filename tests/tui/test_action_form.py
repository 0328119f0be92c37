"""The action form's text field at 80x24: a proposal longer than the form is wide shows whole.

Proposed actions are sentences ("Add a skew test (coefficient of variation of per-backend
requests) to the balancer's CI"); a one-line input showed only their end. The field wraps them,
and still submits on enter with the text as one line.
"""

from __future__ import annotations

from textual.app import App

from runbook.services.lifecycle import ActionChange
from runbook.tui.app import RunbookApp
from runbook.tui.screens.action_form import ActionDraft, ActionFormScreen
from runbook.tui.widgets.paragraph_field import ParagraphField
from tests.tui.pilot import wait_for, words_shown

LONG = (
    "Add a skew test (coefficient of variation of per-backend requests) to the balancer's CI, "
    "and fail the build when one backend takes more than twice its share"
)


class FormApp(App[None]):
    CSS_PATH = RunbookApp.CSS_PATH  # the form as the app styles it

    def __init__(self, draft: ActionDraft) -> None:
        super().__init__()
        self.draft = draft
        self.results: list[ActionChange | None] = []

    def on_mount(self) -> None:
        self.push_screen(ActionFormScreen(self.draft), self.results.append)


async def test_a_long_proposal_shows_whole_and_enter_saves_it_as_one_line():
    app = FormApp(ActionDraft("Accept the proposed action", text=LONG, owner="on-call"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ActionFormScreen))
        field = app.screen.query_one("#af-text", ParagraphField)
        await pilot.pause(0.1)
        assert len(LONG) > field.size.width  # it has to wrap to show
        assert words_shown(app, LONG, field)
        field.focus()
        await pilot.press("space", *"today", "enter")  # the cursor opens at the end, as in an Input
        await wait_for(pilot, lambda: bool(app.results))
    change = app.results[0]
    assert change is not None
    assert change.text == LONG + " today"  # enter saved; it did not break the line
    assert change.owner == "on-call"


async def test_line_breaks_pasted_into_the_text_become_spaces():
    app = FormApp(ActionDraft("New action item"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ActionFormScreen))
        field = app.screen.query_one("#af-text", ParagraphField)
        field.focus()
        field.insert("Roll back\nthe orders deploy\n")
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.results))
    change = app.results[0]
    assert change is not None and change.text == "Roll back the orders deploy"
