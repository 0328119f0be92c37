"""One metric family and its samples, as the exposition parser stores them.

Both halves of the parser build families (``prom_text``, the whole-page fast path, and
``prom_line``, the careful per-line path), and ``_prom_series`` reads their rows; the family
lives here so that none of them has to import another. The column views that need a whole
family (``bucket_columns``, ``histogram_columns``) live here too, on top of the pure column
functions in ``_prom_columns``.
"""

from __future__ import annotations

from typing import NamedTuple, cast

from runbook.errors import ParseError
from runbook.parsers._prom_columns import (
    _UNSET,
    BucketColumns,
    HistogramColumns,
    bucket_columns_of,
    canonical_labels,
    column_floats,
    fold_le,
    label_value_sets,
    split_labels,
    uniform_labels,
)


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


def bucket_columns(family: MetricFamily) -> BucketColumns | None:
    """The family's bucket columns when it is a regular histogram (cached), else None."""
    cols = family._columns
    if cols is _UNSET:
        cols = None
        if family.type in ("histogram", "gaugehistogram") and len(family) and not family._slow:
            # no careful rows (``_slow`` is 0): every label is text or None, never a dict
            texts = cast("list[str | None]", family.labels)
            cols = bucket_columns_of(family.names, texts, family.values, family.name)
        family._columns = cols
    # the cache holds _UNSET, None or the columns: only the columns are columns
    return cols if isinstance(cols, BucketColumns) else None


def histogram_columns(family: MetricFamily) -> HistogramColumns | None:
    """A regular histogram family (every series the same buckets in the same order, no
    escapes: what client libraries print) as columns of floats; None otherwise, and then
    :func:`histogram_series` takes the careful path."""
    cols = bucket_columns(family)
    if cols is None:
        return None
    try:
        bounds = tuple(map(float, cols.les))
    except ValueError:
        return None  # an le that is not a number: the careful path drops that bucket
    labels = uniform_labels(cols.keys)
    if labels is None:
        labels = canonical_labels(cols.keys)
        if len(set(labels)) != len(labels):
            return None  # one series printed with its labels in two orders
    columns = list(map(column_floats, cols.buckets))
    return HistogramColumns(
        labels,
        bounds,
        list(zip(*columns, strict=False)),
        columns,
        column_floats(cols.count) if cols.count is not None else None,
        list(map(float, cols.sum)) if cols.sum is not None else None,
    )


def parse_float(token: str, lineno: int) -> float:
    # Python's float() also takes "1_000" and surrounding blanks; Go's ParseFloat does not.
    if "_" in token or not token or token != token.strip():
        raise ParseError(f"invalid value {token[:40]!r}", line=lineno)
    try:
        return float(token)
    except ValueError:
        raise ParseError(f"invalid value {token[:40]!r}", line=lineno) from None
