"""At 80x24 nothing is cut mid-word: the home table, the start form's variables, the timeline's
lines, the drills list and briefing wrap at their words, and the walk's choices box is as tall as
its choices (up to a cap, then it scrolls). Read back from what the terminal shows."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import DataTable, OptionList, Select

from runbook.record import repo
from runbook.tui.screens.drills import DrillsScreen
from runbook.tui.screens.start_incident import StartIncidentScreen
from runbook.tui.screens.timeline import TimelineScreen
from runbook.tui.screens.walk import WalkScreen
from tests.tui.pilot import new_incident, open_walk, record, screen_lines, wait_for, words_shown

TITLE = "Orders instances vanish from discovery after the etcd upgrade in availability zone b"
NOTE = "the p99 of the checkout probe doubled right after the 02:05 deploy of orders-api in zone b"


def _seed(settings) -> int:
    with record(settings) as s:
        iid = repo.create_incident(
            session=s, title=TITLE, severity="P0", service="orders-api", started_at=datetime(2026, 3, 14, tzinfo=UTC)
        ).id
        repo.add_finding(iid, NOTE, session=s, author="bob")
    return iid


async def test_home_wraps_a_long_title_and_keeps_every_column_in_sight(make, settings):
    _seed(settings)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#incidents", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.pause(0.2)
        assert table.max_scroll_x == 0, "the table is wider than the screen"
        assert words_shown(app, TITLE, table), "\n".join(screen_lines(app, table))
        header = screen_lines(app, table)[0]
        assert "started (UTC)" in header and "service" in header
        assert "orders-api" in " ".join(screen_lines(app, table))
        await pilot.resize_terminal(160, 48)  # wider: the title takes the room, on one line
        await wait_for(pilot, lambda: any(TITLE in line for line in screen_lines(app, table)))


async def test_start_form_variable_descriptions_wrap(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, StartIncidentScreen) and app.screen.library is not None)
        form = app.screen
        assert form.library is not None
        pb = form.library.playbooks["p0-3-observability"]
        form.query_one("#playbook", Select).value = pb.id
        await wait_for(pilot, lambda: len(form.query(".var-label")) == len(pb.variables))
        long = [v for v in pb.variables if len(v.description) > 50]
        assert long, "a description longer than the labels' room at 80 columns"
        scroller = form.query_one("#start-form")

        def shown(label, description: str) -> bool:
            # scrolled again on every look: a scroll asked for before the form's layout settled
            # (the labels were just mounted) lands short, and a single one made this test flaky
            scroller.scroll_to_widget(label, animate=False, top=True)
            return words_shown(app, description, label)

        for var, label in zip(pb.variables, form.query(".var-label"), strict=True):
            await wait_for(pilot, lambda label=label, var=var: shown(label, var.description), timeout=5)
            assert label.region.right <= 80


async def test_timeline_lines_wrap_in_the_table(make, settings):
    iid = _seed(settings)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(TimelineScreen(iid))
        await wait_for(pilot, lambda: isinstance(app.screen, TimelineScreen) and len(app.screen.lines) == 2)
        table = app.screen.query_one("#timeline", DataTable)
        await pilot.pause(0.2)
        assert table.max_scroll_x == 0
        assert words_shown(app, f"observation: {NOTE}", table), "\n".join(screen_lines(app, table))
        assert words_shown(app, f"opened: {TITLE}", table)
        assert "bob" in " ".join(screen_lines(app, table))


async def test_every_drill_title_is_whole_in_the_list(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DrillsScreen) and app.screen.content is not None)
        screen = app.screen
        assert screen.content is not None
        options = screen.query_one("#drill-list", OptionList)
        await wait_for(pilot, lambda: options.option_count == len(screen.content.scenarios))
        for i, s in enumerate(sorted(screen.content.scenarios.values(), key=lambda s: s.id)):
            options.highlighted = i  # scrolled into view
            await pilot.pause(0.05)
            assert words_shown(app, f"{s.id} {s.title}", options), (s.id, screen_lines(app, options))


async def test_the_choices_box_is_as_tall_as_its_choices_up_to_a_cap(make, settings):
    iid = _seed(settings)
    other = _seed(settings)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await open_walk(app, pilot, iid, "tui-demo")
        choices = walk.query_one("#choices", OptionList)
        await wait_for(pilot, lambda: walk.engine.ref == "tui-demo#probe" and choices.option_count == 2)
        await pilot.pause(0.1)
        assert choices.region.height == 2 + 2, "two choices and the border, no reserved rows"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, WalkScreen))
        walk = await open_walk(app, pilot, other, "triage")  # sixteen choices, scrolled in a capped box
        choices = walk.query_one("#choices", OptionList)
        await wait_for(pilot, lambda: walk.engine.ref == "triage#start" and choices.option_count >= 14)
        await pilot.pause(0.1)
        assert choices.region.height == 9 and choices.max_scroll_y > 0
        for i, choice in enumerate(walk.engine.node.choices):
            await pilot.press("j" if i else "home")
            await pilot.pause(0.05)
            label = choice.label.replace("`", "")
            assert words_shown(app, f"{i + 1}. {label}", choices), screen_lines(app, choices)


async def test_search_results_wrap_their_titles(make):
    from tests.tui.test_search import open_knowledge, search_for

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_knowledge(app, pilot)
        await search_for(pilot, screen, "etcd lease")
        table = screen.query_one("#search-results", DataTable)
        await pilot.pause(0.2)
        assert table.max_scroll_x == 0
        for hit in screen.hits[:3]:  # each column wraps by itself: read them one at a time
            for text in (hit.title, *hit.ref.replace("#", " #").split()):
                assert words_shown(app, text, table), "\n".join(screen_lines(app, table))


async def test_after_a_check_the_suggestion_is_in_sight_at_80x24(make, settings, pprof_stub):
    """The goroutine node's text is long and its check's figures take the lower half: the
    suggested choice and "press s" are scrolled into sight when the verdict arrives."""
    from tests.fixtures.pprof_stub import pileup_process
    from tests.tui.test_lifecycle import walk_to_goroutine_pileup

    pprof = pprof_stub([pileup_process(60)])
    iid = new_incident(settings, "logger stalls", {"pprof_url": pprof.base})
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_to_goroutine_pileup(app, pilot, iid)
        await pilot.press("r")
        await wait_for(pilot, lambda: walk.engine.suggestion is not None, timeout=40)
        await pilot.pause(0.3)
        label = next(c.label for c in walk.engine.node.choices if c.ref == walk.engine.suggestion.target)
        assert words_shown(app, f"{label} ◀ suggested"), "\n".join(screen_lines(app))
        assert words_shown(app, "press s to take it"), "\n".join(screen_lines(app))


async def test_action_items_wrap_their_text(make, settings):
    from runbook.tui.screens.action_items import ActionItemsScreen
    from tests.tui.test_lifecycle import seed

    iid = seed(settings, concluded=True)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ActionItemsScreen(iid))
        await wait_for(pilot, lambda: isinstance(app.screen, ActionItemsScreen) and app.screen.loads >= 1)
        screen = app.screen
        table = screen.query_one("#actions", DataTable)
        await pilot.pause(0.2)
        assert len(screen.lines) == 3 and table.max_scroll_x == 0
        assert any(len(line.text) > 40 for line in screen.lines)  # longer than the room at 80 columns
        for line in screen.lines:
            assert words_shown(app, line.text, table), "\n".join(screen_lines(app, table))
