"""The start form on every path a responder takes: each playbook selected (from each other one),
each symptom ticked, the blank choice, typed values across switches, and secrets kept out.

The form once crashed (``DuplicateIds``) when the playbook changed, because the old variable
inputs were still mounted when the new ones with the same ids arrived; and choosing the blank
entry ended the app (``KeyError: Select.NULL``). Both were paths no test took.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from textual.widgets import Input, Select, SelectionList, Static

from runbook.tui.screens.start_incident import StartIncidentScreen
from runbook.tui.screens.walk import WalkScreen
from tests.tui.pilot import wait_for, walk_shown


async def _open_form(pilot, app) -> StartIncidentScreen:
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(app.screen, StartIncidentScreen))
    screen = app.screen
    assert isinstance(screen, StartIncidentScreen)
    await wait_for(pilot, lambda: screen.library is not None)
    return screen


def _shown_variables(screen: StartIncidentScreen) -> list[str]:
    return [w.id.removeprefix("var-") for w in screen.query(".var-input").results(Input) if w.id]


async def _select(pilot, screen: StartIncidentScreen, playbook_id: str | None) -> None:
    select = screen.query_one("#playbook", Select)
    if playbook_id is None:
        select.clear()
    else:
        select.value = playbook_id
    assert screen.library is not None
    want = [v.name for v in screen.library.playbooks[playbook_id].variables] if playbook_id else []
    await wait_for(pilot, lambda: _shown_variables(screen) == want)


async def _start_walk(pilot, app, title: str, playbook_id: str, values: dict[str, str]) -> WalkScreen:
    """The form opened, filled in (title, playbook, variable values) and sent: the walk it opens."""
    screen = await _open_form(pilot, app)
    screen.query_one("#title", Input).value = title
    await _select(pilot, screen, playbook_id)
    for name, value in values.items():
        screen.query_one(f"#var-{name}", Input).value = value
    await pilot.press("ctrl+s")
    return await walk_shown(app, pilot)


async def test_every_playbook_from_every_other_and_back_to_blank(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(pilot, app)
        assert screen.library is not None
        ids = sorted(screen.library.playbooks)
        assert "triage" in ids and len(ids) >= 4
        for a, b in itertools.permutations(ids, 2):
            await _select(pilot, screen, a)
            await _select(pilot, screen, b)
        await _select(pilot, screen, None)
        assert screen.query_one("#playbook-summary", Static).content == ""
        screen.query_one("#title", Input).value = "something is wrong"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "choose a playbook" in str(screen.query_one("#start-errors", Static).content))
        assert app.is_running and isinstance(app.screen, StartIncidentScreen)


async def test_switching_playbooks_by_keyboard_keeps_the_typed_values(make):
    app = make()
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await _open_form(pilot, app)
        assert screen.library is not None
        await _select(pilot, screen, "triage")
        shared = [v.name for v in screen.library.playbooks["triage"].variables]
        typed = {name: f"http://127.0.0.1:{9000 + i}/x" for i, name in enumerate(shared)}
        for name, value in typed.items():
            screen.query_one(f"#var-{name}", Input).value = value
        # keys, as a responder in a terminal: focus the select, open it, move down, choose
        screen.query_one("#playbook", Select).focus()
        await pilot.press("enter", "down", "enter")
        await wait_for(pilot, lambda: screen.query_one("#playbook", Select).value != "triage")
        chosen = screen.query_one("#playbook", Select).value
        assert isinstance(chosen, str)
        want = [v.name for v in screen.library.playbooks[chosen].variables]
        await wait_for(pilot, lambda: _shown_variables(screen) == want)
        for name in set(want) & set(typed):
            assert screen.query_one(f"#var-{name}", Input).value == typed[name]
        await _select(pilot, screen, "triage")
        for name, value in typed.items():
            assert screen.query_one(f"#var-{name}", Input).value == value
        assert app.is_running


async def test_each_symptom_ticked_suggests_a_playbook_and_shows_its_variables(make):
    from runbook.playbook.suggest import shown_symptoms, suggest_playbooks

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(pilot, app)
        assert screen.library is not None
        symptoms = screen.query_one("#symptoms", SelectionList)
        names = shown_symptoms(screen.library)
        assert len(names) == symptoms.option_count > 5
        for name in names:
            symptoms.deselect_all()
            symptoms.select(name)
            best = suggest_playbooks(screen.library, [name])[0][0]
            await wait_for(pilot, lambda best=best: screen.query_one("#playbook", Select).value == best)
            want = [v.name for v in screen.library.playbooks[best].variables]
            await wait_for(pilot, lambda want=want: _shown_variables(screen) == want)
        assert app.is_running


async def test_a_credential_typed_in_the_form_is_used_but_never_stored(make, settings, health_service):
    password = "pw-never-stored-4711"
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        url = health_service.url.replace("http://", f"http://probe:{password}@")
        walk = await _start_walk(pilot, app, "probe with credentials", "tui-demo", {"service_url": url})
        assert walk.engine is not None
        assert walk.engine.variables["service_url"] == url  # the walk has it, from this process's memory
        await pilot.press("r")
        await wait_for(pilot, lambda: walk.engine is not None and bool(walk.engine.results), timeout=30)
    db = Path(settings.db_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    assert password.encode() not in raw
    assert b"probe with credentials" in raw


async def test_a_locked_record_does_not_freeze_the_ui(make, settings, health_service):
    """Another responder's process holds the SQLite write lock: the choice waits, the keys do not."""
    import sqlite3
    import time

    from runbook.tui.screens.help import HelpScreen

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await _start_walk(pilot, app, "locked record", "tui-demo", {"service_url": health_service.url})
        assert walk.engine is not None
        assert walk.engine.ref == "tui-demo#probe"
        other = sqlite3.connect(settings.db_url.removeprefix("sqlite:///"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the lock a second writer would wait for
        try:
            await pilot.press("2")  # the choice's write now waits for the lock, in the engine's thread
            started = time.monotonic()
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), timeout=3)
            assert time.monotonic() - started < 2, "a key was not handled while the record was locked"
            assert walk.engine.ref == "tui-demo#probe", "the write cannot have landed under the lock"
        finally:
            other.execute("ROLLBACK")
            other.close()
        await wait_for(pilot, lambda: walk.engine is not None and walk.engine.ref == "tui-demo#deploy", timeout=20)
