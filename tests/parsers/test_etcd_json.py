"""etcd gateway JSON decoding: documented shapes, and property tests for any input."""

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbook.parsers.etcd_json import (
    EtcdFormatError,
    b64decode,
    b64encode,
    int64,
    parse_range,
    parse_timetolive,
    parse_watch_message,
    prefix_range_end,
    range_request,
)


def test_prefix_range_end_matches_the_reference_example():
    assert prefix_range_end("/svc/") == b"/svc0"
    assert prefix_range_end(b"a\xff\xff") == b"b"
    assert prefix_range_end(b"\xff") == b"\0"
    assert prefix_range_end(b"") == b"\0"


def test_range_request_is_base64():
    body = range_request("/svc/")
    assert base64.b64decode(body["key"]) == b"/svc/"
    assert base64.b64decode(body["range_end"]) == b"/svc0"


def test_parse_range_with_omitted_fields():
    data = {
        "header": {"cluster_id": "1", "member_id": "2", "revision": "17", "raft_term": "2"},
        "kvs": [
            {
                "key": b64encode("/svc/a"),
                "create_revision": "5",
                "mod_revision": "9",
                "version": "3",
                "value": b64encode("10.0.0.1:80"),
                "lease": "7587869870468117000",
            },
            {"key": b64encode("/svc/b"), "create_revision": "6", "mod_revision": "6", "version": "1"},
        ],
        "count": "2",
    }
    r = parse_range(data)
    assert r.revision == 17
    assert [kv.key for kv in r.kvs] == ["/svc/a", "/svc/b"]
    assert r.kvs[0].lease == 7587869870468117000  # beyond 2^53: kept exact
    assert r.kvs[1].lease == 0 and r.kvs[1].value == b""
    assert parse_range({"header": {"revision": "3"}}).kvs == ()


def test_parse_timetolive_live_and_expired():
    live = parse_timetolive({"ID": "42", "TTL": "7", "grantedTTL": "10", "keys": [b64encode("/svc/a")]})
    assert (live.lease, live.ttl, live.granted_ttl, live.keys, live.expired) == (42, 7, 10, ("/svc/a",), False)
    gone = parse_timetolive({"ID": "42", "TTL": "-1"})
    assert gone.expired and gone.granted_ttl == 0 and gone.keys == ()
    with pytest.raises(EtcdFormatError, match="no 'ID'"):
        parse_timetolive({"TTL": "3"})


def test_parse_watch_put_and_delete():
    created, events = parse_watch_message({"result": {"header": {}, "created": True}})
    assert created and events == ()
    _, events = parse_watch_message(
        {
            "result": {
                "events": [
                    {"kv": {"key": b64encode("/svc/a"), "version": "1", "lease": "5"}},
                    {
                        "type": "DELETE",
                        "kv": {"key": b64encode("/svc/a"), "mod_revision": "9"},
                        "prev_kv": {"key": b64encode("/svc/a"), "lease": "5"},
                    },
                ]
            }
        }
    )
    assert [(e.kind, e.kv.key, e.prev_lease) for e in events] == [("PUT", "/svc/a", 0), ("DELETE", "/svc/a", 5)]
    with pytest.raises(EtcdFormatError, match="watch error"):
        parse_watch_message({"error": {"grpc_code": 14}})


def test_bad_inputs_give_format_errors():
    for bad in ("not base64!", 5):
        with pytest.raises(EtcdFormatError):
            b64decode(bad)
    for bad in ("7.5", "abc", True, [1]):
        with pytest.raises(EtcdFormatError):
            int64(bad)
    with pytest.raises(EtcdFormatError, match="expected a JSON object"):
        parse_range([1, 2])
    with pytest.raises(EtcdFormatError, match="no 'header'"):
        parse_range({"status": "ok"})


@given(st.binary(max_size=64))
def test_range_end_bounds_every_key_with_the_prefix(prefix):
    end = prefix_range_end(prefix)
    # every key with the prefix sorts below range_end, the prefix itself included
    assert prefix + b"\xff" * 3 < end or end == b"\0"
    assert prefix < end or end == b"\0"


@given(st.binary(max_size=64))
def test_base64_round_trip(raw):
    assert b64decode(b64encode(raw)) == raw


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_int64_strings_are_exact(n):
    assert int64(str(n)) == n


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@given(_json)
def test_any_json_either_parses_or_raises_format_error(data):
    for parse in (parse_range, parse_timetolive, parse_watch_message):
        with contextlib.suppress(EtcdFormatError):
            parse(data)


@given(st.dictionaries(st.sampled_from(["key", "value", "lease", "version", "create_revision"]), _json))
def test_any_kv_shaped_json_is_safe(kv):
    with contextlib.suppress(EtcdFormatError):
        parse_range({"header": {"revision": "1"}, "kvs": [kv]})


@given(st.text(max_size=12))
def test_int64_any_text_is_int_or_format_error(text):
    with contextlib.suppress(EtcdFormatError):
        assert isinstance(int64(text), int)
