"""Pilot-driven tests of the main flows, with checks against real local servers."""

from __future__ import annotations

import time

from textual.widgets import Input, Select

from runbook.record.repo import timeline
from runbook.tui.screens.export import ExportScreen
from runbook.tui.screens.home import HomeScreen
from runbook.tui.screens.postmortem import PostmortemScreen
from runbook.tui.screens.start_incident import StartIncidentScreen
from runbook.tui.screens.walk import WalkScreen
from runbook.tui.widgets.check_panel import CheckRow
from tests.tui.pilot import record, wait_for, walk_shown


async def start_incident(pilot, app, service_url: str, title: str = "Checkout probes flap") -> WalkScreen:
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(app.screen, StartIncidentScreen))
    screen = app.screen
    await wait_for(pilot, lambda: getattr(screen, "library", None) is not None)
    screen.query_one("#title", Input).value = title
    screen.query_one("#playbook", Select).value = "tui-demo"
    await wait_for(pilot, lambda: bool(screen.query("#var-service_url")))
    screen.query_one("#var-service_url", Input).value = service_url
    await pilot.press("ctrl+s")
    return await walk_shown(app, pilot, loaded=lambda engine: engine.node is not None)


async def resume_from_home(pilot, app, loaded) -> WalkScreen:
    """The record's one incident opened from the home screen with enter: its walk, once ``loaded(engine)``."""
    await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
    await wait_for(pilot, lambda: app.screen.query_one("#incidents").row_count == 1)
    await pilot.press("enter")
    return await walk_shown(app, pilot, loaded=loaded)


def events(settings, incident_id):
    with record(settings) as session:
        return [(e.kind, e.summary, e.undone) for e in timeline(incident_id, session=session)]


async def test_start_walk_check_note_undo_conclude_export(make, settings, health_service, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    health_service.delay_s = 0.8  # slower than the 0.5 s probe timeout: the probe flaps
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await start_incident(pilot, app, health_service.url)
        assert walk.engine.ref == "tui-demo#probe"
        await pilot.press("r")
        await wait_for(pilot, lambda: walk.engine.suggestion is not None, timeout=30)
        assert walk.engine.results[0].result.verdict.value == "fail"
        await wait_for(pilot, lambda: "suggested" in str(walk.query_one("#choices").get_option_at_index(0).prompt))
        assert "FAIL" in str(walk.query_one(CheckRow).head.render())
        await pilot.press("s")
        await wait_for(pilot, lambda: walk.engine.ref == "tui-demo#flapping")
        await pilot.press("o")
        await pilot.press(*"probe p99 is 0.8s", "enter")
        await pilot.press("u")
        await wait_for(pilot, lambda: walk.engine.ref == "tui-demo#probe")
        await pilot.press("2")  # a person overrides the suggestion: steady -> deploy question
        await wait_for(pilot, lambda: walk.engine.ref == "tui-demo#deploy")
        await pilot.press("1")
        await wait_for(pilot, lambda: walk.engine.at_conclusion)
        assert [c.rules for c in walk.engine.conclusions] == [("R2",)]
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PostmortemScreen))
        await pilot.press("w")  # asks where, proposing INC-0001-postmortem.md in the working directory
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        await pilot.press("enter")
        exported = tmp_path / f"INC-{walk.incident_id:04d}-postmortem.md"
        await wait_for(pilot, lambda: exported.exists(), timeout=30)
    text = exported.read_text()
    assert "R2" in text and "probe p99 is 0.8s" in text
    kinds = events(settings, walk.incident_id)
    assert "finding" in {k for k, _, _ in kinds}
    assert any(undone for _, _, undone in kinds), "the undone step stays in the timeline, flagged"
    assert any(k == "check_run" for k, _, _ in kinds)


async def test_resume_after_the_app_is_torn_down_mid_walk(make, settings, health_service):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await start_incident(pilot, app, health_service.url, title="Resume me")
        await pilot.press("2")
        await wait_for(pilot, lambda: walk.engine.ref == "tui-demo#deploy")
        incident_id = walk.incident_id
    # a new process would build a new app on the same database
    app2 = make()
    async with app2.run_test(size=(80, 24)) as pilot:
        await resume_from_home(pilot, app2, loaded=lambda engine: engine.node is not None)
        assert app2.screen.incident_id == incident_id
        assert app2.screen.engine.ref == "tui-demo#deploy"
        assert [s.node_id for s in app2.screen.engine.active_path] == ["probe", "deploy"]


async def test_hanging_endpoint_can_be_cancelled_and_the_ui_stays_responsive(make, settings, hostile):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await start_incident(pilot, app, hostile.url("silent").rstrip("/"), title="Hanging")
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(walk.query(CheckRow)))
        await pilot.pause(0.3)
        assert "RUNNING" in str(walk.query_one(CheckRow).head.render())
        t0 = time.monotonic()
        await pilot.press("o")  # the UI still answers keys while the check hangs
        assert walk.query_one("#note-input").display
        await pilot.press("escape")
        await pilot.press("c")
        await wait_for(
            pilot, lambda: not any(w.is_running for w in walk.workers if w.group == "walk-checks"), timeout=5
        )
        assert time.monotonic() - t0 < 5
    assert any("cancelled" in summary for _, summary, _ in events(settings, walk.incident_id))


async def test_unreachable_endpoint_gives_unknown_not_a_traceback(make, settings):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await start_incident(pilot, app, "http://127.0.0.1:9", title="Unreachable")
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(walk.engine.results), timeout=30)
        assert walk.engine.results[0].result.verdict.value == "unknown"
        assert walk.engine.suggestion is None
        head = str(walk.query_one(CheckRow).head.render())
        assert "UNKNOWN" in head and "refused" in head.lower(), head
        assert "suggest nothing definite" in str(walk.query_one("#suggestion").render())


async def test_a_broken_playbook_is_a_notification_and_the_others_still_work(make, settings, tmp_path):
    from dataclasses import replace

    broken = tmp_path / "broken-pb"
    broken.mkdir()
    (broken / "broken.md").write_text("---\nid: broken\ntitle: Broken\nstart: a\n---\n## A {#a}\n\n- [x](#nowhere)\n")
    settings2 = replace(settings, playbook_dirs=(*settings.playbook_dirs, broken))
    from runbook.services import build_services
    from runbook.tui.app import make_app

    app = make_app(build_services(settings2))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, StartIncidentScreen) and getattr(app.screen, "library", None) is not None,
        )
        notes = [n.message for n in app._notifications]
        assert any(f"{broken / 'broken.md'}:8: choice links to 'nowhere'" in m for m in notes), notes
        assert "tui-demo" in app.screen.library.playbooks


async def test_a_walk_resumed_at_a_check_with_results_shows_its_choices_at_80x24(make, settings, health_service):
    """Reopened after the terminal died: the check's recorded figures fill the lower half, and the
    choices (with the suggested one) must still be in sight, as they are after a live run."""
    from tests.tui.pilot import screen_lines

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await start_incident(pilot, app, health_service.url, title="Resume at a check")
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(walk.engine.results), timeout=30)
    app2 = make()
    async with app2.run_test(size=(80, 24)) as pilot:
        walk2 = await resume_from_home(pilot, app2, loaded=lambda engine: engine.results)
        assert walk2.engine.ref == "tui-demo#probe"
        first = walk2.engine.node.choices[0].label
        await wait_for(pilot, lambda: any(f"1. {first}"[:30] in line for line in screen_lines(app2)), timeout=5)
