"""Search in the knowledge screen: results take the focus and Enter opens the highlighted one
(a rule in its tab, an incident of the record in the walk)."""

from __future__ import annotations

from textual.widgets import DataTable, Input, OptionList, TabbedContent

from runbook.tui.screens.knowledge import KnowledgeScreen
from runbook.tui.screens.walk import WalkScreen
from tests.tui.pilot import wait_for
from tests.tui.test_lifecycle import seed


async def search_for(pilot, screen: KnowledgeScreen, query: str) -> None:
    await pilot.press("slash")
    box = screen.query_one("#kb-search", Input)
    box.value = query
    await pilot.press("enter")
    await wait_for(pilot, lambda: bool(screen.hits) and screen.query_one("#search-results", DataTable).has_focus)


async def open_knowledge(app, pilot) -> KnowledgeScreen:
    """The knowledge screen pushed, once its content has loaded."""
    app.push_screen(KnowledgeScreen())
    await wait_for(pilot, lambda: isinstance(app.screen, KnowledgeScreen) and app.screen.content is not None)
    return app.screen


async def test_enter_opens_a_rule_and_an_incident(make, settings):
    iid = seed(settings)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_knowledge(app, pilot)
        await search_for(pilot, screen, "R5")
        row = next(i for i, h in enumerate(screen.hits) if h.kind == "rule")
        screen.query_one("#search-results", DataTable).move_cursor(row=row)
        hit = screen.hits[row]
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.query_one(TabbedContent).active == "tab-rules")
        rules = screen.query_one("#rule-list", OptionList)
        assert rules.get_option_at_index(rules.highlighted).id == hit.ref and rules.has_focus

        await search_for(pilot, screen, "orders vanish discovery")
        row = next(i for i, h in enumerate(screen.hits) if h.kind == "incident" and h.incident_id == iid)
        screen.query_one("#search-results", DataTable).move_cursor(row=row)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WalkScreen) and app.screen.incident_id == iid)
