"""The home screen marks incidents opened from Alertmanager alerts, with where their walk stands."""

from __future__ import annotations

from runbook.record.alerts import open_alert_incident
from runbook.tui.screens.home import HomeScreen
from tests.tui.pilot import record, wait_for


async def test_home_marks_alert_incidents(make, settings):
    with record(settings) as session:
        open_alert_incident(session=session, group_key='{}:{alertname="SeriesExplosion"}', title="Series explode")
        from runbook.record.repo import create_incident

        create_incident(session=session, title="Opened by hand")
    app = make()
    async with app.run_test(size=(120, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        table = app.screen.query_one("#incidents")
        await wait_for(pilot, lambda: table.row_count == 2)
        titles = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[3]) for i in range(2)}
        assert titles == {
            "INC-0001": "[alert] Series explode (no check yet; walk pending)",
            "INC-0002": "Opened by hand",
        }
