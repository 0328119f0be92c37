"""Server-sent events (``text/event-stream``) framing, per the WHATWG HTML standard.

The hystrix-go metrics stream is SSE: one ``data:{json}`` line and a blank line per event.
The parser is incremental (``feed`` one line at a time, as ``stream_lines`` delivers them) so
a check can act on each event while the stream is still open, and bounded: an event whose
data outgrows ``max_event_bytes`` is a :class:`~runbook.errors.ParseError`, never a memory
problem. Everything else the standard allows (comments, unknown fields, ``id``, ``retry``,
multi-line data, CRLF/CR/LF line ends) is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from runbook.errors import ParseError


@dataclass(frozen=True)
class SseEvent:
    """One dispatched event."""

    data: str
    """Data lines joined with newlines (the final newline removed)."""
    event: str = "message"
    id: str | None = None
    """The last event ID in effect when this event was dispatched."""
    retry_ms: int | None = None
    """The reconnection time the stream asked for, if any."""


class SseParser:
    """Feed lines (without their line ending); collect the events they complete."""

    def __init__(self, *, max_event_bytes: int = 1024 * 1024) -> None:
        self.max_event_bytes = max_event_bytes
        self._data: list[str] = []
        self._size = 0
        self._event = ""
        self._last_id: str | None = None
        self._retry: int | None = None
        self.comments = 0
        """Comment lines seen (servers send them as keep-alives)."""
        self.lineno = 0

    def feed(self, line: str) -> SseEvent | None:
        """One line; returns the event a blank line dispatches, else None."""
        self.lineno += 1
        if not line:
            return self._dispatch()
        if line[0] == ":":
            self.comments += 1
            return None
        field, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if field == "data":
            self._size += len(value) + 1
            if self._size > self.max_event_bytes:
                raise ParseError(f"event data larger than {self.max_event_bytes} bytes", line=self.lineno)
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self._last_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        # any other field is ignored, as the standard says
        return None

    def finish(self) -> None:
        """End of stream: an event without its blank line is discarded (per the standard)."""
        self._data, self._size, self._event = [], 0, ""

    def _dispatch(self) -> SseEvent | None:
        data, event = self._data, self._event
        self._data, self._size, self._event = [], 0, ""
        if not data:
            return None
        return SseEvent("\n".join(data), event or "message", self._last_id, self._retry)


def split_lines(text: str) -> list[str]:
    """Split on CRLF, CR or LF, as the standard does (``str.splitlines`` splits on more)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse_events(text: str, *, max_event_bytes: int = 1024 * 1024) -> list[SseEvent]:
    """Every complete event in a whole stream body."""
    parser = SseParser(max_event_bytes=max_event_bytes)
    out = []
    lines = split_lines(text)
    if lines and lines[-1] == "":
        lines.pop()  # the text's final line ending, not a blank line
    for line in lines:
        event = parser.feed(line)
        if event is not None:
            out.append(event)
    parser.finish()
    return out
