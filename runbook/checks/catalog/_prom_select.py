"""Pick counter values out of a Prometheus text page by a simple selector.

Several checks only need "the sum of ``name{l="v"}`` on this /metrics page" to compute a
delta between two scrapes; a full exposition parser is more than they need. Selectors are
``name`` or ``name{label="value",...}`` (equality matchers only); every series of that name
whose labels include the given pairs is summed. Malformed lines are skipped, never raised.
"""

from __future__ import annotations

import math
import re

_SELECTOR = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$")
_PAIR = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


class SelectorError(ValueError):
    pass


def _labels(text: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _PAIR.match(text, pos)
        if not m:
            return None
        out[m.group(1)] = m.group(2).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        pos = m.end()
    return out


def parse_selector(selector: str) -> tuple[str, dict[str, str]]:
    """``'x_total{code="Unavailable"}'`` -> (``'x_total'``, ``{'code': 'Unavailable'}``)."""
    m = _SELECTOR.match(selector)
    labels = _labels(m.group(2) or "") if m else None
    if not m or labels is None:
        raise SelectorError(f'not a metric selector: {selector!r} (use name or name{{label="value"}})')
    return m.group(1), labels


def select_sum(page: str, selector: str) -> float | None:
    """Sum of every series matching ``selector``; None when no series matches."""
    name, want = parse_selector(selector)
    total, found = 0.0, False
    for line in page.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        rest = line[len(name) :]
        if rest[:1] == "{":
            end = rest.rfind("}")
            if end < 0:
                continue
            labels = _labels(rest[1:end])
            value_part = rest[end + 1 :]
        elif rest[:1] in (" ", "\t"):
            labels, value_part = {}, rest
        else:
            continue  # a longer metric name sharing the prefix
        if labels is None or any(labels.get(k) != v for k, v in want.items()):
            continue
        fields = value_part.split()
        try:
            value = float(fields[0])
        except (IndexError, ValueError):
            continue
        if math.isnan(value):
            continue
        total += value
        found = True
    return total if found else None
