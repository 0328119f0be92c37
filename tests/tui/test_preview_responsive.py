"""The postmortem preview renders off the event loop: a "rendering" state first, keys handled
while a 10,000-event incident renders, and a long incident's preview says what it leaves out."""

from __future__ import annotations

import asyncio
import gc
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from textual.widgets import Static

from runbook.record import repo
from runbook.record.db import connect, open_session
from runbook.record.models import Event, Step, new_uid
from runbook.services import build_services
from runbook.services.postmortems import PREVIEW_EVENTS
from runbook.tui.app import make_app
from runbook.tui.base_app import services_of
from runbook.tui.screens.help import HelpScreen
from runbook.tui.screens.postmortem import PostmortemScreen
from runbook.tui.widgets.rendered_page import RenderedPage
from tests.tui.pilot import wait_for

T0 = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)


def bulk_incident(db_url: str, n_events: int) -> int:
    """An incident of ``n_events`` timeline events (a step every tenth), inserted in bulk."""
    engine = connect(db_url)
    with open_session(engine) as session:
        inc = repo.create_incident(session=session, title="Long night", author="alice", started_at=T0, detected_at=T0)
        iid = inc.id
    n_steps = n_events // 10
    steps = [
        dict(uid=new_uid(), incident_id=iid, seq=k + 1, playbook_id="p0-1-discovery", node_id=f"node-{k % 9}",
             entered_at=T0 + timedelta(seconds=10 * k), author="alice", automatic=False, undone=False)
        for k in range(n_steps)
    ]  # fmt: skip
    events = [
        dict(uid=new_uid(), incident_id=iid, kind="note", at=T0 + timedelta(seconds=i + 1), author=f"r{i % 5}",
             summary=f"note {i}: `x` | <b>{i}</b>", payload={}, automatic=False, undone=False)
        for i in range(n_events - 1)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Step), steps)
        conn.execute(insert(Event), events)
    engine.dispose()
    return iid


def status(screen) -> str:
    return str(screen.query_one("#export-path", Static).render())


async def test_keys_are_handled_while_a_10k_event_preview_renders(settings):
    iid = bulk_incident(settings.db_url, 10_000)
    services = build_services(settings, clock=lambda: T0)
    assert services.content.knowledge.rules  # loaded, as after a walk: the preview's own work is timed
    app = make_app(services)
    # The stall measured must be the preview's, not the garbage collector's walk over every
    # object the test process still holds from earlier tests (a one-process run of the suite saw
    # a 0.91 s stall here; in the app's own process, with this preview open, a full collection
    # takes about 0.2 s, timed with gc.callbacks). What exists now is kept out of the collector's
    # reach until the test ends.
    gc.collect()
    gc.freeze()
    try:
        await _keys_while_rendering(app, iid)
    finally:
        gc.unfreeze()


async def _keys_while_rendering(app, iid: int) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(PostmortemScreen(iid))
        await wait_for(pilot, lambda: isinstance(app.screen, PostmortemScreen) and app.screen.query("#export-path"))
        pm = app.screen
        assert not pm.ready and "Rendering the postmortem" in status(pm)
        assert not pm.ready, "the preview was ready before the key: the test would prove nothing"
        # How long a key would wait: the longest the event loop went without running while the
        # preview rendered. (Timing pilot.press measures Pilot, which waits for the whole process,
        # worker thread included, to go idle.) Before the preview was cut, a key waited 11 s on a
        # loaded 2-core machine; while Textual's Markdown widget mounted the cut preview on the
        # loop, 1.3-4 s; the lines are now rendered in the worker thread.
        worst = 0.0
        while not pm.ready:
            tick = time.monotonic()
            await asyncio.sleep(0.005)
            worst = max(worst, time.monotonic() - tick - 0.005)
        assert worst < 0.5, f"the event loop stalled {worst:.2f} s while the preview rendered"
        await pilot.press("question_mark")  # and the key works once it is up
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), timeout=10)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is pm and pm.ready, timeout=60)
        assert pm.preview is not None
        assert (pm.preview.events, pm.preview.events_shown) == (10_000, PREVIEW_EVENTS)
        assert f"Preview: the first {PREVIEW_EVENTS:,} of 10,000 events" in status(pm)
        more = 10_000 - PREVIEW_EVENTS
        assert f"{more} more events are in the record and not shown here" in pm.preview.text
        shown = pm.query_one("#postmortem", RenderedPage).source
        assert shown == pm.preview.text and shown.count("| 2026-") == PREVIEW_EVENTS


async def test_a_short_incident_previews_whole(settings):
    iid = bulk_incident(settings.db_url, PREVIEW_EVENTS)
    app = make_app(build_services(settings, clock=lambda: T0))
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(PostmortemScreen(iid))
        await wait_for(pilot, lambda: isinstance(app.screen, PostmortemScreen) and app.screen.ready)
        pm = app.screen
        assert pm.preview is not None and not pm.preview.cut
        assert pm.preview.text == services_of(pm).postmortem(iid)  # the export's very document
        assert "more events" not in pm.preview.text and "Preview:" not in status(pm)
        assert pm.preview.text.count("| 2026-") == PREVIEW_EVENTS


async def test_the_preview_shows_the_document_wrapped_to_the_terminal_and_rewraps_on_resize(settings):
    """What the responder reads: every word of the summary whole at 80 columns, the page keys
    scroll, and a wider terminal gets the document rendered again at its width."""
    from tests.tui.pilot import screen_lines, words_shown

    iid = bulk_incident(settings.db_url, 30)
    services = build_services(settings, clock=lambda: T0)
    summary = "Two of three orders-api instances dropped out of etcd discovery for thirty minutes while running."
    services.save_narrative(iid, {"summary": summary})
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(PostmortemScreen(iid))
        await wait_for(pilot, lambda: isinstance(app.screen, PostmortemScreen) and app.screen.ready)
        page = app.screen.query_one("#postmortem", RenderedPage)
        assert page.source == services.postmortem(iid) and page.rendered_width <= 78
        await pilot.pause(0.1)
        while not words_shown(app, summary, page):
            before = screen_lines(app, page)
            await pilot.press("pagedown")
            await pilot.pause(0.1)
            assert screen_lines(app, page) != before, "paged to the end without the summary whole on screen"
        assert max(len(line.rstrip()) for line in screen_lines(app, page)) <= 80
        narrow = page.rendered_width
        await pilot.resize_terminal(140, 30)
        await wait_for(pilot, lambda: page.rendered_width > narrow)
        assert page.rendered_width > 120
        await pilot.press("home")
        await pilot.pause(0.1)
        assert any("Started:" in line for line in screen_lines(app, page))
