"""A one-paragraph text field that wraps, for text longer than the form is wide.

An action item's text is often a sentence of eighty characters or more ("Add a skew test
(coefficient of variation of per-backend requests) to the balancer's CI"). In a one-line
``Input`` at 80 columns only its end shows, so a responder accepting a proposal reads half of
it. This field wraps the whole text over a few lines and otherwise behaves like the ``Input`` it
replaces: enter submits (it never inserts a line break), and the value is one line (line breaks
pasted in become spaces).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import TextArea


class ParagraphField(TextArea):
    DEFAULT_CSS = """
    ParagraphField {
        height: auto;
        min-height: 3;
        max-height: 6;
    }
    """

    @dataclass
    class Submitted(Message):
        """Enter was pressed in the field (as ``Input.Submitted``)."""

        field: ParagraphField

    def __init__(self, text: str = "", *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(
            " ".join(text.split()),
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            placeholder=placeholder,
            id=id,
        )

    def on_mount(self) -> None:
        self.move_cursor(self.document.end)  # as an Input opens: ready to add to the end

    @property
    def value(self) -> str:
        """The text as one line: line breaks (pasted, or typed some other way) become spaces."""
        return " ".join(self.text.split())

    @value.setter
    def value(self, text: str) -> None:
        self.load_text(text)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self))
            return
        await super()._on_key(event)
