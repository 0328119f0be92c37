"""What a cardinality count finds, whichever source it read (a /metrics page or the TSDB head).

Shared by ``cardinality`` (the check and the page analysis) and ``_tsdb_status`` (Prometheus'
head block), so neither has to import the other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_ID_LIKE = re.compile(
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # uuid
    r"|[0-9a-fA-F]{8,}"  # long hex (trace ids, hashes)
    r"|[0-9]+"  # all digits
    r"|\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?"  # IPv4[:port]
    r"|\[?[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:.]*\]?(?::\d+)?"  # IPv6
    r"|[^@\s]+@[^@\s]+\.[^@\s]+)$",  # e-mail
    re.MULTILINE,
)


#: Labels with more values have ID-likeness estimated from this many of them.
ID_SAMPLE = 5000


def count_id_like(values: Sequence[str]) -> int:
    """How many of ``values`` look like identifiers (one regex pass over the joined values)."""
    joined = "\n".join(values)
    if joined.count("\n") != max(len(values) - 1, 0):  # a value with a newline would split in two
        joined = "\n".join(v for v in values if "\n" not in v)
    return len(_ID_LIKE.findall(joined))


def is_id_like(value: str) -> bool:
    return "\n" not in value and _ID_LIKE.fullmatch(value) is not None


@dataclass(frozen=True)
class LabelCount:
    metric: str
    label: str
    values: int
    id_like: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class CardinalityReport:
    series_total: int
    top_families: tuple[tuple[str, int], ...]
    """(metric, series), largest first."""
    top_labels: tuple[LabelCount, ...]
    """Labels by distinct values, largest first."""
