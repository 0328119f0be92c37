"""Snapshots of the postmortem preview at 80x24 and 160x48: the fixture incident of the report's
golden files (fixed times throughout) and a fixed services clock, so "generated" is fixed too."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from runbook.services import build_services
from runbook.tui.app import make_app
from runbook.tui.screens.postmortem import PostmortemScreen
from tests.report.fixture_incident import build_fixture
from tests.tui.pilot import at_snapshot_sizes, record, wait_for

CLOCK = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def walked(settings):
    with record(settings) as session:
        iid = build_fixture(session)
    return settings, iid


@at_snapshot_sizes
def test_postmortem_preview(snap_compare, walked, size):
    settings, iid = walked
    app = make_app(build_services(settings, clock=lambda: CLOCK))

    async def ready(pilot):
        pilot.app.push_screen(PostmortemScreen(iid))
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PostmortemScreen) and pilot.app.screen.ready)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=ready)
