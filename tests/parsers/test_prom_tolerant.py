"""The exposition parser's tolerant mode (what counter-reading checks use on services' own
/metrics pages) and the selector built on it: malformed lines are skipped, never raised, and
every sample that parses is kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbook.errors import ParseError
from runbook.parsers.prom_select import SelectorError, parse_selector, read_page, select_sum
from runbook.parsers.prom_text import parse

HOSTILE = (
    "# TYPE a_total counter\n"
    "a_total 1\n"
    "a_total{x=unquoted} 2\n"  # bad label value
    "this is not a sample\n"
    'a_total{code="500"} 3 1.5\n'  # a fractional millisecond timestamp
    "# TYPE a_total gauge\n"  # TYPE after its samples
    'b{code="5\\"00"} 4\n'  # an escaped quote: the careful path
)


def test_strict_mode_raises_with_the_line():
    with pytest.raises(ParseError, match="line 3"):
        parse(HOSTILE)


def test_tolerant_mode_keeps_every_sample_that_parses():
    expo = parse(HOSTILE, tolerant=True)
    a = expo.families["a_total"]
    assert [(s.labels, s.value, s.timestamp) for s in a.samples] == [({}, 1.0, None), ({"code": "500"}, 3.0, None)]
    assert a.type == "counter"
    assert [(s.labels, s.value) for s in expo.families["b"].samples] == [({"code": '5"00'}, 4.0)]


def test_tolerant_mode_reads_an_openmetrics_page_without_eof_as_text():
    page = "# TYPE c counter\nc_total 7\n"
    with pytest.raises(ParseError, match="EOF"):
        parse(page, openmetrics=True)
    assert select_sum(page, "c_total") == 7


def test_selector_uses_the_careful_label_scanner():
    assert parse_selector('x_total {code="a\\"b", le="+Inf",}') == ("x_total", {"code": 'a"b', "le": "+Inf"})
    assert parse_selector("x_total") == ("x_total", {})
    for bad in ("", "1x", "x{code=1}", 'x{code="1"} trailing', 'x{code="1"'):
        with pytest.raises(SelectorError, match="not a metric selector"):
            parse_selector(bad)


def test_select_sum_skips_what_is_malformed_and_nan():
    page = HOSTILE + 'a_total{code="nan"} NaN\n'
    assert select_sum(page, "a_total") == 4
    assert select_sum(page, 'a_total{code="500"}') == 3
    assert select_sum(page, 'b{code="5\\"00"}') == 4
    assert select_sum(page, 'a_total{code="nan"}') is None
    assert select_sum('d{x="1",x="2"} 5\nd 6\n', "d") == 6  # a duplicate label name is no series


@given(st.text(max_size=300))
def test_tolerant_parse_never_raises(page):
    parse(page, tolerant=True)


def test_one_parse_serves_several_selectors():
    expo = read_page(HOSTILE)
    assert (select_sum(expo, "a_total"), select_sum(expo, 'b{code="5\\"00"}'), select_sum(expo, "zzz")) == (4, 4, None)


def test_etcd_wal_fsync_buckets_come_from_the_parsed_histogram():
    from runbook.checks.catalog._etcd_metrics import read_counters

    page = (
        "# TYPE etcd_disk_wal_fsync_duration_seconds histogram\n"
        'etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"} 5\n'
        'etcd_disk_wal_fsync_duration_seconds_bucket{le="0.01"} 9\n'
        'etcd_disk_wal_fsync_duration_seconds_bucket{le="+Inf"} 10\n'
        "etcd_disk_wal_fsync_duration_seconds_sum 0.02\n"
        "etcd_disk_wal_fsync_duration_seconds_count 10\n"
        "etcd_debugging_lease_granted_total 3\n"
        "garbage line\n"
    )
    counters = read_counters(page)
    assert counters.wal_fsync_buckets == ((0.001, 5.0), (0.01, 9.0), (float("inf"), 10.0))
    assert counters.granted == 3
