"""The postmortem preview's page (``RenderedPage``): a short document, and a resize.

The preview renders its lines at the page's width in a thread; a page that grows or shrinks must
render them again at the new width (a line cut at the old width, or wrapped too early, is what a
responder would see otherwise), and a document shorter than the page must not scroll.
"""

from __future__ import annotations

from textual.app import App, ComposeResult

from runbook.tui.screens.postmortem import PostmortemScreen
from runbook.tui.widgets.rendered_page import RenderedPage, render_lines
from tests.report.fixture_incident import build_fixture
from tests.tui.pilot import record, screen_lines, wait_for

SHORT = "# Orders vanish\n\nLeases expired while the instances ran.\n"


class PageApp(App[None]):
    def compose(self) -> ComposeResult:
        yield RenderedPage(id="page")


async def test_a_short_document_shows_whole_and_does_not_scroll():
    app = PageApp()
    async with app.run_test(size=(60, 12)) as pilot:
        page = app.query_one(RenderedPage)
        width = page.text_width
        page.show(SHORT, render_lines(SHORT, width), width)
        await pilot.pause(0.1)
        shown = "\n".join(screen_lines(app, page))
        assert "Orders vanish" in shown
        assert "Leases expired while the instances ran." in shown
        assert page.max_scroll_y == 0
        assert not screen_lines(app, page)[-1].strip()  # the rows below the text are blank


async def test_a_resized_preview_is_rendered_again_at_the_new_width(make, settings):
    with record(settings) as session:
        iid = build_fixture(session)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(PostmortemScreen(iid))
        await wait_for(pilot, lambda: isinstance(app.screen, PostmortemScreen) and app.screen.ready)
        page = app.screen.query_one(RenderedPage)
        narrow, narrow_lines = page.rendered_width, page.virtual_size.height
        assert narrow <= 80

        await pilot.resize_terminal(140, 30)
        await wait_for(pilot, lambda: page.rendered_width == page.text_width and page.rendered_width > narrow)
        assert page.rendered_width > 100
        # the same document, wrapped at the wider measure, takes fewer lines
        assert page.virtual_size.height < narrow_lines
        assert max(line.cell_length for line in page._lines) <= page.rendered_width

        await pilot.resize_terminal(60, 24)
        await wait_for(pilot, lambda: page.rendered_width == page.text_width and page.rendered_width < narrow)
        assert max(line.cell_length for line in page._lines) <= page.rendered_width
        assert all(len(line) <= 60 for line in screen_lines(app, page))
