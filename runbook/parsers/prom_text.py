"""Prometheus exposition parser: text format 0.0.4 and OpenMetrics 1.0.

The histogram and cardinality checks read whole ``/metrics`` pages, and the pages that matter
in an incident are the big ones (a label explosion is a million series). A per-line Python
loop that builds a dict of labels per sample costs several microseconds a line, so the
common line (no escapes, no blanks inside the label set, no exemplar) is recognised by one
compiled regex run over the whole page (``split`` works in C and hands back one flat list
of strings), each family keeps its samples as columns (names, label texts, value texts),
and labels are split into dicts only when someone asks for them. The analyses read those
columns whole (``_prom_columns``). Lines the fast regex does not take (comments, escapes,
exemplars, garbage) go through a careful per-line path (``prom_line``).
Anything malformed raises :class:`~runbook.errors.ParseError` with the line number; nothing
else escapes.

Timestamps are normalised to seconds (0.0.4 sends integer milliseconds, OpenMetrics seconds).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import compress
from operator import ne
from typing import Any, NamedTuple, cast

from runbook.errors import ParseError
from runbook.parsers._prom_columns import (  # noqa: F401  (BucketColumns: re-exported)
    _UNSET,
    BucketColumns,
    HistogramColumns,
    bucket_columns,
    fold_le,
    histogram_columns,
    label_value_sets,
    split_labels,
)
from runbook.parsers._prom_series import careful_series

#: Which sample names (family name + suffix) belong to a family of each type.
_SUFFIXES = {
    "counter": ("_total", "_created", ""),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info", ""),
}

_LN = r"[a-zA-Z_][a-zA-Z0-9_]*+"
_PAIR = rf'{_LN}="[^"\\\n]*+"'
_VALUE = r"[-+]?+(?:(?:\d++\.?+\d*+|\.\d++)(?:[eE][-+]?+\d++)?+|Inf|inf|NaN|nan)"
#: One line per match: either the common sample line (groups 1-4: name, label text, value,
#: timestamp) or anything else (group 5), handled line by line. Quantifiers are possessive
#: (``*+``, ``?+``): nothing here ever needs to give characters back, and not recording
#: backtracking points makes the whole-page scan about a fifth faster.
_LINE = re.compile(
    rf"^(?:([a-zA-Z_:][a-zA-Z0-9_:]*+)(?:\{{((?:{_PAIR}(?:,{_PAIR})*+,?+)?+)\}})?+[ \t]++({_VALUE})"
    rf"(?:[ \t]++([-+]?+\d++(?:\.\d++)?+(?:[eE][-+]?+\d++)?+))?+[ \t]*+|(.*))$",
    re.MULTILINE,
)
#: Splits a fast-path label text into (text before le, le value, text after le).


class Exemplar(NamedTuple):
    """An OpenMetrics exemplar (``# {trace_id="…"} 0.12 1700000000.1``)."""

    labels: dict[str, str]
    value: float
    timestamp: float | None


class Sample(NamedTuple):
    """One sample line, materialised on demand from the raw rows."""

    name: str
    labels: dict[str, str]
    value: float
    timestamp: float | None = None
    """Seconds since the epoch, whatever the wire format used."""
    exemplar: Exemplar | None = None


class HistogramSeries(NamedTuple):
    """One histogram series: its labels minus ``le`` and its cumulative buckets."""

    labels: tuple[tuple[str, str], ...]
    buckets: tuple[tuple[float, float], ...]
    """(upper bound, cumulative count) in page order (check monotonicity yourself)."""
    # the exposition's own name; it shadows tuple.count, which no caller wants from a series
    count: float | None  # type: ignore[assignment]
    sum: float | None


#: A sample's labels as stored: fast-path label text (no escapes, no blanks), a dict parsed
#: line by line (escapes, blanks), or None for a sample printed without braces.
RawLabels = str | dict[str, str] | None
#: A raw row is (sample name, labels, value text, timestamp seconds or None, exemplar or None).
Row = tuple[str, RawLabels, str, float | None, Exemplar | None]


class MetricFamily:
    """A metric family: the samples under one ``# TYPE`` (or one untyped sample name).

    The parser stores the samples column-wise (``names``, ``labels``, ``values``,
    ``stamps``, ``exemplars``: plain lists of strings, which the garbage collector never
    walks); ``rows`` zips them into tuples on first use.
    """

    __slots__ = (
        "_columns",
        "_rows",
        "_samples",
        "_slow",
        "exemplars",
        "help",
        "labels",
        "name",
        "names",
        "stamps",
        "type",
        "unit",
        "values",
    )

    def __init__(
        self, name: str, type: str = "unknown", help: str = "", unit: str = "", rows: list[Row] | None = None
    ) -> None:
        self.name = name
        self.type = type
        """counter, gauge, histogram, gaugehistogram, summary, info, stateset or unknown."""
        self.help = help
        self.unit = unit
        self.names: list[str] = []
        self.labels: list[RawLabels] = []
        """Label text (fast path; None without braces) or a dict (escapes, blanks: parsed
        line by line)."""
        self.values: list[str] = []
        self.stamps: list[float | None] = []
        """Timestamp in seconds, or None."""
        self.exemplars: list[Exemplar | None] = []
        self._rows: list[Row] | None = None
        self._samples: list[Sample] | None = None
        self._slow = 0
        """How many rows came from the careful path (labels as a dict, not text)."""
        self._columns: object = _UNSET
        for r in rows or ():
            self.append(r)

    def __repr__(self) -> str:
        return f"MetricFamily({self.name!r}, {self.type!r}, {len(self)} samples)"

    def __len__(self) -> int:
        return len(self.names)

    def append(self, row: Row) -> None:
        name, labels, value, stamp, exemplar = row
        self.names.append(name)
        self.labels.append(labels)
        self.values.append(value)
        self.stamps.append(stamp)
        self.exemplars.append(exemplar)
        if type(labels) is dict:
            self._slow += 1

    @property
    def rows(self) -> list[Row]:
        """(name, labels, value text, timestamp or None, exemplar or None) per sample."""
        if self._rows is None or len(self._rows) != len(self.names):
            self._rows = list(zip(self.names, self.labels, self.values, self.stamps, self.exemplars, strict=False))
        return self._rows

    @property
    def samples(self) -> list[Sample]:
        """Every sample with its labels as a dict (built on first use, then kept)."""
        if self._samples is None:
            self._samples = [
                Sample(r[0], r[1] if isinstance(r[1], dict) else split_labels(r[1]), float(r[2]), r[3], r[4] or None)
                for r in self.rows
            ]
        return self._samples

    def label_values(self) -> dict[str, set[str]]:
        """Distinct values of every label name across the family.

        Worked out on whole columns of label text (see ``_prom_columns``), never per sample:
        a regular histogram contributes its series keys once each plus its ``le`` column.
        """
        out: dict[str, set[str]] = {}
        cols = bucket_columns(self)
        if cols is not None:
            out = label_value_sets(cols.keys)
            out.setdefault("le", set()).update(cols.les)
            return out
        # (a sample printed without braces has None for its label text)
        # without careful rows every label is text or None (filter, in C, is the fast path)
        texts = (
            [t for t in self.labels if type(t) is str and t]
            if self._slow
            else cast("list[str]", list(filter(None, self.labels)))
        )
        if texts and self.type in ("histogram", "gaugehistogram"):
            texts = fold_le(texts, out)
        if texts:
            for name, values in label_value_sets(texts).items():
                out.setdefault(name, set()).update(values)
        if self._slow:
            for labels in self.labels:
                if type(labels) is dict:
                    for k, v in labels.items():
                        out.setdefault(k, set()).add(v)
        return out


@dataclass(frozen=True, slots=True)
class Exposition:
    """A parsed page: families in page order, and which format it was."""

    families: dict[str, MetricFamily]
    openmetrics: bool

    @property
    def sample_count(self) -> int:
        return sum(map(len, self.families.values()))


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC around bulk work on a big page.

    A page is a million small tuples and strings that cannot form cycles; with the GC on,
    every few thousand allocations it walks all of them again, which doubles parse and
    analysis time. Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse(text: str, *, openmetrics: bool | None = None) -> Exposition:
    """Parse a whole page. ``openmetrics=None`` decides from a trailing ``# EOF``."""
    with paused_gc():
        return _Parser(text, openmetrics).run()


def histogram_series(family: MetricFamily) -> list[HistogramSeries]:
    """Group a histogram family's samples by their labels minus ``le``, in first-seen order."""
    cols = histogram_columns(family)
    if cols is not None:
        none = itertools.repeat(None)
        return list(
            map(
                HistogramSeries,
                cols.labels,
                map(tuple, map(zip, itertools.repeat(cols.bounds), cols.counts)),
                none if cols.count is None else cols.count,
                none if cols.sum is None else cols.sum,
            )
        )
    return [HistogramSeries(*entry) for entry in careful_series(family.rows, family.name)]


def parse_float(token: str, lineno: int) -> float:
    # Python's float() also takes "1_000" and surrounding blanks; Go's ParseFloat does not.
    if "_" in token or not token or token != token.strip():
        raise ParseError(f"invalid value {token[:40]!r}", line=lineno)
    try:
        return float(token)
    except ValueError:
        raise ParseError(f"invalid value {token[:40]!r}", line=lineno) from None


class _Parser:
    def __init__(self, text: str, openmetrics: bool | None) -> None:
        if not isinstance(text, str):
            raise ParseError(f"expected text, got {type(text).__name__}")
        # the page is only ever read up to ``end``: no copy of a big page is made to trim it
        end = _trim(text, len(text))
        eof = text.endswith("# EOF", 0, end) and (end == 5 or text[end - 6] == "\n")
        if openmetrics is None:
            openmetrics = eof
        if openmetrics:
            if not eof:
                raise ParseError("OpenMetrics page does not end with '# EOF'", line=text.count("\n", 0, end) + 1)
            end = _trim(text, end - 5)
        self.text = text
        self.end = end
        self.om = openmetrics
        self.families: dict[str, MetricFamily] = {}

    def run(self) -> Exposition:
        from runbook.parsers.prom_line import parse_comment, parse_sample_line

        om = self.om
        families = self.families
        cur: MetricFamily | None = None
        cur_name = ""
        cur_suffixes: tuple[str, ...] = ("",)
        # One match per line. ``split`` (unlike ``findall``) hands back the groups as one flat
        # list of strings, no tuple per line: line i's groups are flat[1 + 6i : 6 + 6i], and
        # the garbage collector never has to walk a million tuples afterwards.
        n = self.text.count("\n", 0, self.end) + 1 if self.end else 0
        flat = _LINE.split(self.text) if n else []
        if len(flat) < 6 * n:
            raise ParseError("internal: line split mismatch")  # cannot happen: every line matches
        names = flat[1 : 6 * n : 6]
        self.stamped = any(itertools.islice(flat, 4, 6 * n, 6))
        # runs of rows with the same sample name; only where the name changes is there a
        # family decision to make (a histogram's 12 buckets are one run)
        cuts = [0, *compress(range(1, n), map(ne, itertools.islice(names, 1, None), names)), n] if n else []
        span: MetricFamily | None = None  # fast rows pending for this family: lines span_at+1..a
        span_at = 0
        members: set[str] = set()  # sample names known to belong to ``span``
        for a, b in itertools.pairwise(cuts):
            name = names[a]
            if name in members:
                continue
            if name:
                if name != cur_name and not (
                    cur is not None and name.startswith(cur_name) and name[len(cur_name) :] in cur_suffixes
                ):
                    cur = self._family_for(name)
                    cur_name, cur_suffixes = cur.name, _SUFFIXES.get(cur.type, ("",))
                if cur is not span:
                    if span is not None:
                        self._take(span, flat, span_at, a)
                    span, span_at = cur, a
                    members = set()
                members.add(name)
                continue
            if span is not None:
                self._take(span, flat, span_at, a)
                span, members = None, set()
            # comments, blank lines and lines the fast regex did not take, one by one
            for i in range(a, b):
                lineno = i + 1
                line = flat[6 * i + 5]
                if not line.strip():
                    if om:
                        raise ParseError("empty line in OpenMetrics", line=lineno)
                    continue
                if line[0] == "#":
                    fam = parse_comment(line, lineno, om, families)
                    if fam is not None:
                        cur, cur_name = fam, fam.name
                        cur_suffixes = _SUFFIXES.get(fam.type, ("",))
                    continue
                sample = parse_sample_line(line, lineno, om)
                if sample[0] != cur_name and not (
                    cur is not None and sample[0].startswith(cur_name) and sample[0][len(cur_name) :] in cur_suffixes
                ):
                    cur = self._family_for(sample[0])
                    cur_name, cur_suffixes = cur.name, _SUFFIXES.get(cur.type, ("",))
                cur.append(sample)  # type: ignore[union-attr]
        if span is not None:
            self._take(span, flat, span_at, n)
        if om:
            _check_openmetrics(families)
        return Exposition(families, om)

    def _take(self, fam: MetricFamily, flat: list[Any], a: int, b: int) -> None:
        """Append the fast rows of lines a+1..b to ``fam`` (straight from the flat split).

        ``flat`` is what ``re.split`` hands back (text, or None for a group that did not
        match), hence ``Any``: the fast regex guarantees the name, label and value columns.
        """
        names, labels, values, texts = (flat[6 * a + k : 6 * b + k : 6] for k in (1, 2, 3, 4))
        stamps: list[float | None] = self._timestamps(texts, a) if self.stamped and any(texts) else [None] * (b - a)
        if len(fam):
            fam.names.extend(names)
            fam.labels.extend(labels)
            fam.values.extend(values)
            fam.stamps.extend(stamps)
        else:
            fam.names, fam.labels, fam.values, fam.stamps = names, labels, values, stamps
        fam.exemplars.extend(itertools.repeat(None, b - a))

    def _timestamps(self, texts: list[str | None], lineno: int) -> list[float | None]:
        """Fast rows hold timestamp text; turn it into seconds (or an error)."""
        stamps: list[float | None] = []
        for i, ts in enumerate(texts):
            if ts is None:
                stamps.append(None)
                continue
            where = lineno + i + 1
            if self.om:
                stamps.append(parse_float(ts, where))
            else:
                try:
                    stamps.append(int(ts) / 1000.0)
                except ValueError:
                    raise ParseError(f"invalid timestamp {ts[:40]!r} (integer ms)", line=where) from None
        return stamps

    def _family_for(self, name: str) -> MetricFamily:
        """The family a sample belongs to (declared earlier, or a new untyped one)."""
        fam = self.families.get(name)
        if fam is not None:
            return fam
        for suffix in ("_bucket", "_count", "_sum", "_total", "_created", "_gcount", "_gsum", "_info"):
            if name.endswith(suffix):
                fam = self.families.get(name[: -len(suffix)])
                if fam is not None and suffix in _SUFFIXES.get(fam.type, ()):
                    return fam
        fam = MetricFamily(name)
        self.families[name] = fam
        return fam


def _trim(text: str, end: int) -> int:
    """``end`` moved back over trailing newlines."""
    while end and text[end - 1] == "\n":
        end -= 1
    return end


def _check_openmetrics(families: dict[str, MetricFamily]) -> None:
    for fam in families.values():
        if fam.type == "counter" and fam.name.endswith("_total") and len(fam):
            raise ParseError(f"OpenMetrics counter family {fam.name!r} must not end in _total")
