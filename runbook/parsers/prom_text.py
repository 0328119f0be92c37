"""Prometheus exposition parser: text format 0.0.4 and OpenMetrics 1.0.

The histogram and cardinality checks read whole ``/metrics`` pages, and the pages that matter
in an incident are the big ones (a label explosion is a million series). A per-line Python
loop that builds a dict of labels per sample costs several microseconds a line, so the
common line (no escapes, no blanks inside the label set, no exemplar) is recognised by one
compiled regex run over the whole page (``findall`` works in C), samples are kept as raw
rows, and labels are split into dicts only when someone asks for them. Lines the fast regex
does not take (comments, escapes, exemplars, garbage) go through a careful per-line path.
Anything malformed raises :class:`~runbook.errors.ParseError` with the line number; nothing
else escapes.

Timestamps are normalised to seconds (0.0.4 sends integer milliseconds, OpenMetrics seconds).
"""

from __future__ import annotations

import re
import contextlib
import gc
import itertools
import math
from itertools import compress
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from runbook.errors import ParseError

#: Which sample names (family name + suffix) belong to a family of each type.
_SUFFIXES = {
    "counter": ("_total", "_created", ""),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info", ""),
}

_LN = r"[a-zA-Z_][a-zA-Z0-9_]*"
_PAIR = rf'{_LN}="[^"\\\n]*"'
_VALUE = r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|Inf|inf|NaN|nan)"
#: One line per match: either the common sample line (groups 1-4: name, label text, value,
#: timestamp) or anything else (group 5), handled line by line.
_LINE = re.compile(
    rf"^(?:([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{{((?:{_PAIR}(?:,{_PAIR})*,?)?)\}})?[ \t]+({_VALUE})"
    rf"(?:[ \t]+([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))?[ \t]*|(.*))$",
    re.M,
)
#: Splits a fast-path label text into (text before le, le value, text after le).
_LE_SPLIT = re.compile(rf'^((?:{_PAIR},)*?)le="([^"\n]*)",?((?:{_PAIR},?)*)$', re.M)
_TS = itemgetter(3)
_LABELS = itemgetter(1)
_VALUE = itemgetter(2)
_SEP = itemgetter(1)
_PAIRS = re.compile(rf'({_LN})="([^"\\\n]*)"')


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
    count: float | None
    sum: float | None


# A raw row is (sample name, label text or parsed dict, value text, timestamp seconds or
# None, exemplar or None). Label text is the fast-path form: no escapes, no blanks.
Row = tuple


class MetricFamily:
    """A metric family: the samples under one ``# TYPE`` (or one untyped sample name)."""

    __slots__ = ("name", "type", "help", "unit", "rows", "_samples")

    def __init__(self, name: str, type: str = "unknown", help: str = "", unit: str = "",
                 rows: list[Row] | None = None) -> None:
        self.name = name
        self.type = type
        """counter, gauge, histogram, gaugehistogram, summary, info, stateset or unknown."""
        self.help = help
        self.unit = unit
        self.rows: list[Row] = rows if rows is not None else []
        self._samples: list[Sample] | None = None

    def __repr__(self) -> str:
        return f"MetricFamily({self.name!r}, {self.type!r}, {len(self.rows)} samples)"

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def samples(self) -> list[Sample]:
        """Every sample with its labels as a dict (built on first use, then kept)."""
        if self._samples is None:
            self._samples = [
                Sample(r[0], r[1] if type(r[1]) is dict else _split_labels(r[1]), float(r[2]),
                       None if r[3] == "" else r[3], r[4] or None)
                for r in self.rows
            ]
        return self._samples

    def label_values(self) -> dict[str, set[str]]:
        """Distinct values of every label name across the family.

        Fast-path label texts hold no quote inside a value, so joining them with ',' and
        splitting on '"' leaves ``,name=`` tokens and values alternating; each label's values
        are then picked out with ``compress`` (all in C, no per-sample Python).
        """
        rows = self.rows
        texts = [r[1] for r in rows if type(r[1]) is str]
        out: dict[str, set[str]] = {}
        if texts and self.type in ("histogram", "gaugehistogram"):
            texts = _fold_le(texts, out)
        if texts:
            parts = ("," + ",".join(texts)).split('"')
            keys = parts[0::2]
            vals = parts[1::2]
            del keys[-1]
            for token in set(keys):
                name = token.lstrip(",")[:-1]
                out.setdefault(name, set()).update(compress(vals, map(token.__eq__, keys)))
        if len(texts) != len(rows):
            for r in rows:
                if type(r[1]) is dict:
                    for k, v in r[1].items():
                        out.setdefault(k, set()).add(v)
        return out


@dataclass(frozen=True, slots=True)
class Exposition:
    """A parsed page: families in page order, and which format it was."""

    families: dict[str, MetricFamily]
    openmetrics: bool

    @property
    def sample_count(self) -> int:
        return sum(len(f.rows) for f in self.families.values())


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
    name = family.name
    bucket_name = name + "_bucket"
    rows = family.rows
    # keys are raw label texts (fast rows, one order per page) or canonical tuples (slow rows)
    buckets: dict[object, list[tuple[float, float]]] = {}
    counts: dict[object, float] = {}
    sums: dict[object, float] = {}
    fast = [r for r in rows if r[0] == bucket_name and type(r[1]) is str]
    # Column-wise, so the per-row work happens in comprehensions and C calls: series keys
    # (labels minus le, as printed), bounds from a small le->float table, values.
    keys, les = _split_le_last(fast)
    if keys is None:
        split = _LE_SPLIT.findall("\n".join(map(_LABELS, fast)))
        if len(split) != len(fast):
            fast, split = [], []  # a bucket without le: take the careful path for all
        keys = [(before + after).strip(",") for before, _, after in split]
        les = [x[1] for x in split]
    table: dict[str, float] = {}
    for le in set(les):
        try:
            table[le] = float(le)
        except ValueError:
            table[le] = math.nan  # dropped below, like the careful path does
    pairs = list(zip(map(table.__getitem__, les), map(float, map(_VALUE, fast))))
    starts = [0, *[i for i in range(1, len(keys)) if keys[i] != keys[i - 1]], len(keys)] if keys else [0]
    bad_le = any(v != v for v in table.values())
    for a, b in zip(starts, starts[1:]):
        run = pairs[a:b]
        if bad_le:
            run = [p for p in run if p[0] == p[0]]
        old = buckets.get(keys[a])
        buckets[keys[a]] = old + run if old else run
    rest = [r for r in rows if r[0] != bucket_name or type(r[1]) is not str] if fast else rows
    for r in rest:
        sample = r[0]
        if sample == bucket_name:
            labels = r[1] if type(r[1]) is dict else _split_labels(r[1])
            try:
                bound = float(labels.get("le"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            buckets.setdefault(key, []).append((bound, float(r[2])))
        elif sample.startswith(name) and sample[len(name):] in ("_count", "_gcount", "_sum", "_gsum"):
            key = tuple(sorted(r[1].items())) if type(r[1]) is dict else r[1].strip(",")
            (counts if "count" in sample[len(name):] else sums)[key] = float(r[2])
    merged: dict[tuple, list] = {}
    canon: dict[str, tuple] = {}
    for table, slot in ((buckets, 0), (counts, 1), (sums, 2)):
        for key, value in table.items():
            if type(key) is not tuple:
                c = canon.get(key)
                if c is None:
                    c = canon[key] = tuple(sorted(_split_labels(key).items()))
                key = c
            entry = merged.setdefault(key, [(), None, None])
            # the same series printed two ways (fast and careful rows) must add up, not overwrite
            entry[slot] = entry[0] + tuple(value) if slot == 0 else value
    return [HistogramSeries(k, *v) for k, v in merged.items()]


def _fold_le(texts: list[str], out: dict[str, set[str]]) -> list[str]:
    """Bucket rows repeat their series' labels once per bucket: keep the ``le`` values aside
    and return the distinct label texts without them (about 1/12 of the rows)."""
    parts = [t.rpartition(',le="') for t in texts]
    tails = {p[2] for p in parts if p[1]}
    if not all(t.endswith('"') and t.count('"') == 1 for t in tails):
        return texts  # le is not always last: the generic path copes
    if tails:
        out["le"] = {t[:-1] for t in tails}
    return list({p[0] if p[1] else t for p, t in zip(parts, texts)})


def _split_le_last(fast: list[Row]) -> tuple[list[str], list[str]] | tuple[None, None]:
    """The common layout, ``...,le="x"`` last (client_golang, prometheus_client): split with
    ``rpartition``. (None, None) when any row differs, so the regex path takes them all."""
    parts = [r[1].rpartition(',le="') for r in fast]
    if not all(map(_SEP, parts)):
        return None, None
    tails = [p[2] for p in parts]
    joined = "\n".join(tails)
    # every tail must be exactly the le value and its closing quote
    if joined.count('"') != len(tails) or joined.count('"\n') != len(tails) - 1 or not joined.endswith('"'):
        return None, None
    return [p[0] for p in parts], [t[:-1] for t in tails]


def _split_labels(text: str) -> dict[str, str]:
    """Labels of a fast-path row (validated by the line regex): split on quotes."""
    if not text:
        return {}
    parts = text.split('"')
    labels = dict(zip([k.lstrip(",")[:-1] for k in parts[0:-1:2]], parts[1::2]))
    if len(labels) * 2 + 1 != len(parts):
        raise ParseError(f"duplicate label name in {{{text[:80]}}}")
    return labels


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
        body = text.rstrip("\n")
        eof = body.endswith("# EOF") and (len(body) == 5 or body[-6] == "\n")
        if openmetrics is None:
            openmetrics = eof
        if openmetrics:
            if not eof:
                raise ParseError("OpenMetrics page does not end with '# EOF'",
                                 line=body.count("\n") + 1)
            body = body[:-5].rstrip("\n")
        self.text = body
        self.om = openmetrics
        self.families: dict[str, MetricFamily] = {}

    def run(self) -> Exposition:
        from runbook.parsers.prom_line import parse_comment, parse_sample_line

        om = self.om
        families = self.families
        cur: MetricFamily | None = None
        cur_name = ""
        cur_suffixes: tuple[str, ...] = ("",)
        lineno = 0
        rows = _LINE.findall(self.text) if self.text else []
        for name, group in itertools.groupby(rows, itemgetter(0)):
            if not name:
                # comments, blank lines and lines the fast regex did not take, one by one
                for row in group:
                    lineno += 1
                    line = row[4]
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
                        cur is not None and sample[0].startswith(cur_name)
                        and sample[0][len(cur_name):] in cur_suffixes
                    ):
                        cur = self._family_for(sample[0])
                        cur_name, cur_suffixes = cur.name, _SUFFIXES.get(cur.type, ("",))
                    cur.rows.append(sample)  # type: ignore[union-attr]
                continue
            if name != cur_name and not (
                cur is not None and name.startswith(cur_name) and name[len(cur_name):] in cur_suffixes
            ):
                cur = self._family_for(name)
                cur_name, cur_suffixes = cur.name, _SUFFIXES.get(cur.type, ("",))
            start = len(cur.rows)  # type: ignore[union-attr]
            block = list(group)
            cur.rows.extend(block)  # type: ignore[union-attr]
            if any(map(_TS, block)):
                self._timestamps(cur, start, lineno)  # type: ignore[arg-type]
            lineno += len(block)
        if om:
            _check_openmetrics(families)
        return Exposition(families, om)

    def _timestamps(self, fam: MetricFamily, start: int, lineno: int) -> None:
        """Rows from the regex hold timestamp text; turn it into seconds (or an error)."""
        rows = fam.rows
        for i in range(start, len(rows)):
            r = rows[i]
            ts = r[3]
            if not ts:
                rows[i] = (*r[:3], None, r[4] or None)
                continue
            where = lineno + i - start + 1
            if self.om:
                value = parse_float(ts, where)
            else:
                try:
                    value = int(ts) / 1000.0
                except ValueError:
                    raise ParseError(f"invalid timestamp {ts[:40]!r} (integer ms)", line=where) from None
            rows[i] = (r[0], r[1], r[2], value, None)

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


def _check_openmetrics(families: dict[str, MetricFamily]) -> None:
    for fam in families.values():
        if fam.type == "counter" and fam.name.endswith("_total") and fam.rows:
            raise ParseError(f"OpenMetrics counter family {fam.name!r} must not end in _total")
