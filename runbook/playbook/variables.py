"""Checking the values a responder gives for a playbook's variables, before anything runs.

A value that cannot work is better refused at the form than discovered as a failed check at
3 a.m.: required values must be present, ``*_url`` values must be http(s) URLs, ``*_port``
values must be port numbers, and no value may carry surrounding whitespace or newlines.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from runbook.playbook.model import Playbook, Variable


def variable_problem(var: Variable, value: str | None) -> str | None:
    """Why ``value`` is not acceptable for ``var`` (None when it is)."""
    value = (value or "").strip()
    if not value:
        return f"{var.name} is required" if var.required else None
    if any(c in value for c in "\r\n\t"):
        return f"{var.name} must be a single line"
    if var.name.endswith("_url") or var.name == "url":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            example = f" (e.g. {var.example})" if var.example else ""
            return f"{var.name} must be an http:// or https:// URL{example}"
    if (var.name.endswith("_port") or var.name == "port") and (not value.isdigit() or not 0 < int(value) < 65536):
        return f"{var.name} must be a port number (1-65535)"
    return None


def variable_problems(playbook: Playbook, values: Mapping[str, str | None]) -> dict[str, str]:
    """Problems by variable name for the playbook's declared variables."""
    problems = {}
    for var in playbook.variables:
        problem = variable_problem(var, values.get(var.name))
        if problem:
            problems[var.name] = problem
    return problems
