"""Helpers for Pilot-driven tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import Session

from runbook.record import repo
from runbook.record.db import connect, open_session
from runbook.tui.screens.walk import WalkScreen

#: The terminal sizes snapshot tests take their pictures at: the smallest supported, and a large one.
SNAPSHOT_SIZES = [(80, 24), (160, 48)]
at_snapshot_sizes = pytest.mark.parametrize("size", SNAPSHOT_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


async def wait_for(pilot, predicate, timeout: float = 20.0) -> None:
    """Let the app run until ``predicate()`` holds (workers finish, screens change)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached in time")


@contextmanager
def record(settings) -> Iterator[Session]:
    """A session on the test's incident record (``settings.db_url``); the engine is disposed after."""
    engine = connect(settings.db_url)
    try:
        with open_session(engine) as session:
            yield session
    finally:
        engine.dispose()


def new_incident(settings, title: str, variables: dict[str, str]) -> int:
    """A new incident on the test's record, titled ``title``, with the walk's ``variables``: its id."""
    with record(settings) as s:
        return repo.create_incident(session=s, title=title, variables=variables).id


def conclude(
    session: Session,
    incident_id: int,
    playbook_id: str,
    node_id: str,
    *,
    rule_ids: Iterable[str],
    title: str,
    author: str | None = None,
) -> None:
    """Record the incident walked to the conclusion node ``playbook_id#node_id``: a step there
    (by ``author``) and the conclusion naming ``rule_ids`` at that step."""
    step = repo.add_step(incident_id, playbook_id, node_id, session=session, author=author)
    repo.add_conclusion(
        incident_id,
        rule_ids=rule_ids,
        title=title,
        playbook_id=playbook_id,
        node_id=node_id,
        step_id=step.id,
        session=session,
    )


async def walk_shown(app, pilot, at: str | None = None, loaded: Callable[[object], object] | None = None) -> WalkScreen:
    """Wait for the walk screen with its engine (and ``loaded(engine)`` if given), then, if ``at``
    is given, until the walk stands at that node ref; return the screen (asserted a walk screen
    with an engine)."""
    await wait_for(
        pilot,
        lambda: (
            isinstance(app.screen, WalkScreen)
            and app.screen.engine is not None
            and (loaded is None or loaded(app.screen.engine))
        ),
    )
    walk = app.screen
    assert isinstance(walk, WalkScreen) and walk.engine is not None
    if at is not None:
        await wait_for(pilot, lambda: walk.engine.ref == at)
    return walk


async def open_walk(app, pilot, incident_id: int, playbook: str | None = None, at: str | None = None) -> WalkScreen:
    """Open the incident's walk (starting ``playbook`` if it has none yet) and wait as :func:`walk_shown`."""
    app.open_incident(incident_id, start_playbook=playbook)
    return await walk_shown(app, pilot, at=at)


def screen_lines(app, widget=None) -> list[str]:
    """The text the terminal shows, one string per row (inside ``widget``'s region if given).

    Read from the screen's compositor, as a terminal would draw it: what is cut off at the right
    edge or dropped from a wrapped line is missing here too.
    """
    lines = ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]
    if widget is None:
        return lines
    r = widget.region
    return [line[r.x : r.right] for line in lines[r.y : r.bottom]]


def words_shown(app, text: str, widget=None) -> bool:
    """Every word of ``text`` is on the screen whole and in order (wrapped lines, and other
    columns of a table between them, allowed): a word cut at the edge is not found."""
    shown = iter(" ".join(screen_lines(app, widget)).split())
    return all(word in shown for word in text.split())
