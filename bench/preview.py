"""Benchmark: the UI's postmortem preview, from opening it to the document on screen.

Headless (``App.run_test()``), measured interleaved in one run (floor, preview, floor, ...):

- **floor**: a bare Textual app mounting a ``Markdown`` widget with the same Markdown string
  the preview shows (rendered beforehand, outside the timing), in one ``update``: the cost of
  showing that document in a terminal at all;
- **preview**: the runbook app, ``PostmortemScreen`` pushed until it reports ready: the record
  read and the template in a thread worker, then the same document mounted in its viewer.

For a walked-shaped incident of 200 events (aim: preview <= 2x floor), then the same for
10,000 events, whose preview shows the first events only (``PREVIEW_EVENTS``): the floor is
then the same cut string. For the 10,000-event case it also reports how long a key press took
to be handled while the preview rendered, as the longest stall of the event loop (aim: well under 1 s).

Run: python bench/preview.py [--repeat N] [--big N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from export import fill  # bench/export.py: the same walked-shaped incident, inserted in bulk
from textual.app import App, ComposeResult
from textual.widgets import Markdown

from runbook.config import Settings
from runbook.record.db import connect
from runbook.services import build_services
from runbook.services.postmortems import postmortem_preview
from runbook.tui.app import make_app
from runbook.tui.screens.help import HelpScreen
from runbook.tui.screens.postmortem import PostmortemScreen

REPO = Path(__file__).resolve().parents[1]
CLOCK = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)
SIZE = (120, 40)


class Bare(App[None]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield Markdown(id="md")


async def _until(pilot, predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("not ready in time")
        await pilot.pause(0.005)


async def floor(text: str) -> float:
    """Seconds from asking a bare Markdown widget to show ``text`` to its blocks being mounted."""
    app = Bare(text)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        await app.query_one("#md", Markdown).update(text)
        await pilot.pause()
        return time.perf_counter() - start


async def preview(settings: Settings, iid: int, *, press_key: bool = False) -> tuple[float, float | None]:
    """Seconds from pushing the preview to it being on screen; and, with ``press_key``, the
    longest the event loop went without running (ms) while the preview rendered: how long a key
    pressed then would have waited. (Timing ``pilot.press`` instead measures Pilot, which waits
    for the whole process, the worker thread included, to go idle before it returns.)"""
    services = build_services(settings, clock=lambda: CLOCK)
    assert services.content.knowledge.rules  # loaded before, as after a walk: not the preview's cost
    app = make_app(services)
    # Every run's objects stay in this one process: without this, the collector's full passes over
    # the earlier runs' leftovers (40 ms, then 76, 94 ... 230 ms, timed with gc.callbacks) were
    # most of the "stall" of the later runs, and the figure grew with the run's number.
    gc.collect()
    gc.freeze()
    try:
        return await _preview(app, iid, press_key)
    finally:
        gc.unfreeze()


async def _preview(app: App[None], iid: int, press_key: bool) -> tuple[float, float | None]:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        screen = PostmortemScreen(iid)
        app.push_screen(screen)
        worst = 0.0
        if press_key:
            while not screen.ready:
                tick = time.perf_counter()
                await asyncio.sleep(0.005)
                worst = max(worst, time.perf_counter() - tick - 0.005)
        await _until(pilot, lambda: screen.ready)
        await pilot.pause()
        took = time.perf_counter() - start
        if press_key:
            # and a real key, once: the help opens over the rendered preview
            await pilot.press("question_mark")
            await _until(pilot, lambda: isinstance(app.screen, HelpScreen))
        return took, (worst if press_key else None)


def measure(settings: Settings, iid: int, repeat: int, label: str, *, press_key: bool) -> None:
    text = postmortem_preview(build_services(settings, clock=lambda: CLOCK), iid).text
    floors, previews, keys = [], [], []
    for _ in range(repeat):
        floors.append(asyncio.run(floor(text)))
        took, key = asyncio.run(preview(settings, iid, press_key=press_key))
        previews.append(took)
        if key is not None:
            keys.append(key)
    b_f, b_p = min(floors), min(previews)
    m_f, m_p = statistics.median(floors), statistics.median(previews)
    rows = text.count("\n| 20")
    print(f"{label}: document {len(text) / 1e3:.0f} kB, {rows} timeline rows shown")
    print(f"  floor (bare Markdown widget, same string)  best {b_f * 1000:7.0f} ms  median {m_f * 1000:7.0f} ms")
    print(f"  preview (open -> ready)                    best {b_p * 1000:7.0f} ms  median {m_p * 1000:7.0f} ms")
    print(f"  ratio preview / floor                      best {b_p / b_f:7.2f}x    median {m_p / m_f:7.2f}x")
    if press_key and keys:
        print(f"  longest event-loop stall while rendering    max  {max(keys) * 1000:7.0f} ms  ({len(keys)} runs)")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--big", type=int, default=10_000, help="events of the large incident (0: skip it)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            db_url=f"sqlite:///{Path(tmp) / 'bench.db'}",
            playbook_dirs=(REPO / "playbooks",),
            incident_dirs=(REPO / "incidents",),
            author="bench",
        )
        engine = connect(settings.db_url)
        small = fill(engine, 200)
        big = fill(engine, args.big) if args.big else None
        engine.dispose()
        measure(settings, small, args.repeat, "200 events", press_key=False)
        if big is not None:
            measure(settings, big, max(2, args.repeat // 2), f"{args.big:,} events", press_key=True)


if __name__ == "__main__":
    main()
