"""A long Markdown document shown as lines rendered off the event loop.

Textual's ``Markdown`` widget builds a widget per block and per list item: the postmortem's
diagnosis path (steps, each with its checks and findings as a nested list) took seconds to mount
on the event loop of a loaded 2-core machine, and no key was handled meanwhile. A preview is
read, not clicked, so here Rich renders the Markdown to lines at the page's width in the
caller's thread (:func:`render_lines`), and the widget only paints the lines in view
(the line API, as ``RichLog`` does). Mounting the result costs nothing the size of the document.

A resize re-renders at the new width: the screen asks again (``RenderedPage.Resized``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from rich.console import Console
from rich.markdown import Markdown as RichMarkdown
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip


def render_lines(text: str, width: int) -> list[Strip]:
    """``text`` (Markdown) rendered by Rich to lines of ``width`` cells. Safe off the event loop:
    it touches no widget."""
    width = max(20, width)
    console = Console(
        width=width,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        emoji=False,
        highlight=False,
    )
    lines = console.render_lines(RichMarkdown(text, hyperlinks=False), console.options, pad=False)
    return [Strip(line) for line in lines]


class RenderedPage(ScrollView, can_focus=True):
    """Pre-rendered lines in a scrolling view (arrows, page keys, the mouse wheel)."""

    DEFAULT_CSS = """
    RenderedPage {
        height: 1fr;
    }
    """

    @dataclass
    class Resized(Message):
        """The page's width changed: the document should be rendered again at ``width``."""

        width: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = ""
        """The Markdown on show (tests compare it with the export)."""
        self.rendered_width = 0
        """The width the lines were rendered at."""
        self._lines: list[Strip] = []

    @property
    def text_width(self) -> int:
        """The width to render at: the widget's, less the vertical scrollbar's (a document long
        enough to preview scrolls; rendering wider would cut the end of every line)."""
        return max(20, self.size.width - self.styles.scrollbar_size_vertical - 1)

    def show(self, source: str, lines: list[Strip], width: int) -> None:
        self.source = source
        self._lines = lines
        self.rendered_width = width
        self.virtual_size = Size(width, len(lines))
        self.refresh()

    def on_resize(self) -> None:
        if self.rendered_width and self.text_width != self.rendered_width:
            self.post_message(self.Resized(self.text_width))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return self._lines[index].crop_extend(scroll_x, scroll_x + width, self.rich_style).apply_style(self.rich_style)
