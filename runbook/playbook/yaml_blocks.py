"""YAML inside Markdown (front matter, fenced blocks), with errors as ``path:line`` problems.

YAML errors carry a position relative to the block; this turns them into the file's line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

# libyaml's loader is several times faster; the pure-Python one is the fallback.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_mapping(
    content: str, first_line: int, what: str, report: Callable[[int, str], None]
) -> dict[str, Any] | None:
    """Parse ``content`` (which starts at file line ``first_line``) as a YAML mapping.

    Problems are passed to ``report(line, message)``; returns None when unusable.
    """
    try:
        data = yaml.load(content, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + (mark.line if mark is not None else 0)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        report(line, f"{what}: invalid YAML ({problem}); fix the syntax")
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        report(first_line, f"{what}: expected a YAML mapping (key: value lines), got {type(data).__name__}")
        return None
    return data
