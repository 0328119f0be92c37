"""The variables a walk from one playbook can use: its own and those of every playbook it can
lead to (triage hands over to the P0 playbooks), so a mistyped ``--var`` name is caught before
anything is recorded, and ``runbook walk PLAYBOOK --list-vars`` can print them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from runbook.errors import RunbookError
from runbook.playbook.library import Library
from runbook.walk.variables import block_variables


@dataclass(frozen=True)
class KnownVariable:
    """A variable a walk can use, where it is declared, and whether its checks need it."""

    name: str
    playbook_id: str
    description: str = ""
    example: str | None = None
    required: bool = False
    """Declared required by its playbook (a walk stops for it when a check needs it)."""


def reachable_playbooks(library: Library, playbook_id: str) -> list[str]:
    """``playbook_id`` first, then every playbook its nodes can lead to, in id order."""
    playbook = library.get(playbook_id)
    graph = library.graph
    start = f"{playbook.id}#{playbook.start}"
    refs = nx.descendants(graph, start) if start in graph else set()
    others = sorted({str(ref).partition("#")[0] for ref in refs} - {playbook.id})
    return [playbook.id, *(p for p in others if p in library.playbooks)]


def known_variables(library: Library, playbook_id: str) -> list[KnownVariable]:
    """Declared variables first (with their descriptions and examples), then names a check
    uses without a declaration; each name once, from the first playbook that has it."""
    out: dict[str, KnownVariable] = {}
    ids = reachable_playbooks(library, playbook_id)
    for pid in ids:
        for v in library.get(pid).variables:
            out.setdefault(v.name, KnownVariable(v.name, pid, v.description, v.example, v.required))
    for pid in ids:
        pb = library.get(pid)
        for name in block_variables(b for node in pb.nodes.values() for b in node.checks):
            out.setdefault(name, KnownVariable(name, pid))
    return list(out.values())


def check_variable_names(library: Library, playbook_id: str, names: Iterable[str]) -> None:
    """Raise a RunbookError naming the unknown ones and listing the known ones."""
    known = {v.name for v in known_variables(library, playbook_id)}
    unknown = sorted(set(names) - known)
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise RunbookError(
            f"unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for a walk from "
            f"{playbook_id!r}; its variables: {listed} (see: runbook walk {playbook_id} --list-vars)"
        )
