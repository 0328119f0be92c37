"""Snapshots of the main screens at 80x24 and at a large size (pytest-textual-snapshot).

Content is fixed (seeded incidents with fixed times, shipped knowledge base, the demo
playbook) so the pictures only change when the UI does. Update with --snapshot-update after
looking at the difference.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import TextArea

from runbook.record.repo import create_incident, update_status
from runbook.tui.screens.knowledge import KnowledgeScreen
from runbook.tui.screens.walk import WalkScreen
from tests.tui.pilot import at_snapshot_sizes, conclude, record

T0 = datetime(2026, 3, 14, 2, 47, tzinfo=UTC)


@pytest.fixture
def seeded(settings):
    with record(settings) as s:
        a = create_incident(
            session=s,
            title="Orders vanish from discovery",
            severity="P0",
            service="orders",
            started_at=T0,
            author="alice",
        )
        create_incident(
            session=s,
            title="Checkout probes flap",
            severity="P1",
            service="checkout",
            started_at=T0.replace(hour=5),
            author="bob",
        )
        update_status(a.id, "resolved", session=s, author="alice", at=T0.replace(hour=4))
    return settings


async def _settle(pilot, predicate=lambda: True, rounds: int = 200):
    for _ in range(rounds):
        await pilot.pause(0.05)
        if predicate() and not any(w.is_running for w in pilot.app.workers):
            # let Markdown finish mounting its blocks and scrollbars settle before the picture
            await pilot.wait_for_scheduled_animations()
            await pilot.pause(0.3)
            return
    raise AssertionError("the screen did not settle")


@at_snapshot_sizes
def test_home(snap_compare, make, seeded, size):
    app = make()

    async def ready(pilot):
        await _settle(pilot, lambda: pilot.app.screen.query_one("#incidents").row_count == 2)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@at_snapshot_sizes
def test_walk_question_node(snap_compare, make, seeded, size):
    app = make()

    async def ready(pilot):
        pilot.app.push_screen(WalkScreen(2, start_playbook="tui-demo"))
        await _settle(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, WalkScreen)
                and pilot.app.screen.engine is not None
                and pilot.app.screen.engine.node is not None
            ),
        )
        pilot.app.screen.engine.choose("deploy")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@at_snapshot_sizes
def test_knowledge_rules(snap_compare, make, seeded, size):
    app = make()

    async def ready(pilot):
        pilot.app.push_screen(KnowledgeScreen())
        await _settle(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, KnowledgeScreen)
                and pilot.app.screen.query_one("#rule-list").option_count >= 12
            ),
        )

    assert snap_compare(app, terminal_size=size, run_before=ready)


@at_snapshot_sizes
def test_help(snap_compare, make, seeded, size):
    app = make()

    async def ready(pilot):
        await _press(pilot, "question_mark")

    assert snap_compare(app, terminal_size=size, run_before=ready)


async def _push(pilot, screen, shown=lambda: True) -> None:
    """Once the home screen has settled: push ``screen``, and settle again once ``shown()`` holds."""
    await _settle(pilot)
    pilot.app.push_screen(screen)
    await _settle(pilot, shown)


async def _press(pilot, key: str, shown=lambda: True) -> None:
    """Once the home screen has settled: press ``key``, and settle again once ``shown()`` holds."""
    await _settle(pilot)
    await pilot.press(key)
    await _settle(pilot, shown)


def _focused_id(pilot) -> str | None:
    focused = pilot.app.focused
    return focused.id if focused is not None else None


async def _no_blink(pilot) -> None:
    """Text cursors blink on a timer: a picture must not depend on when it is taken.

    Belt and braces for a TextArea, whose blink tick, if already due when the blinking stops,
    could still hide the cursor: switching the blink on again resets its timer (the next tick is
    0.5 s away) and shows the cursor, and switching it off then pauses the timer with the cursor
    shown on the focused field."""
    widgets = list(pilot.app.screen.query("Input, TextArea"))
    for widget in widgets:
        widget.cursor_blink = False
    await pilot.pause(0.1)
    for widget in widgets:
        if isinstance(widget, TextArea):
            widget.cursor_blink = True
            widget.cursor_blink = False
    await pilot.pause(0.1)


def _seed_life(settings) -> None:
    """Incident 1 walked to the lease-race conclusion, one proposal accepted, a summary written."""
    from runbook.record.lifecycle import ProposedAction, accept_proposal, save_narrative

    with record(settings) as s:
        conclude(s, 1, "p0-1-discovery", "lease-race", rule_ids=["R1"], title="lease race", author="alice")
        proposal = ProposedAction(
            "p0-1-discovery#lease-race/1", "Restart or re-register the affected instances", "mitigate", "on-call", "R1"
        )
        accept_proposal(1, proposal, session=s, author="alice")
        save_narrative(1, {"summary": "Orders instances vanished from discovery for 40 minutes."}, session=s)


@at_snapshot_sizes
def test_status(snap_compare, make, seeded, size):
    from runbook.tui.screens.status import StatusScreen

    app = make()

    async def ready(pilot):
        await _push(
            pilot, StatusScreen(1), lambda: "Orders vanish" in str(pilot.app.screen.query_one("#status-now").render())
        )

    assert snap_compare(app, terminal_size=size, run_before=ready)


@at_snapshot_sizes
def test_narrative(snap_compare, make, seeded, size):
    from runbook.tui.screens.narrative import NarrativeScreen

    _seed_life(seeded)
    app = make()

    async def ready(pilot):
        await _push(
            pilot, NarrativeScreen(1), lambda: pilot.app.screen.query_one("#nar-summary").text.startswith("Orders")
        )
        await _no_blink(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@at_snapshot_sizes
def test_action_items(snap_compare, make, seeded, size):
    from runbook.tui.screens.action_items import ActionItemsScreen

    _seed_life(seeded)
    app = make()

    async def ready(pilot):
        await _push(pilot, ActionItemsScreen(1), lambda: getattr(pilot.app.screen, "loads", 0) >= 1)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@at_snapshot_sizes
def test_action_form(snap_compare, make, seeded, size):
    """The form a proposal opens in to be edited before it is accepted (text, type, owner, due)."""
    from datetime import date

    from runbook.tui.screens.action_form import ActionDraft, ActionFormScreen
    from runbook.tui.screens.action_items import ActionItemsScreen

    _seed_life(seeded)
    app = make()
    draft = ActionDraft(
        "Accept the proposed action",
        text="Replace per-watcher KeepAlive calls with a single lease manager",
        type="prevent",
        owner="service owner",
        due=date(2026, 4, 1),
    )

    async def ready(pilot):
        await _push(pilot, ActionItemsScreen(1), lambda: getattr(pilot.app.screen, "loads", 0) >= 1)
        pilot.app.push_screen(ActionFormScreen(draft))
        # the text field takes the focus once the form is up (late under load: no cursor drawn)
        await _settle(pilot, lambda: isinstance(pilot.app.screen, ActionFormScreen) and _focused_id(pilot) == "af-text")
        await _no_blink(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@at_snapshot_sizes
def test_export_dialog(snap_compare, seeded, size):
    import dataclasses
    from pathlib import Path

    from runbook.services import build_services
    from runbook.tui.app import make_app
    from runbook.tui.screens.export import ExportScreen
    from runbook.tui.screens.postmortem import PostmortemScreen

    settings = dataclasses.replace(seeded, export_dir=Path("/srv/postmortems"))
    app = make_app(build_services(settings, clock=lambda: T0.replace(hour=6)))

    async def ready(pilot):
        await _push(pilot, PostmortemScreen(1), lambda: isinstance(pilot.app.screen, PostmortemScreen))
        await pilot.press("x")
        await _settle(pilot, lambda: isinstance(pilot.app.screen, ExportScreen))
        await _no_blink(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@at_snapshot_sizes
def test_drill_result(snap_compare, make, seeded, size):
    from runbook.drill.scoring import Score
    from runbook.tui.screens.drill_result import DrillResultScreen

    score = Score(
        total=72.5, root_cause=40, path=17.5, time=10, checks=5, found=("R8",), missed=("R3",), wrong=(),
        steps_taken=7, optimal_steps=5, checks_run=4, optimal_checks=2, hints_taken=1,
        seconds_to_diagnosis=312, par_s=300,
    )  # fmt: skip
    app = make()

    async def ready(pilot):
        await _push(
            pilot,
            DrillResultScreen("r8-histogram-buckets", score),
            lambda: isinstance(pilot.app.screen, DrillResultScreen),
        )

    assert snap_compare(app, terminal_size=size, run_before=ready)


@at_snapshot_sizes
def test_variables(snap_compare, make, seeded, size):
    from runbook.tui.screens.variables import VariablesScreen
    from runbook.walk.state import NeededVariable

    needed = [
        NeededVariable("etcd_url", "Client URL of one member of the etcd cluster", "http://127.0.0.1:2379"),
        NeededVariable("service_prefix", "Key prefix under which the instances register", "/services/orders/"),
    ]
    app = make()

    async def ready(pilot):
        await _push(pilot, VariablesScreen(needed), lambda: isinstance(pilot.app.screen, VariablesScreen))
        await _no_blink(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


def _fix_event_times(settings) -> None:
    """Timeline stamps the record took from the wall clock (``opened``) pinned to fixed times."""
    from datetime import timedelta

    from sqlmodel import select

    from runbook.record.models import Event

    with record(settings) as s:
        for i, event in enumerate(s.exec(select(Event).order_by(Event.id))):
            event.at = T0 + timedelta(minutes=3 * i)
            s.add(event)
        s.commit()


@at_snapshot_sizes
def test_timeline(snap_compare, make, seeded, size, monkeypatch):
    from runbook.record.repo import add_finding
    from runbook.tui.screens.timeline import TimelineScreen

    monkeypatch.setenv("RUNBOOK_AUTHOR", "alice")  # rows written without an author: not this machine's login
    _seed_life(seeded)
    with record(seeded) as s:
        add_finding(
            1,
            "the p99 of the checkout probe doubled right after the 02:05 deploy of orders-api in zone b",
            session=s,
            author="bob",
        )
    _fix_event_times(seeded)
    app = make()

    async def ready(pilot):
        await _push(
            pilot,
            TimelineScreen(1),
            lambda: isinstance(pilot.app.screen, TimelineScreen) and len(pilot.app.screen.lines) >= 6,
        )

    assert snap_compare(app, terminal_size=size, run_before=ready)


@at_snapshot_sizes
def test_start_form(snap_compare, make, seeded, size):
    from runbook.tui.screens.start_incident import StartIncidentScreen

    app = make()

    async def ready(pilot):
        await _press(
            pilot,
            "n",
            lambda: (
                isinstance(pilot.app.screen, StartIncidentScreen)
                and pilot.app.screen.library is not None
                and len(pilot.app.screen.query(".var-input")) > 0
            ),
        )
        await _no_blink(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@at_snapshot_sizes
def test_drills(snap_compare, make, seeded, size):
    from runbook.tui.screens.drills import DrillsScreen

    app = make()

    async def ready(pilot):
        await _press(
            pilot,
            "d",
            lambda: (
                isinstance(pilot.app.screen, DrillsScreen)
                and "difficulty" in pilot.app.screen.query_one("#drill-briefing").source
            ),
        )

    assert snap_compare(app, terminal_size=size, run_before=ready)


@at_snapshot_sizes
def test_search_results(snap_compare, make, seeded, size):
    app = make()

    async def ready(pilot):
        await _push(
            pilot, KnowledgeScreen(), lambda: isinstance(pilot.app.screen, KnowledgeScreen) and pilot.app.screen.content
        )
        await pilot.press("slash")
        pilot.app.screen.query_one("#kb-search").value = "orders vanish etcd lease"
        await pilot.press("enter")
        await _settle(pilot, lambda: pilot.app.screen.query_one("#search-results").has_focus)
        await _no_blink(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)
