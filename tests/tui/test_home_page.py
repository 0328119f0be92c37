"""The home screen lists a page of the newest incidents (flat as the record grows), and every
unfinished incident besides: an open incident older than the page never hides behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.widgets import DataTable, Static

from runbook.record.repo import create_incident, update_status
from runbook.tui.screens.home import PAGE
from tests.tui.pilot import record, wait_for

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _seed(settings) -> None:
    with record(settings) as s:
        create_incident(session=s, title="Old but still burning", severity="P1", started_at=T0)
        mitigated = create_incident(
            session=s, title="Old, mitigated", severity="P2", started_at=T0 + timedelta(hours=1)
        )
        update_status(mitigated.id, "mitigated", session=s)
        for k in range(PAGE + 10):
            inc = create_incident(
                session=s, title=f"Done {k}", severity="P3", started_at=T0 + timedelta(days=1, hours=k)
            )
            update_status(inc.id, "resolved", session=s)


async def test_unfinished_incidents_older_than_the_page_are_listed_first(make, settings):
    _seed(settings)
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one("#incidents", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        titles = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]
        assert titles[:2] == ["Old, mitigated", "Old but still burning"]
        assert table.row_count == PAGE + 2  # the page, and the two unfinished ones older than it
        assert f"Done {PAGE + 9}" in titles and "Done 0" not in titles
        hint = app.screen.query_one("#home-hint", Static)
        assert f"m: more (the newest {PAGE} shown)" in str(hint.render())
        await pilot.press("m")
        await wait_for(pilot, lambda: table.row_count == PAGE + 12)
        assert "m: more" not in str(hint.render())  # everything is shown now
