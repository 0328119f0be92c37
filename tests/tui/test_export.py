"""Export from the UI: the path is asked for (proposed in ``export_dir``), both formats, with keys
that reach the app in tmux (``w``, ``x``; not ``ctrl+h``) and from the palette; where it wrote
is shown; a missing directory or an existing file is said before anything is written."""

from __future__ import annotations

import dataclasses

from textual.widgets import Input, Static

from runbook.services import build_services
from runbook.tui.app import make_app
from runbook.tui.screens.export import ExportScreen
from runbook.tui.screens.postmortem import PostmortemScreen
from tests.tui.pilot import wait_for
from tests.tui.test_lifecycle import seed


def app_with_export_dir(settings, export_dir):
    return make_app(build_services(dataclasses.replace(settings, export_dir=export_dir)))


async def open_postmortem(app, pilot, iid: int) -> PostmortemScreen:
    """The incident's postmortem screen, pushed and shown."""
    app.push_screen(PostmortemScreen(iid))
    await wait_for(pilot, lambda: isinstance(app.screen, PostmortemScreen))
    return app.screen


async def test_export_asks_for_the_path_in_both_formats(settings, tmp_path):
    iid = seed(settings)
    out = tmp_path / "exports"
    out.mkdir()
    app = app_with_export_dir(settings, out)
    async with app.run_test(size=(80, 24)) as pilot:
        pm = await open_postmortem(app, pilot, iid)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        assert app.screen.query_one("#export-to", Input).value == str(out / f"INC-{iid:04d}-postmortem.md")
        await pilot.press("enter")
        await wait_for(pilot, lambda: pm.written == out / f"INC-{iid:04d}-postmortem.md")
        assert f"written: {out / f'INC-{iid:04d}-postmortem.md'}" in str(pm.query_one("#export-path", Static).render())
        assert (out / f"INC-{iid:04d}-postmortem.md").read_text().startswith("# Postmortem: Orders vanish")

        await pilot.press("x")  # HTML, to a path typed over the proposal
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        box = app.screen.query_one("#export-to", Input)
        assert box.value.endswith("-postmortem.html")
        box.value = str(tmp_path / "nowhere" / "pm.html")
        await pilot.press("enter")
        assert "no directory" in str(app.screen.query_one("#export-note", Static).render())
        box.value = str(out / f"INC-{iid:04d}-postmortem.md")  # exists: a second enter replaces it
        await pilot.press("enter")
        assert "exists: enter again replaces it" in str(app.screen.query_one("#export-note", Static).render())
        box.value = str(tmp_path / "review.html")
        await pilot.press("enter")
        await wait_for(pilot, lambda: pm.written == tmp_path / "review.html")
        assert "<html" in (tmp_path / "review.html").read_text().lower()

        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        await pilot.press("escape")  # cancelled: nothing written
        await wait_for(pilot, lambda: app.screen is pm)
        assert pm.written == tmp_path / "review.html"


async def test_export_from_the_palette(settings, tmp_path):
    iid = seed(settings)
    app = app_with_export_dir(settings, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        pm = await open_postmortem(app, pilot, iid)
        await pilot.press("ctrl+p")
        await pilot.press(*"export the postmortem as html")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: pm.written == tmp_path / f"INC-{iid:04d}-postmortem.html")
