"""Helpers for Pilot-driven tests."""

from __future__ import annotations

import time


async def wait_for(pilot, predicate, timeout: float = 20.0) -> None:
    """Let the app run until ``predicate()`` holds (workers finish, screens change)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached in time")


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
