"""The one parser for ``NAME=VALUE`` options (``--var``, ``--choose``, ``--param``)."""

from __future__ import annotations

from runbook.errors import RunbookError


def parse_pairs_list(items: list[str] | None, what: str) -> list[tuple[str, str]]:
    """``["a=1", "b=2"]`` -> [("a", "1"), ("b", "2")]; a malformed item is a clear error."""
    out = []
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise RunbookError(f"{what} {item!r}: expected NAME=VALUE")
        out.append((name.strip(), value))
    return out


def parse_pairs(items: list[str] | None, what: str) -> dict[str, str]:
    """``["a=1", "b=2"]`` -> dict (the last value of a repeated name wins)."""
    return dict(parse_pairs_list(items, what))
