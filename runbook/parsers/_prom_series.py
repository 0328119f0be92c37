"""The careful grouping of a histogram family's rows into series, for any layout.

``prom_text.histogram_series`` reads regular families (what client libraries print) from
columns; this path takes everything else: ``le`` anywhere in the label set, escaped label
values parsed into dicts, series split across the page, buckets without ``_count``. It still
works column-wise where it can (series keys from ``rpartition``, bounds from a small
le->float table) and groups row by row only what is left.
"""

from __future__ import annotations

import itertools
import re
from operator import itemgetter
from typing import cast

from runbook.parsers._prom_columns import split_labels
from runbook.parsers.prom_family import Exemplar, Row

#: A fast-path row: its labels are text as printed.
FastRow = tuple[str, str, str, float | None, Exemplar | None]

_LN = r"[a-zA-Z_][a-zA-Z0-9_]*"
_PAIR = rf'{_LN}="[^"\\\n]*"'
#: Splits a fast-path label text into (text before le, le value, text after le).
_LE_SPLIT = re.compile(rf'^((?:{_PAIR},)*?)le="([^"\n]*)",?((?:{_PAIR},?)*)$', re.MULTILINE)
_LABELS = itemgetter(1)
_VALUE = itemgetter(2)
_SEP = itemgetter(1)

#: A series' labels minus ``le``, sorted by name.
LabelPairs = tuple[tuple[str, str], ...]
#: A series key while grouping: raw label text (fast rows, one order per page) or canonical
#: pairs (careful rows).
_Key = str | LabelPairs
#: (labels minus le sorted by name, (bound, cumulative count) pairs in page order, count, sum)
SeriesTuple = tuple[LabelPairs, tuple[tuple[float, float], ...], float | None, float | None]


def careful_series(rows: list[Row], name: str) -> list[SeriesTuple]:
    """Group a histogram family's rows by their labels minus ``le``, in first-seen order."""
    bucket_name = name + "_bucket"
    buckets: dict[_Key, list[tuple[float, float]]] = {}
    counts: dict[_Key, float] = {}
    sums: dict[_Key, float] = {}
    fast = cast("list[FastRow]", [r for r in rows if r[0] == bucket_name and type(r[1]) is str])
    # Column-wise, so the per-row work happens in comprehensions and C calls: series keys
    # (labels minus le, as printed), bounds from a small le->float table, values.
    split_le = _split_le_last(fast)
    if split_le is not None:
        keys, les = split_le
    else:
        split = _LE_SPLIT.findall("\n".join(map(_LABELS, fast)))
        if len(split) != len(fast):
            fast, split = [], []  # a bucket without le: take the careful path for all
        keys = [(before + after).strip(",") for before, _, after in split]
        les = [x[1] for x in split]
    table: dict[str, float | None] = {}
    for le in set(les):
        try:
            table[le] = float(le)
        except ValueError:
            table[le] = None  # not a number: dropped below, like the row-by-row path does
    # a bound is None only where an le is not a number (``bad_le``): those pairs are dropped below
    pairs = cast(
        "list[tuple[float, float]]", list(zip(map(table.__getitem__, les), map(float, map(_VALUE, fast)), strict=False))
    )
    starts = [0, *[i for i in range(1, len(keys)) if keys[i] != keys[i - 1]], len(keys)] if keys else [0]
    bad_le = None in table.values()
    for a, b in itertools.pairwise(starts):
        run = pairs[a:b]
        if bad_le:
            run = [p for p in run if p[0] is not None]
        old = buckets.get(keys[a])
        buckets[keys[a]] = old + run if old else run
    rest = [r for r in rows if r[0] != bucket_name or type(r[1]) is not str] if fast else rows
    for r in rest:
        sample = r[0]
        raw = r[1]
        if sample == bucket_name:
            labels = raw if isinstance(raw, dict) else split_labels(raw)
            le_text = labels.get("le")
            if le_text is None:
                continue
            try:
                bound = float(le_text)
            except ValueError:
                continue
            pairs_key: LabelPairs = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            buckets.setdefault(pairs_key, []).append((bound, float(r[2])))
        elif sample.startswith(name) and sample[len(name) :] in ("_count", "_gcount", "_sum", "_gsum"):
            key: _Key = tuple(sorted(raw.items())) if isinstance(raw, dict) else (raw or "").strip(",")
            (counts if "count" in sample[len(name) :] else sums)[key] = float(r[2])
    canon: dict[str, LabelPairs] = {}

    def canonical(key: _Key) -> LabelPairs:
        if isinstance(key, tuple):
            return key
        c = canon.get(key)
        if c is None:
            c = canon[key] = tuple(sorted(split_labels(key).items()))
        return c

    # first-seen order over buckets, then counts, then sums
    order: dict[LabelPairs, None] = {}
    merged_buckets: dict[LabelPairs, tuple[tuple[float, float], ...]] = {}
    for key, run in buckets.items():
        c = canonical(key)
        order[c] = None
        # the same series printed two ways (fast and careful rows) must add up, not overwrite
        merged_buckets[c] = merged_buckets.get(c, ()) + tuple(run)
    merged_counts: dict[LabelPairs, float] = {}
    merged_sums: dict[LabelPairs, float] = {}
    for values, merged in ((counts, merged_counts), (sums, merged_sums)):
        for key, value in values.items():
            c = canonical(key)
            order[c] = None
            merged[c] = value
    return [(c, merged_buckets.get(c, ()), merged_counts.get(c), merged_sums.get(c)) for c in order]


def _split_le_last(fast: list[FastRow]) -> tuple[list[str], list[str]] | None:
    """The common layout, ``...,le="x"`` last (client_golang, prometheus_client): split with
    ``rpartition``. None when any row differs, so the regex path takes them all."""
    parts = [r[1].rpartition(',le="') for r in fast]
    if not all(map(_SEP, parts)):
        return None
    tails = [p[2] for p in parts]
    joined = "\n".join(tails)
    # every tail must be exactly the le value and its closing quote
    if joined.count('"') != len(tails) or joined.count('"\n') != len(tails) - 1 or not joined.endswith('"'):
        return None
    return [p[0] for p in parts], [t[:-1] for t in tails]
