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

from runbook.parsers._prom_columns import split_labels

_LN = r"[a-zA-Z_][a-zA-Z0-9_]*"
_PAIR = rf'{_LN}="[^"\\\n]*"'
#: Splits a fast-path label text into (text before le, le value, text after le).
_LE_SPLIT = re.compile(rf'^((?:{_PAIR},)*?)le="([^"\n]*)",?((?:{_PAIR},?)*)$', re.MULTILINE)
_LABELS = itemgetter(1)
_VALUE = itemgetter(2)
_SEP = itemgetter(1)

#: (labels minus le sorted by name, (bound, cumulative count) pairs in page order, count, sum)
SeriesTuple = tuple


def careful_series(rows: list, name: str) -> list[SeriesTuple]:
    """Group a histogram family's rows by their labels minus ``le``, in first-seen order."""
    bucket_name = name + "_bucket"
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
    table: dict[str, float | None] = {}
    for le in set(les):
        try:
            table[le] = float(le)
        except ValueError:
            table[le] = None  # not a number: dropped below, like the row-by-row path does
    pairs = list(zip(map(table.__getitem__, les), map(float, map(_VALUE, fast)), strict=False))
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
        if sample == bucket_name:
            labels = r[1] if type(r[1]) is dict else split_labels(r[1])
            try:
                bound = float(labels.get("le"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            buckets.setdefault(key, []).append((bound, float(r[2])))
        elif sample.startswith(name) and sample[len(name) :] in ("_count", "_gcount", "_sum", "_gsum"):
            key = tuple(sorted(r[1].items())) if type(r[1]) is dict else (r[1] or "").strip(",")
            (counts if "count" in sample[len(name) :] else sums)[key] = float(r[2])
    merged: dict[tuple, list] = {}
    canon: dict[str, tuple] = {}
    for table, slot in ((buckets, 0), (counts, 1), (sums, 2)):
        for key, value in table.items():
            if type(key) is not tuple:
                c = canon.get(key)
                if c is None:
                    c = canon[key] = tuple(sorted(split_labels(key).items()))
                key = c
            entry = merged.setdefault(key, [(), None, None])
            # the same series printed two ways (fast and careful rows) must add up, not overwrite
            entry[slot] = entry[0] + tuple(value) if slot == 0 else value
    return [(k, *v) for k, v in merged.items()]


def _split_le_last(fast: list) -> tuple[list[str], list[str]] | tuple[None, None]:
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
