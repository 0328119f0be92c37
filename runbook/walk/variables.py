"""Check parameters with the incident's variables filled in, validated before anything runs.

A playbook writes ``etcd_url: "{{ etcd_url }}"``; the walk renders it with Jinja2 under
``StrictUndefined`` and validates the result with the check's own schema. Both happen before
any network call: a missing variable is asked for (:class:`MissingVariables` names each one
with its description), never sent as an empty string, and an invalid value is reported with
the check's own message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import jinja2

from runbook.checks.registry import parse_params
from runbook.errors import CheckError, RunbookError
from runbook.playbook.library import Library
from runbook.playbook.model import CheckBlock, Node, Playbook
from runbook.playbook.validate import template_variables
from runbook.walk.state import NeededVariable

_jinja = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


class MissingVariables(RunbookError):
    """The checks need variables the incident does not have; ask for them, then retry."""

    title = "Variables needed"

    def __init__(self, needed: Sequence[NeededVariable], *, hint: str = "supply them with --var NAME=VALUE") -> None:
        self.needed = tuple(needed)
        lines = [
            f"  {v.name}: {v.description or 'no description'}" + (f" (e.g. {v.example})" if v.example else "")
            for v in self.needed
        ]
        super().__init__("the checks need variables that were not given:\n" + "\n".join(lines) + "\n" + hint)


class InvalidParams(RunbookError):
    """A variable's value makes a check's parameters invalid (caught before any network call)."""

    title = "Invalid check parameters"


def present(variables: Mapping[str, Any], name: str) -> bool:
    """A variable counts as given only when it is not empty: an empty URL is no URL."""
    value = variables.get(name)
    return value is not None and str(value).strip() != ""


def block_variables(blocks: Iterable[CheckBlock]) -> list[str]:
    """Variable names the blocks use, in first-use order."""
    names: list[str] = []
    for block in blocks:
        for name in sorted(template_variables(block.params)):
            if name not in names:
                names.append(name)
    return names


def missing_variables(
    library: Library, node: Node, variables: Mapping[str, Any], blocks: Iterable[CheckBlock] | None = None
) -> list[NeededVariable]:
    """The variables ``node``'s checks (or ``blocks``) need and ``variables`` lacks, described
    by the playbook (a variable the playbook does not declare counts as required)."""
    playbook = library.playbooks.get(node.playbook)
    out = []
    for name in block_variables(node.checks if blocks is None else blocks):
        if present(variables, name):
            continue
        declared = playbook.variable(name) if playbook else None
        out.append(
            NeededVariable(
                name,
                declared.description if declared else "",
                declared.example if declared else None,
                declared.required if declared else True,
            )
        )
    return out


def runnable_blocks(
    library: Library, node: Node, variables: Mapping[str, Any]
) -> tuple[list[int], dict[int, list[str]]]:
    """Which of ``node``'s blocks can run: (indexes to run, {index: optional names missing}).

    Raises MissingVariables when a required variable is missing, or when no block can run at
    all (then the optional ones are asked for too): a check is never sent an empty value.
    """
    run: list[int] = []
    skip: dict[int, list[str]] = {}
    needed: dict[str, NeededVariable] = {}
    for i, block in enumerate(node.checks):
        missing = missing_variables(library, node, variables, [block])
        for v in missing:
            needed.setdefault(v.name, v)
        if any(v.required for v in missing):
            continue
        if missing:
            skip[i] = [v.name for v in missing]
        else:
            run.append(i)
    required = [v for v in needed.values() if v.required]
    if required:
        raise MissingVariables(required)
    if not run:
        raise MissingVariables(list(needed.values()))
    return run, skip


def render(value: Any, variables: Mapping[str, Any]) -> Any:
    """``value`` with every ``{{ variable }}`` replaced (strings, nested lists and mappings)."""
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:
            return value
        return _jinja.from_string(value).render(**{k: v for k, v in variables.items() if present(variables, k)})
    if isinstance(value, Mapping):
        return {k: render(v, variables) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render(v, variables) for v in value]
    return value


def prepare_params(block: CheckBlock, variables: Mapping[str, Any]) -> dict[str, Any]:
    """Rendered and schema-validated params of one block (raises InvalidParams)."""
    try:
        params: dict[str, Any] = render(dict(block.params), variables)
    except jinja2.TemplateError as exc:
        raise InvalidParams(f"check {block.check_type}: cannot fill in the parameters: {exc}") from None
    try:
        parse_params(block.check_type, params)
    except CheckError as exc:
        raise InvalidParams(f"check {exc.message}") from None
    return params


def missing_for_playbook(playbook: Playbook, variables: Mapping[str, Any]) -> list[NeededVariable]:
    """Required variables of ``playbook`` that its checks use and ``variables`` lacks.

    Asked for when a walk starts, so a headless run fails before it records or measures anything.
    """
    used = set(block_variables(b for node in playbook.nodes.values() for b in node.checks))
    return [
        NeededVariable(v.name, v.description, v.example)
        for v in playbook.variables
        if v.required and v.name in used and not present(variables, v.name)
    ]
