"""Column views of a metric family's raw rows, for the analyses that read whole families.

The cardinality and histogram checks look at every row of a family, and on a page with a
label explosion that is hundreds of thousands of rows. Python pays per object, so these
helpers work on whole columns (lists of label texts or value texts) with slicing, ``join``,
``split``, ``set`` and list comparison, which all run in C. Each view first proves that the
family has the regular shape client libraries print (every series the same buckets in the
same order, ``le`` last, no escapes); when that proof fails the caller takes its careful,
row-by-row path, so a strange page is slower but never wrong.
"""

from __future__ import annotations

from itertools import compress, repeat
from operator import itemgetter
from os.path import commonprefix
from typing import NamedTuple, cast

from runbook.errors import ParseError

#: A family's cached bucket columns before anyone asked for them (None means "not regular").
_UNSET = object()


class BucketColumns(NamedTuple):
    """A histogram family whose rows repeat one per-series pattern (buckets, sum, count...)."""

    keys: list[str]
    """Per series, its label text minus ``le`` as printed (fast-path text, page order)."""
    les: list[str]
    """The ``le`` text of each bucket column."""
    buckets: list[list[str]]
    """Value texts per bucket column; ``buckets[j][i]`` is series i's bucket j."""
    # the exposition's own name; it shadows tuple.count, which no caller wants from columns
    count: list[str] | None  # type: ignore[assignment]
    sum: list[str] | None


def bucket_columns_of(names: list[str], texts: list[str | None], values: list[str], name: str) -> BucketColumns | None:
    """The columns of a histogram family printed the regular way, or None.

    The family's sample names, label texts (None: printed without braces) and value texts,
    all fast rows (label text, not dict). Regular means: the rows are one
    pattern of sample names repeated per series, starting with the buckets; each bucket row's
    label text is the series key plus ``,le="x"`` with the same x in the same column for all
    series; every other row of the series carries exactly the key; no key repeats.
    """
    bucket = name + "_bucket"
    if not names or names[0] != bucket:
        return None
    first_other = next((i for i, n in enumerate(names) if n != bucket), None)
    if first_other is None:
        return None  # buckets only: nothing says where a series ends
    try:
        period = names.index(bucket, first_other)
    except ValueError:
        period = len(names)
    n_series, rest = divmod(len(names), period)
    if rest or names != names[:period] * n_series:
        return None
    pattern = names[:period]
    others = [j for j, n in enumerate(pattern) if n != bucket]
    key_texts = texts[others[0] :: period]
    # printed without braces: None, the empty key
    keys = [k or "" for k in key_texts] if None in key_texts else cast("list[str]", key_texts)
    try:
        return _columns(pattern, texts, values, keys, period, name)
    except TypeError:  # a bucket printed without braces (no le): the careful path drops it
        return None


def _columns(
    pattern: list[str], texts: list[str | None], values: list[str], keys: list[str], period: int, name: str
) -> BucketColumns | None:
    bucket = name + "_bucket"
    others = [j for j, n in enumerate(pattern) if n != bucket]
    if any(texts[j::period] != keys for j in others[1:]) or len(set(keys)) != len(keys):
        return None
    if ',le="' in "," + ",".join(keys) or (not all(keys) and any(keys)):
        return None  # an le in the key, or label sets with and without labels
    joined_keys = "\n".join(keys)
    les: list[str] = []
    buckets: list[list[str]] = []
    for j, n in enumerate(pattern):
        if n != bucket:
            continue
        text = texts[j]
        le = _le_of(text)
        if le is None or text is None:
            return None
        # a bucket printed without braces (None) raises TypeError in the joins: the caller's
        # careful path takes the family then
        col = cast("list[str]", texts[j::period])
        # Fast-path texts hold no newline, so equal joins mean equal columns, and no key
        # + le string is built per row. A quote after ``le=`` always opens the value here
        # (_le_of refuses values starting with ','), so the pair never matches inside a value.
        if not keys[0]:
            ok = col.count(f'le="{le}"') == len(col)
        elif text.endswith(pair := f',le="{le}"'):  # client_golang: le last
            ok = "\n".join(col) == (pair + "\n").join(keys) + pair
        elif text.startswith(pair := f'le="{le}",'):
            ok = (
                all(map(str.startswith, col, repeat(pair)))
                and ("\n" + "\n".join(col)).replace("\n" + pair, "\n")[1:] == joined_keys
            )
        else:  # prometheus_client sorts le in among the others: exactly one pair per row
            pair = f',le="{le}"'
            joined = "\n".join(col)
            ok = (
                joined.count(pair) == len(col)
                and all(map(str.__contains__, col, repeat(pair)))
                and (joined.replace(pair, "") == joined_keys)
            )
        if not ok:
            return None
        les.append(le)
        buckets.append(values[j::period])
    count = _column(pattern, values, period, (name + "_count", name + "_gcount"))
    total = _column(pattern, values, period, (name + "_sum", name + "_gsum"))
    return BucketColumns(keys, les, buckets, count, total)


def _le_of(text: str | None) -> str | None:
    """The ``le`` value of a fast-path label text (None: none, or an odd one)."""
    if not text:
        return None
    parts = text.split('"')
    for i in range(0, len(parts) - 1, 2):
        if parts[i] in ("le=", ",le="):
            value = parts[i + 1]
            return None if value.startswith(",") else value
    return None


def _column(pattern: list[str], values: list[str], period: int, names: tuple[str, ...]) -> list[str] | None:
    for j, n in enumerate(pattern):
        if n in names:
            return values[j::period]
    return None


def label_value_sets(texts: list[str]) -> dict[str, set[str]]:
    """Distinct values per label name over fast-path label texts (no escapes, no blanks).

    Labels every text starts with in the same way (``method="GET",`` on every row) are read
    once from the common prefix. When what is left is one label per text (the exploding
    ``user_id`` printed last), its values are sliced straight out; otherwise the texts are
    split on quotes, which leaves ``,name=`` tokens and values alternating.
    """
    texts = list(filter(None, texts))
    out: dict[str, set[str]] = {}
    if not texts:
        return out
    # Character-wise on purpose (RUF071 suggests commonpath, which compares '/'-separated path
    # components: label texts have none, so it finds no prefix and every label takes the slow path).
    prefix = commonprefix([min(texts), max(texts)])  # noqa: RUF071
    cut = _pairs_end(prefix)
    for k, v in _pairs(prefix[: cut - 1] if cut else ""):
        out.setdefault(k, set()).add(v)
    head = prefix[cut:]
    eq = head.find('="')
    if eq > 0 and '"' not in head[:eq] and "," not in head[:eq]:
        start = cut + eq + 2
        vals: set[str] = set(map(itemgetter(slice(start, -1)), texts))
        # one label left per text: a text holding more (or a trailing comma) leaves a quote
        if '"' not in "".join(vals):
            out.setdefault(head[:eq], set()).update(vals)
            return out
    if cut:
        texts = list(filter(None, [t[cut:] for t in texts]))
    if texts:
        _split_sets(texts, out)
    return out


def _pairs_end(prefix: str) -> int:
    """Where the whole ``name="value",`` pairs at the start of ``prefix`` end (0: none).

    Values hold no quote, so quotes pair up: the 2k-th quote closes the k-th value. (A
    value may hold a comma, so ``",`` alone does not mark a boundary.)
    """
    parts = prefix.split('"')
    k = (len(parts) - 1) // 2
    while k:
        end = len('"'.join(parts[: 2 * k])) + 1
        if prefix[end : end + 1] == ",":
            return end + 1
        k -= 1
    return 0


def _pairs(text: str) -> list[tuple[str, str]]:
    parts = text.split('"')
    return list(zip([k.lstrip(",")[:-1] for k in parts[0:-1:2]], parts[1::2], strict=False))


def _split_sets(texts: list[str], out: dict[str, set[str]]) -> None:
    parts = ("," + ",".join(texts)).split('"')
    keys = parts[0::2]
    vals = parts[1::2]
    del keys[-1]
    width = len(_pairs(texts[0]))
    # the same label names in the same order on every text: each label is a strided column
    if (
        width
        and len(keys) == width * len(texts)
        and all(keys[j::width].count(keys[j]) == len(texts) for j in range(width))
    ):
        for j in range(width):
            out.setdefault(keys[j].lstrip(",")[:-1], set()).update(vals[j::width])
        return
    for token in set(keys):
        out.setdefault(token.lstrip(",")[:-1], set()).update(compress(vals, map(token.__eq__, keys)))


def canonical_labels(keys: list[str]) -> list[tuple[tuple[str, str], ...]]:
    """Per fast-path label text, its (name, value) pairs sorted by name."""
    return uniform_labels(keys) or [_sorted_pairs(k) for k in keys]


def uniform_labels(keys: list[str]) -> list[tuple[tuple[str, str], ...]] | None:
    """:func:`canonical_labels` when every text has the same names in the same order (one
    series layout per family, as client libraries print): the texts are split once and the
    pairs zipped column-wise. None when the texts differ in shape (or there are none)."""
    if not keys:
        return None
    first = _pairs(keys[0])
    width = len(first)
    if width == 0:
        return [()] * len(keys) if not any(keys) else None
    parts = ("," + ",".join(keys)).split('"')
    names = parts[0:-1:2]
    if (
        len({n for n, _ in first}) == width
        and len(names) == width * len(keys)
        and all(names[j::width].count(names[j]) == len(keys) for j in range(width))
        and set(map(str.count, keys, repeat('"'))) == {2 * width}
    ):
        vals = parts[1::2]
        order = sorted(range(width), key=lambda j: first[j][0])
        return list(zip(*(zip(repeat(first[j][0]), vals[j::width]) for j in order), strict=False))
    return None


def _sorted_pairs(text: str) -> tuple[tuple[str, str], ...]:
    pairs = _pairs(text)
    if len({k for k, _ in pairs}) != len(pairs):
        raise ParseError(f"duplicate label name in {{{text[:80]}}}")
    return tuple(sorted(pairs))


def fold_le(texts: list[str], out: dict[str, set[str]]) -> list[str]:
    """Bucket rows repeat their series' labels once per bucket: keep the ``le`` values aside
    and return the distinct label texts without them (about 1/12 of the rows)."""
    parts = [t.rpartition(',le="') for t in texts]
    tails = {p[2] for p in parts if p[1]}
    if not all(t.endswith('"') and t.count('"') == 1 for t in tails):
        return texts  # le is not always last: the generic path copes
    if tails:
        out["le"] = {t[:-1] for t in tails}
    return list({p[0] if p[1] else t for p, t in zip(parts, texts, strict=False)})


def split_labels(text: str | None) -> dict[str, str]:
    """Labels of a fast-path row (validated by the line regex): split on quotes."""
    if not text:
        return {}
    parts = text.split('"')
    labels = dict(zip([k.lstrip(",")[:-1] for k in parts[0:-1:2]], parts[1::2], strict=False))
    if len(labels) * 2 + 1 != len(parts):
        raise ParseError(f"duplicate label name in {{{text[:80]}}}")
    return labels


class HistogramColumns(NamedTuple):
    """A regular histogram family as numbers, column-wise (see :func:`histogram_columns`)."""

    labels: list[tuple[tuple[str, str], ...]]
    """Per series, its labels minus ``le``, sorted by name."""
    bounds: tuple[float, ...]
    """The upper bounds, shared by every series, in page order."""
    counts: list[tuple[float, ...]]
    """Per series, its cumulative bucket counts in ``bounds`` order."""
    columns: list[list[float]]
    """The same counts per bucket: ``columns[j][i] == counts[i][j]``."""
    # the exposition's own name; it shadows tuple.count, which no caller wants from columns
    count: list[float] | None  # type: ignore[assignment]
    sum: list[float] | None


def column_floats(texts: list[str]) -> list[float]:
    """``float`` of every value text. Bucket counts repeat a lot (idle series sit at 0, slow
    ones at a few); float() costs about five dict look-ups, so a column with few distinct
    texts converts each distinct one once."""
    distinct = set(texts)
    if len(distinct) * 4 > len(texts):
        return list(map(float, texts))
    table = {t: float(t) for t in distinct}
    return list(map(table.__getitem__, texts))
