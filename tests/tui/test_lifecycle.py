"""The incident's life in the UI, by keyboard from the walk screen: status moves stamped when made,
severity, the narrative saved as typed (and on leaving), a conclusion's proposed actions
accepted, edited and marked done; the postmortem then has no placeholder for any of them."""

from __future__ import annotations

from datetime import date

from textual.binding import Binding
from textual.widgets import DataTable, Input, TextArea

from runbook.record import repo
from runbook.record.models import Incident
from runbook.tui.screens.action_form import ActionFormScreen
from runbook.tui.screens.action_items import ActionItemsScreen
from runbook.tui.screens.narrative import NarrativeScreen
from runbook.tui.screens.status import StatusScreen
from runbook.tui.screens.walk import WalkScreen
from runbook.tui.widgets.paragraph_field import ParagraphField
from tests.tui.pilot import conclude, new_incident, open_walk, record, wait_for, walk_shown


def read(settings, incident_id: int) -> Incident:
    with record(settings) as s:
        return repo.get_incident(incident_id, session=s)


def seed(settings, *, concluded: bool = False) -> int:
    """An open incident (walked to the lease-race conclusion when ``concluded``)."""
    with record(settings) as s:
        iid = repo.create_incident(session=s, title="Orders vanish from discovery", severity="P2", service="orders").id
        if concluded:
            conclude(s, iid, "p0-1-discovery", "lease-race", rule_ids=["R1"], title="lease race")
    return iid


async def walk_to_goroutine_pileup(app, pilot, iid: int) -> WalkScreen:
    """The incident's p0-3-observability walk started and taken to its goroutine-pileup check."""
    walk = await open_walk(app, pilot, iid, "p0-3-observability", at="p0-3-observability#start")
    await pilot.press("3")  # the log pipeline stalls, or goroutine counts keep growing
    await wait_for(pilot, lambda: walk.engine.ref == "p0-3-observability#goroutine-pileup")
    return walk


async def test_status_moves_are_stamped_one_at_a_time_and_severity_changes(make, settings):
    iid = seed(settings)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_walk(app, pilot, iid)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, StatusScreen))
        await wait_for(pilot, lambda: "investigating" in str(app.screen.query_one("#status-now").render()))
        await pilot.press("down", "enter")  # investigating -> mitigated
        await wait_for(pilot, lambda: read(settings, iid).mitigated_at is not None)
        got = read(settings, iid)
        assert (got.status, got.resolved_at, got.closed_at) == ("mitigated", None, None)
        await wait_for(pilot, lambda: "status: mitigated" in str(app.screen.query_one("#status-now").render()))
        await pilot.press("down", "enter")  # -> resolved, stamped later than mitigated
        await wait_for(pilot, lambda: read(settings, iid).resolved_at is not None)
        got = read(settings, iid)
        assert got.status == "resolved" and got.mitigated_at < got.resolved_at and got.closed_at is None
        await pilot.press("tab", "up", "enter")  # severity list: P2 -> P1
        await wait_for(pilot, lambda: read(settings, iid).severity == "P1")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, WalkScreen))
    with record(settings) as s:
        lines = [e.summary for e in repo.timeline(iid, session=s) if e.kind in ("status_change", "severity_change")]
    assert lines == ["status open -> mitigated", "status mitigated -> resolved", "severity P2 -> P1"]


async def test_narrative_is_saved_as_typed_and_on_leaving(make, settings):
    iid = seed(settings)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_walk(app, pilot, iid)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, NarrativeScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.query_one("#nar-summary", TextArea).has_focus)
        await pilot.press(*"Leases expired")
        await wait_for(pilot, lambda: screen.saves >= 1)  # a pause in typing saved it
        assert read(settings, iid).summary == "Leases expired"
        await pilot.press("tab", *"12% of checkout failed")  # impact; leave before the pause
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, WalkScreen))
        assert read(settings, iid).impact == "12% of checkout failed"
        await pilot.press("w")  # back again: the text is the record's
        await wait_for(pilot, lambda: isinstance(app.screen, NarrativeScreen))
        again = app.screen
        await wait_for(pilot, lambda: again.query_one("#nar-impact", TextArea).text == "12% of checkout failed")
        assert again.query_one("#nar-summary", TextArea).text == "Leases expired"


async def test_proposed_actions_are_accepted_edited_and_done_and_the_postmortem_lists_them(make, settings):
    iid = seed(settings, concluded=True)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_walk(app, pilot, iid)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionItemsScreen) and app.screen.loads >= 1)
        screen = app.screen
        assert [line.status for line in screen.lines] == ["proposed"] * 3
        screen.query_one(DataTable).focus()
        await pilot.press("a")  # the first, as proposed
        await wait_for(pilot, lambda: [line.status for line in screen.lines] == ["proposed", "proposed", "open"])
        await pilot.press("enter")  # the (now first) second proposal, edited first
        await wait_for(pilot, lambda: isinstance(app.screen, ActionFormScreen))
        form = app.screen
        form.query_one("#af-owner", Input).value = "carol"
        form.query_one("#af-due", Input).value = "2026-04-30"
        form.query_one("#af-text", ParagraphField).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and len(screen.lines) == 3 and screen.loads >= 3)
        assert [line.status for line in screen.lines] == ["proposed", "open", "open"]
        await pilot.press("down", "d")  # the first accepted item: done
        await wait_for(pilot, lambda: [line.status for line in screen.lines] == ["proposed", "done", "open"])
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionFormScreen))
        await pilot.press("enter")  # empty: refused, the form says why
        assert "say what must be done" in str(app.screen.query_one("#af-errors").render())
        app.screen.query_one("#af-due", Input).value = "next week"
        app.screen.query_one("#af-text", ParagraphField).value = "Page the orders team directly"
        await pilot.press("enter")
        assert "due date 'next week' is not YYYY-MM-DD" in str(app.screen.query_one("#af-errors").render())
        app.screen.query_one("#af-due", Input).value = ""
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and len(screen.lines) == 4)
    services = app.services
    items = services.action_items(iid)
    assert [(a.status, a.owner, a.due, a.rule) for a in items] == [
        ("done", "on-call", None, "R1"),
        ("open", "carol", date(2026, 4, 30), "R1"),
        ("open", None, None, None),
    ]
    md = services.postmortem(iid, fmt="md")
    assert "No action items yet" not in md
    assert "| Page the orders team directly | prevent | unassigned | not set | open |  |" in md
    assert "| carol | 2026-04-30 | open | R1 |" in md


async def test_undo_after_a_note_keeps_the_note(make, settings):
    iid = seed(settings)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await open_walk(app, pilot, iid, "tui-demo", at="tui-demo#probe")
        await pilot.press("2")
        await wait_for(pilot, lambda: walk.engine.ref == "tui-demo#deploy")
        await pilot.press("o", *"deploy at 02:05", "enter")
        await wait_for(pilot, lambda: any(e.kind == "finding" for e in timeline_of(settings, iid)))
        await pilot.press("u")
        await wait_for(pilot, lambda: walk.engine.ref == "tui-demo#probe")
    lines = [(e.kind, e.summary, e.undone) for e in timeline_of(settings, iid)]
    assert ("finding", "observation: deploy at 02:05", False) in lines
    assert any(kind == "node_entered" and undone for kind, _, undone in lines)


def timeline_of(settings, iid: int):
    with record(settings) as s:
        return repo.timeline(iid, session=s)


async def test_choices_ten_and_above_by_number_and_by_j_k_enter(make, settings):
    iid = seed(settings)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await open_walk(app, pilot, iid, "triage", at="triage#start")
        choices = walk.engine.node.choices
        assert len(choices) >= 12
        await wait_for(pilot, lambda: walk.query_one("#choices").has_focus)  # visible focus from the start
        # a slow CI machine can take longer than a person between two Pilot key presses: give the
        # second digit more time than the 0.8 s a person gets (the wait itself is what is tested)
        walk.DIGIT_WAIT_S = 3.0
        await pilot.press("1", "2")  # choice 12, not choice 1
        await wait_for(pilot, lambda: walk.engine.ref != "triage#start")
        assert walk.engine.ref == choices[11].ref
        await pilot.press("u")
        await wait_for(pilot, lambda: walk.engine.ref == "triage#start")
        await pilot.press("1")  # alone, after the wait: choice 1
        await wait_for(pilot, lambda: walk.engine.ref != "triage#start", timeout=10)
        assert walk.engine.ref == choices[0].ref
        await pilot.press("u")
        await wait_for(pilot, lambda: walk.engine.ref == "triage#start")
        await wait_for(pilot, lambda: walk.query_one("#choices").highlighted == 0)
        await pilot.press(*["j"] * 11, "k", "enter")  # down to 12, back to 11
        await wait_for(pilot, lambda: walk.engine.ref != "triage#start")
        assert walk.engine.ref == choices[10].ref


async def test_a_running_check_shows_its_time_against_its_deadline_and_c_cancels(make, settings, health_service):
    from runbook.tui.widgets.check_panel import CheckRow

    health_service.delay_s = 0.8  # every probe waits out its 0.5 s timeout: the check takes a while
    iid = new_incident(settings, "probes flap", {"service_url": health_service.url})
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await open_walk(app, pilot, iid, "tui-demo", at="tui-demo#probe")
        assert "press r to run the checks" in str(walk.query_one("#suggestion").render())
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(walk.query(CheckRow)))
        row = walk.query_one(CheckRow)
        await wait_for(pilot, lambda: "s of 20s" in str(row.head.render()))
        assert str(row.head.render()).startswith("RUNNING http_probe_flapping ")
        assert "c cancels them" in str(walk.query_one("#suggestion").render())
        await pilot.press("c")
        await wait_for(pilot, lambda: not any(w.is_running for w in walk.workers if w.group == "walk-checks"))


async def test_symptoms_once_each_and_a_ticked_one_preselects_triages_choice(make, settings):
    from textual.widgets import OptionList, Select, SelectionList

    from runbook.tui.screens.start_incident import StartIncidentScreen

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, StartIncidentScreen) and app.screen.library is not None)
        form = app.screen
        symptoms = form.query_one("#symptoms", SelectionList)
        await wait_for(pilot, lambda: symptoms.option_count > 0)
        shown = [str(symptoms.get_option_at_index(i).prompt) for i in range(symptoms.option_count)]
        assert "instances vanish from discovery" in shown
        assert "instances vanish from discovery while their processes run" not in shown  # one wording each
        assert form.query_one("#title", Input).placeholder.startswith("e.g. ")
        assert form.query_one("#service", Input).placeholder.startswith("e.g. ")
        form.query_one("#title", Input).value = "Orders vanish"
        symptoms.select("instances vanish from discovery")
        await wait_for(pilot, lambda: form.query_one("#playbook", Select).value == "triage")
        await pilot.press("ctrl+s")
        walk = await walk_shown(app, pilot, at="triage#start")
        choices = walk.query_one("#choices", OptionList)
        await wait_for(pilot, lambda: choices.highlighted is not None and choices.highlighted > 0)
        assert choices.get_option_at_index(choices.highlighted).id == "p0-1-discovery#lease-health"
        await pilot.press("enter")  # the pre-selected choice is one key away
        await wait_for(pilot, lambda: walk.engine.ref == "p0-1-discovery#lease-health")


async def test_help_at_80x24_shows_every_walk_key_without_scrolling(make):
    from runbook.tui.screens.help import HELP, HelpScreen

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause(0.2)
        box = app.screen.query_one("#help-box")
        assert box.max_scroll_y == 0, "the help scrolls at 80x24"
    for binding in WalkScreen.BINDINGS:
        assert isinstance(binding, Binding)
        if not binding.key.isdigit():
            assert f"[b]{binding.key}[/b]" in HELP, f"walk key {binding.key!r} is not in the help"


async def test_a_timeline_line_too_long_for_80_columns_is_shown_whole(make, settings):
    from runbook.tui.screens.timeline import TimelineScreen

    iid = seed(settings)
    long_note = "the p99 of the checkout probe doubled right after the 02:05 deploy of orders " * 2
    with record(settings) as s:
        repo.add_finding(iid, long_note.strip(), session=s, author="bob")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(TimelineScreen(iid))
        await wait_for(pilot, lambda: isinstance(app.screen, TimelineScreen) and len(app.screen.lines) == 2)
        detail = app.screen.query_one("#timeline-detail")
        await wait_for(pilot, lambda: "bob:" in str(detail.render()))
        assert long_note.strip() in " ".join(str(detail.render()).split())


async def test_drill_briefing_wraps_at_80_columns(make):
    from runbook.tui.screens.drills import DrillsScreen

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DrillsScreen) and hasattr(app.screen, "content"))
        briefing = app.screen.query_one("#drill-briefing")
        await wait_for(pilot, lambda: "difficulty" in briefing.source)  # the first scenario's briefing
        await pilot.pause(0.3)
        assert briefing.region.right <= 80 and briefing.max_scroll_x == 0, "the briefing runs off the screen"


async def test_a_slow_check_shows_its_own_progress_k_of_n_and_the_hint_says_c_cancels(make, settings, pprof_stub):
    """The goroutine check takes a dump, waits 15 s, takes the second: a real slow check against a
    pprof endpoint on 127.0.0.1. While it waits its row says which dump of how many it has and how
    long it has run of its 60 s; the hint says c cancels, and says r again once it is cancelled."""
    from runbook.tui.widgets.check_panel import CheckRow
    from tests.fixtures.pprof_stub import pileup_process

    pprof = pprof_stub([pileup_process(60)])
    iid = new_incident(settings, "logger stalls", {"pprof_url": pprof.base})
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_to_goroutine_pileup(app, pilot, iid)
        hint = walk.query_one("#suggestion")
        await wait_for(pilot, lambda: "press r to run the checks" in str(hint.render()))
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(walk.query(CheckRow)))
        row = walk.query_one(CheckRow)
        await wait_for(pilot, lambda: "goroutine dump 1 of 2: " in str(row.head.render()), timeout=10)
        head = str(row.head.render())
        assert head.startswith("RUNNING goroutine_pileup_logging ") and "s of 60s" in head, head
        assert "c cancels them" in str(hint.render()) and "press r" not in str(hint.render())
        await pilot.pause(1.1)  # the elapsed time ticks while the check waits for its second dump
        assert str(row.head.render()) != head and "goroutine dump 1 of 2" in str(row.head.render())
        await pilot.press("c")
        await wait_for(pilot, lambda: not any(w.is_running for w in walk.workers if w.group == "walk-checks"))
        await wait_for(pilot, lambda: "press r to run the checks" in str(hint.render()))
        assert "goroutine dump 2 of 2" not in str(row.head.render())


async def test_proposals_of_a_conclusion_naming_two_rules_carry_both_not_the_first(make, settings):
    """p0-2's sdk-bypass concludes R6 and R7 and its actions name no rule of their own: an accepted
    proposal must not claim R6 alone (the action about the SDK client is R7's as much)."""
    with record(settings) as s:
        iid = repo.create_incident(session=s, title="Checkout calls bypass the SDK", severity="P1").id
        conclude(s, iid, "p0-2-breaking", "sdk-bypass", rule_ids=["R6", "R7"], title="sdk bypass")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ActionItemsScreen(iid))
        await wait_for(pilot, lambda: isinstance(app.screen, ActionItemsScreen) and app.screen.loads >= 1)
        screen = app.screen
        assert [line.status for line in screen.lines] == ["proposed"] * 2
        screen.query_one(DataTable).focus()
        await pilot.press("a")
        await wait_for(pilot, lambda: [line.status for line in screen.lines] == ["proposed", "open"])
        await pilot.press("a")
        await wait_for(pilot, lambda: [line.status for line in screen.lines] == ["open", "open"])
    items = app.services.action_items(iid)
    assert [(a.type, a.rule) for a in items] == [("mitigate", "R6, R7"), ("prevent", "R6, R7")]
    assert "| prevent | service owner | not set | open | R6, R7 |" in app.services.postmortem(iid, fmt="md")


async def test_a_variable_typed_wrong_is_corrected_from_the_walk_and_the_check_runs_again(
    make, settings, health_service
):
    """Two URLs pasted into one field at the start: the check cannot measure. ``v`` shows the
    playbook's variables with the incident's values; the corrected one is saved and the checks
    run again against the real service (a dead end before: no way to change a variable)."""
    from runbook.tui.screens.variables import VariablesScreen
    from runbook.tui.widgets.check_panel import CheckRow

    wrong = f"{health_service.url}http://127.0.0.1:9/metrics"
    iid = new_incident(settings, "probes flap", {"service_url": wrong})
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await open_walk(app, pilot, iid, "tui-demo", at="tui-demo#probe")
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, VariablesScreen))
        box = app.screen.query_one("#need-service_url", Input)
        assert box.value == wrong  # the value given, to correct
        box.value = health_service.url
        assert box.has_focus  # typing goes to the first value at once
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is walk)
        await wait_for(pilot, lambda: read(settings, iid).variables.get("service_url") == health_service.url)
        await wait_for(pilot, lambda: bool(walk.query(CheckRow)) and walk.engine.results, timeout=30)
        assert walk.engine.results[-1].result.verdict.value in ("ok", "warn")  # measured, not unknown
