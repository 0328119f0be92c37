"""Sum the counters a selector names on a /metrics page, through the one exposition parser.

Several checks only need "the sum of ``name{l="v"}`` on this page" to compute a delta between
two scrapes. They read pages from the services under diagnosis, which are outside input: the
page goes through :func:`runbook.parsers.prom_text.parse` in its tolerant mode (a malformed
line is skipped, never raised), and the selector's label set through the careful line parser's
:func:`~runbook.parsers.prom_line.scan_labels`, so there is one reading of the text format.

Selectors are ``name`` or ``name{label="value",...}`` (equality matchers only); every series
with that sample name whose labels include the given pairs is summed. NaN samples are skipped.
"""

from __future__ import annotations

import math
import re

from runbook.errors import ParseError
from runbook.parsers._prom_columns import split_labels
from runbook.parsers.prom_line import scan_labels
from runbook.parsers.prom_text import Exposition, parse

_SELECTOR = re.compile(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*")


class SelectorError(ValueError):
    """A selector that is not ``name`` or ``name{label="value",...}``."""


def parse_selector(selector: str) -> tuple[str, dict[str, str]]:
    """``'x_total{code="Unavailable"}'`` -> (``'x_total'``, ``{'code': 'Unavailable'}``)."""
    bad = SelectorError(f'not a metric selector: {selector!r} (use name or name{{label="value"}})')
    m = _SELECTOR.match(selector)
    if m is None:
        raise bad
    name, rest = m.group(1), selector[m.end() :]
    if not rest:
        return name, {}
    if rest[0] != "{":
        raise bad
    try:
        labels, close = scan_labels(rest, 1, 1)
    except ParseError:
        raise bad from None
    if rest[close + 1 :].strip():
        raise bad
    return name, labels


def read_page(page: str) -> Exposition:
    """A service's /metrics page, parsed tolerantly (for several selections from one scrape)."""
    return parse(page, tolerant=True)


def select_sum(page: str | Exposition, selector: str) -> float | None:
    """Sum of every series matching ``selector``; None when no series matches.

    ``page``: the page's text, or :func:`read_page`'s result when several selectors read one
    scrape (the page is then parsed once).
    """
    name, want = parse_selector(selector)
    if isinstance(page, str):
        if name not in page:
            return None  # the common miss costs no parse
        page = read_page(page)
    total, found = 0.0, False
    for family in page.families.values():
        if not name.startswith(family.name):
            continue  # a family's sample names all start with its name
        for sample_name, raw, value_text, _stamp, _exemplar in family.rows:
            if sample_name != name:
                continue
            try:
                labels = raw if isinstance(raw, dict) else split_labels(raw)
            except ParseError:
                continue  # a duplicate label name: not a series anyone can select
            if any(labels.get(k) != v for k, v in want.items()):
                continue
            value = float(value_text)
            if math.isnan(value):
                continue
            total += value
            found = True
    return total if found else None
