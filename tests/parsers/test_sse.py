"""SSE framing: exact events per the WHATWG rules, bounded size, property tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook.errors import ParseError
from runbook.parsers.sse import SseEvent, SseParser, parse_events


def test_hystrix_go_framing_without_space_after_colon():
    text = 'data:{"type":"HystrixCommand"}\n\ndata:{"type":"HystrixThreadPool"}\n\n'
    assert parse_events(text) == [SseEvent('{"type":"HystrixCommand"}'), SseEvent('{"type":"HystrixThreadPool"}')]


def test_fields_comments_multiline_and_line_endings():
    text = (
        ": keep-alive\r\nevent: update\r\nid: 7\r\nretry: 1500\r\ndata: first\r\ndata:  second\r\n\r\n"
        "data\rdata: x\r\r"  # a bare 'data' field is an empty data line; CR line ends
        "id: 8\nunknown: y\n\n"  # no data: nothing dispatched, but the id sticks
        "data: z\n\n"
        "data: never finished\n"
    )
    parser = SseParser()
    events = parse_events(text)
    assert events == [
        SseEvent("first\n second", "update", "7", 1500),
        SseEvent("\nx", "message", "7", 1500),
        SseEvent("z", "message", "8", 1500),
    ]
    for line in [": a", ": b"]:
        parser.feed(line)
    assert parser.comments == 2


def test_oversized_event_is_a_parse_error():
    parser = SseParser(max_event_bytes=10)
    parser.feed("data: 12345")
    with pytest.raises(ParseError, match="line 2: event data larger than 10 bytes"):
        parser.feed("data: 67890")


@given(st.lists(st.text(alphabet=st.characters(exclude_characters="\r\n"), max_size=20), max_size=10))
@settings(max_examples=200, deadline=None)
def test_data_lines_round_trip(lines):
    text = "".join(f"data: {line}\n" for line in lines) + "\n"
    events = parse_events(text)
    assert events == ([SseEvent("\n".join(lines))] if lines else [])


@given(st.text(max_size=400))
@settings(max_examples=400, deadline=None)
def test_arbitrary_text_never_raises_other_errors(text):
    try:
        events = parse_events(text, max_event_bytes=64)
    except ParseError:
        return
    assert all(isinstance(e.data, str) and e.event for e in events)
