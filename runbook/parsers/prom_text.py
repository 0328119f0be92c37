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
from typing import Any, NamedTuple

from runbook.errors import ParseError
from runbook.parsers._prom_columns import BucketColumns, HistogramColumns
from runbook.parsers._prom_series import careful_series
from runbook.parsers.prom_family import (
    Exemplar,
    MetricFamily,
    RawLabels,
    Row,
    Sample,
    bucket_columns,
    histogram_columns,
    parse_float,
)
from runbook.parsers.prom_line import parse_comment, parse_sample_line

#: What other modules import from here (the family types live in ``prom_family``).
__all__ = [
    "BucketColumns",
    "Exemplar",
    "Exposition",
    "HistogramColumns",
    "HistogramSeries",
    "MetricFamily",
    "RawLabels",
    "Row",
    "Sample",
    "bucket_columns",
    "histogram_columns",
    "histogram_series",
    "parse",
    "parse_float",
    "paused_gc",
]

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


class HistogramSeries(NamedTuple):
    """One histogram series: its labels minus ``le`` and its cumulative buckets."""

    labels: tuple[tuple[str, str], ...]
    buckets: tuple[tuple[float, float], ...]
    """(upper bound, cumulative count) in page order (check monotonicity yourself)."""
    # the exposition's own name; it shadows tuple.count, which no caller wants from a series
    count: float | None  # type: ignore[assignment]
    sum: float | None


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


def parse(text: str, *, openmetrics: bool | None = None, tolerant: bool = False) -> Exposition:
    """Parse a whole page. ``openmetrics=None`` decides from a trailing ``# EOF``.

    ``tolerant``: skip what is malformed (a bad line, a bad timestamp, a misplaced TYPE, a
    missing ``# EOF``) instead of raising, and keep every sample that parses. For checks that
    read a few counters off a service's own /metrics page, where one odd line from a
    hand-rolled exporter must not hide the counters they came for.
    """
    with paused_gc():
        return _Parser(text, openmetrics, tolerant=tolerant).run()


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


class _Parser:
    def __init__(self, text: str, openmetrics: bool | None, *, tolerant: bool = False) -> None:
        if not isinstance(text, str):
            raise ParseError(f"expected text, got {type(text).__name__}")
        # the page is only ever read up to ``end``: no copy of a big page is made to trim it
        end = _trim(text, len(text))
        eof = text.endswith("# EOF", 0, end) and (end == 5 or text[end - 6] == "\n")
        if openmetrics is None:
            openmetrics = eof
        if openmetrics and not eof and tolerant:
            openmetrics = False
        if openmetrics:
            if not eof:
                raise ParseError("OpenMetrics page does not end with '# EOF'", line=text.count("\n", 0, end) + 1)
            end = _trim(text, end - 5)
        self.text = text
        self.end = end
        self.om = openmetrics
        self.tolerant = tolerant
        self.families: dict[str, MetricFamily] = {}

    def run(self) -> Exposition:
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
                try:
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
                except ParseError:
                    if self.tolerant:
                        continue
                    raise
                if cur is None or (
                    sample[0] != cur_name
                    and not (sample[0].startswith(cur_name) and sample[0][len(cur_name) :] in cur_suffixes)
                ):
                    cur = self._family_for(sample[0])
                    cur_name, cur_suffixes = cur.name, _SUFFIXES.get(cur.type, ("",))
                cur.append(sample)
        if span is not None:
            self._take(span, flat, span_at, n)
        if om and not self.tolerant:
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
                    if self.tolerant:
                        stamps.append(None)  # the sample stands; only its timestamp was bad
                        continue
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
