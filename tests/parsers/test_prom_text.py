"""Prometheus text / OpenMetrics parser: exact values, errors with line numbers, properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook.errors import ParseError
from runbook.parsers.prom_text import histogram_series, parse

PAGE = """# HELP http_request_duration_seconds Latency \\\\ of "requests".\\nSecond line.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{path="/a",le="0.05"} 0
http_request_duration_seconds_bucket{path="/a",le="1"} 200
http_request_duration_seconds_bucket{path="/a",le="5"} 200
http_request_duration_seconds_bucket{path="/a",le="+Inf"} 200
http_request_duration_seconds_sum{path="/a"} 30
http_request_duration_seconds_count{path="/a"} 200
http_request_duration_seconds_bucket{le="0.05",path="/b"} 1 1700000000123
http_request_duration_seconds_bucket{le="+Inf",path="/b"} 1 1700000000123
http_request_duration_seconds_count{path="/b"} 1
# a plain comment
weird{msg="a \\"quoted\\" }, value\\nwith newline",path="C:\\\\x"} -Inf
spaced { a = "1" , b="2", } NaN
no_labels 4.5e3

# TYPE up gauge
up{instance="10.0.0.1:9100"} 1
"""


def test_families_types_help_and_order():
    expo = parse(PAGE)
    assert list(expo.families) == ["http_request_duration_seconds", "weird", "spaced", "no_labels", "up"]
    h = expo.families["http_request_duration_seconds"]
    assert h.type == "histogram"
    assert h.help == 'Latency \\ of "requests".\nSecond line.'
    assert len(h) == 9 and expo.sample_count == 13
    assert not expo.openmetrics


def test_label_escapes_and_special_values():
    expo = parse(PAGE)
    (w,) = expo.families["weird"].samples
    assert w.labels == {"msg": 'a "quoted" }, value\nwith newline', "path": "C:\\x"}
    assert w.value == -math.inf
    (s,) = expo.families["spaced"].samples
    assert s.labels == {"a": "1", "b": "2"} and math.isnan(s.value)
    assert expo.families["no_labels"].samples[0].value == 4500.0


def test_timestamps_are_seconds():
    expo = parse(PAGE)
    b = [s for s in expo.families["http_request_duration_seconds"].samples if s.labels.get("path") == "/b"]
    assert b[0].timestamp == pytest.approx(1700000000.123)
    assert b[-1].timestamp is None


def test_histogram_series_groups_by_labels_minus_le():
    series = histogram_series(parse(PAGE).families["http_request_duration_seconds"])
    assert [s.labels for s in series] == [(("path", "/a"),), (("path", "/b"),)]
    a, b = series
    assert a.buckets == ((0.05, 0.0), (1.0, 200.0), (5.0, 200.0), (math.inf, 200.0))
    assert (a.count, a.sum) == (200.0, 30.0)
    assert b.buckets == ((0.05, 1.0), (math.inf, 1.0)) and b.count == 1.0 and b.sum is None


def test_label_values():
    values = parse(PAGE).families["http_request_duration_seconds"].label_values()
    assert values == {"path": {"/a", "/b"}, "le": {"0.05", "1", "5", "+Inf"}}


OM = """# TYPE rpc counter
# UNIT rpc_seconds seconds
# HELP rpc RPCs.
rpc_total{code="ok"} 17.0 # {trace_id="4bf92f3577b34da6"} 1.0 1700000000.5
rpc_created{code="ok"} 1.7e9
# TYPE lat histogram
lat_bucket{le="1.0"} 2.0
lat_bucket{le="+Inf"} 3.0
lat_count 3.0
lat_sum 2.5
lat_created 1.7e9
# EOF
"""


def test_openmetrics_exemplar_created_and_eof():
    expo = parse(OM)
    assert expo.openmetrics
    rpc = expo.families["rpc"]
    assert rpc.type == "counter" and [s.name for s in rpc.samples] == ["rpc_total", "rpc_created"]
    ex = rpc.samples[0].exemplar
    assert ex.labels == {"trace_id": "4bf92f3577b34da6"} and ex.value == 1.0 and ex.timestamp == 1700000000.5
    (lat,) = histogram_series(expo.families["lat"])
    assert lat.buckets == ((1.0, 2.0), (math.inf, 3.0)) and lat.count == 3.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x{a=b} 1", "line 1: label a value must be quoted"),
        ("x 1_000", "line 1: invalid value '1_000'"),
        ('ok 1\nx{a="1"} 1 2.5', "line 2: invalid timestamp '2.5' (integer ms)"),
        ("1x 1", "line 1: invalid metric name '1x'"),
        ('x{a="1', "line 1: unterminated label value"),
        ('x{a="1"', "line 1: expected ',' or '}' after label value"),
        ('x{a="\\q"} 1', "line 1: invalid escape '\\q' in label value"),
        ("# TYPE x nonsense", "line 1: unknown metric type 'nonsense'"),
        ('x 1 # {a="b"} 1', "line 1: unexpected '#' in sample line"),
        ("x 1 2 3", "line 1: expected 'name[{labels}] value [timestamp]'"),
    ],
)
def test_errors_name_the_line(text, message):
    with pytest.raises(ParseError) as err:
        parse(text)
    assert str(err.value) == message


def test_openmetrics_requires_eof_and_nothing_after():
    with pytest.raises(ParseError, match="does not end with '# EOF'"):
        parse("x 1\n", openmetrics=True)
    with pytest.raises(ParseError, match="empty line in OpenMetrics"):
        parse("x 1\n\ny 2\n# EOF\n")


def test_same_samples_as_prometheus_client_on_real_client_output():
    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    reg = CollectorRegistry()
    c = Counter("jobs", "Jobs.", ["kind"], registry=reg)
    h = Histogram("lat_seconds", "Latency.", ["op"], buckets=(0.1, 1), registry=reg)
    for i in range(5):
        c.labels(kind=f'k"{i}\\').inc(i)
        h.labels(op="get").observe(i / 4)
    page = generate_latest(reg).decode()
    ours = {
        (s.name, tuple(sorted(s.labels.items())), s.value) for f in parse(page).families.values() for s in f.samples
    }
    theirs = {
        (s.name, tuple(sorted(s.labels.items())), s.value)
        for f in text_string_to_metric_families(page)
        for s in f.samples
    }
    assert ours == theirs


label_value = st.text(st.characters(codec="utf-8", exclude_characters="\r\x85\u2028\u2029"), max_size=8)
label_name = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,5}", fullmatch=True)
metric_name = st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,8}", fullmatch=True)


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@given(
    st.lists(
        st.tuples(metric_name, st.dictionaries(label_name, label_value, max_size=3), st.floats(allow_nan=False)),
        max_size=20,
    )
)
@settings(max_examples=200, deadline=None)
def test_round_trip_of_generated_pages(samples):
    lines = []
    for name, labels, value in samples:
        inner = ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items())
        lines.append(f"{name}{{{inner}}} {value!r}" if labels else f"{name} {value!r}")
    expo = parse("\n".join(lines) + "\n")
    got = [(s.name, s.labels, s.value) for f in expo.families.values() for s in f.samples]
    assert sorted(got, key=repr) == sorted(samples, key=repr)


@given(st.text(max_size=300))
@settings(max_examples=400, deadline=None)
def test_arbitrary_text_parses_or_raises_parse_error(text):
    for om in (None, True, False):
        try:
            expo = parse(text, openmetrics=om)
        except ParseError:
            continue
        for fam in expo.families.values():
            try:
                _ = fam.samples
                fam.label_values()
                histogram_series(fam)
            except ParseError:
                pass


fragments = st.sampled_from(
    [
        "x",
        "{",
        "}",
        '"',
        "\\",
        "=",
        ",",
        " ",
        "1",
        "le",
        "# ",
        "TYPE ",
        "histogram",
        "\n",
        "_bucket",
        "+Inf",
        "# EOF",
        'a="b"',
        "1e3",
        "NaN",
        "\t",
        "#",
        " # {",
    ]
)


@given(st.lists(fragments, max_size=40).map("".join))
@settings(max_examples=500, deadline=None)
def test_near_miss_pages_parse_or_raise_parse_error(text):
    test_arbitrary_text_parses_or_raises_parse_error.hypothesis.inner_test(text)


def test_histogram_series_mixes_fast_rows_escaped_rows_and_le_anywhere():
    page = """# TYPE h histogram
h_bucket{a="1",le="0.1"} 1
h_bucket{a="1",le="+Inf"} 2
h_count{a="1"} 2
h_bucket{le="0.5",a="2"} 3
h_bucket{a="x,le=\\"",le="+Inf"} 4
h_bucket{ a="3", le="1" } 5
"""
    got = {s.labels: s.buckets for s in histogram_series(parse(page).families["h"])}
    assert got == {
        (("a", "1"),): ((0.1, 1.0), (math.inf, 2.0)),
        (("a", "2"),): ((0.5, 3.0),),
        (("a", 'x,le="'),): ((math.inf, 4.0),),
        (("a", "3"),): ((1.0, 5.0),),
    }


def _naive_series(fam):
    out: dict = {}
    for s in fam.samples:
        if s.name.endswith("_bucket") and "le" in s.labels:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            out.setdefault(key, []).append((float(s.labels["le"]), s.value))
    return out


@given(
    st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(["a", "b", "job"]), label_value, max_size=2),
            st.sampled_from(["0.1", "1", "+Inf"]),
            st.integers(0, 3),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=200, deadline=None)
def test_histogram_series_agrees_with_a_naive_grouping(rows):
    lines = ["# TYPE h histogram"]
    for labels, le, value, le_first in rows:
        pairs = [f'{k}="{_esc(v)}"' for k, v in labels.items()]
        pairs.insert(0 if le_first else len(pairs), f'le="{le}"')
        lines.append(f"h_bucket{{{','.join(pairs)}}} {value}")
    fam = parse("\n".join(lines) + "\n").families["h"]
    got = {s.labels: list(s.buckets) for s in histogram_series(fam)}
    assert got == _naive_series(fam)


@given(
    st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(["a", "b"]), label_value, max_size=2),
            st.sampled_from(["0.1", "1", "+Inf"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=200, deadline=None)
def test_label_values_agree_with_samples(rows):
    lines = ["# TYPE h histogram"]
    for labels, le, le_first in rows:
        pairs = [f'{k}="{_esc(v)}"' for k, v in labels.items()]
        pairs.insert(0 if le_first else len(pairs), f'le="{le}"')
        lines.append(f"h_bucket{{{','.join(pairs)}}} 1")
        lines.append(f"h_count{{{','.join(pairs[:0] + [p for p in pairs if not p.startswith('le=')])}}} 1")
    fam = parse("\n".join(lines) + "\n").families["h"]
    naive: dict = {}
    for s in fam.samples:
        for k, v in s.labels.items():
            naive.setdefault(k, set()).add(v)
    assert fam.label_values() == naive


# --- the column paths (regular histogram families, whole-column label sets) -------------

plain_value = st.text(alphabet="ab,=le{} #:", max_size=5)  # fast-path values that look like syntax


@st.composite
def histogram_pages(draw, *, escapes: bool = True):
    """A histogram family printed the way client libraries do (le last, the same buckets for
    every series), with room for the oddities a page may hold: escaped values, repeated
    series, _created, no _sum, odd bounds, NaN and falling counts."""
    les = draw(
        st.lists(
            st.sampled_from(["-1", "0", "0.005", "0.1", "1", "2.5", "+Inf", "nan"]), min_size=1, max_size=5, unique=True
        )
    )
    if draw(st.booleans()):
        les = sorted(les, key=float)
    names = draw(st.lists(st.sampled_from(["a", "b", "handler", "job"]), unique=True, max_size=3))
    values = st.one_of(plain_value, label_value) if escapes else plain_value
    series = draw(st.lists(st.fixed_dictionaries({n: values for n in names}), min_size=1, max_size=6))
    tail = draw(
        st.sampled_from([("_sum", "_count"), ("_count", "_sum"), ("_count",), ("_sum", "_count", "_created"), ()])
    )
    count = st.one_of(st.integers(0, 9).map(str), st.sampled_from(["NaN", "+Inf", "1.5e3"]))
    lines = ["# TYPE h histogram"]
    for labels in series:
        inner = ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items())
        sep = "," if inner else ""
        total = 0
        for le in les:
            total += draw(st.integers(-1, 3))
            value = draw(st.one_of(st.just(str(total)), count)) if draw(st.integers(0, 9)) == 0 else str(total)
            lines.append(f'h_bucket{{{inner}{sep}le="{le}"}} {value}')
        for suffix in tail:
            lines.append(f"h{suffix}{{{inner}}} {draw(count) if draw(st.booleans()) else total}")
    return "\n".join(lines) + "\n"


def _naive_full_series(fam):
    out: dict = {}
    for s in fam.samples:
        if s.name == "h_bucket" and "le" in s.labels:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            try:
                bound = float(s.labels["le"])
            except ValueError:
                continue
            out.setdefault(key, [[], None, None])[0].append((bound, s.value))
        elif s.name in ("h_count", "h_sum"):
            out.setdefault(tuple(sorted(s.labels.items())), [[], None, None])[1 if s.name == "h_count" else 2] = s.value
    return {k: (tuple(b), c, sm) for k, (b, c, sm) in out.items()}


@given(histogram_pages())
@settings(max_examples=300, deadline=None)
def test_regular_histograms_group_like_the_naive_reading(page):
    fam = parse(page).families["h"]
    got = {s.labels: (s.buckets, s.count, s.sum) for s in histogram_series(fam)}
    # repr: NaN equals NaN; sorted: a page mixing escaped and plain rows groups in two passes
    assert sorted(map(repr, got.items())) == sorted(map(repr, _naive_full_series(fam).items()))
    naive: dict = {}
    for s in fam.samples:
        for k, v in s.labels.items():
            naive.setdefault(k, set()).add(v)
    assert fam.label_values() == naive


def test_client_pages_take_the_column_path():
    from prometheus_client import CollectorRegistry, Histogram, generate_latest

    from runbook.parsers.prom_text import histogram_columns

    reg = CollectorRegistry()
    h = Histogram("lat_seconds", "Latency.", ["op", "code"], buckets=(0.1, 1), registry=reg)
    for i in range(30):
        h.labels(op=f"op,{i % 4}", code=str(i % 3)).observe(i / 20)
    fam = parse(generate_latest(reg).decode()).families["lat_seconds"]
    cols = histogram_columns(fam)
    assert cols is not None and cols.bounds == (0.1, 1.0, math.inf) and len(cols.counts) == 12
    assert cols.labels[0] == (("code", "0"), ("op", "op,0"))
    assert sum(c[-1] for c in cols.counts) == 30 == sum(cols.count)
    assert [s.labels for s in histogram_series(fam)] == cols.labels


@given(
    st.lists(
        st.dictionaries(st.sampled_from(["a", "b", "c", "le"]), plain_value, min_size=0, max_size=3),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_label_sets_and_canonical_labels_agree_with_splitting_each_text(dicts, same_order):
    from runbook.parsers._prom_columns import canonical_labels, label_value_sets

    if same_order:
        names = sorted({k for d in dicts for k in d})
        dicts = [{k: d.get(k, "x") for k in names} for d in dicts]
    texts = [",".join(f'{k}="{v}"' for k, v in d.items()) for d in dicts]
    naive: dict = {}
    for d in dicts:
        for k, v in d.items():
            naive.setdefault(k, set()).add(v)
    assert label_value_sets(texts) == naive
    assert canonical_labels(texts) == [tuple(sorted(d.items())) for d in dicts]


def test_samples_without_braces_and_rows_view():
    page = """# TYPE h histogram
h_bucket{le="1"} 1
h_bucket{le="+Inf"} 2
h_sum 0.5
h_count 2
x 1
x{a="1"} 2 1700000000000
"""
    expo = parse(page)
    h, x = expo.families["h"], expo.families["x"]
    assert histogram_series(h)[0] == ((), ((1.0, 1.0), (math.inf, 2.0)), 2.0, 0.5)
    assert h.label_values() == {"le": {"1", "+Inf"}}
    assert x.label_values() == {"a": {"1"}}
    assert x.rows == [("x", None, "1", None, None), ("x", 'a="1"', "2", 1700000000.0, None)]
    assert [s.labels for s in x.samples] == [{}, {"a": "1"}] and len(x) == 2 == len(x.stamps)
