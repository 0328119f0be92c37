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
