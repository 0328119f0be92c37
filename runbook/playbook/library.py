"""Loading every playbook from the configured directories into one library.

Each file is parsed on its own: a broken playbook contributes its errors and never stops the
others from loading. Validation across files (links, reachability, rules, checks) is in
``runbook.playbook.validate``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import networkx as nx

from runbook.errors import NotFoundError, PlaybookError
from runbook.playbook.graph import library_graph
from runbook.playbook.model import Node, Playbook
from runbook.playbook.parser import parse_playbook


@dataclass
class Library:
    """All loaded playbooks, by id, plus the problems met while loading them."""

    playbooks: dict[str, Playbook] = field(default_factory=dict)
    errors: list[PlaybookError] = field(default_factory=list)

    @cached_property
    def graph(self) -> nx.DiGraph[str]:
        """The library DiGraph over ``playbook#node`` references (cross-playbook edges included)."""
        return library_graph(self.playbooks.values())

    def get(self, playbook_id: str) -> Playbook:
        try:
            return self.playbooks[playbook_id]
        except KeyError:
            known = ", ".join(sorted(self.playbooks)) or "none loaded"
            raise NotFoundError(f"no playbook {playbook_id!r}; known playbooks: {known}") from None

    def node(self, ref: str) -> Node:
        """A node by global reference ``playbook#node``."""
        playbook_id, _, node_id = ref.partition("#")
        playbook = self.get(playbook_id)
        try:
            return playbook.nodes[node_id or playbook.start]
        except KeyError:
            raise NotFoundError(f"playbook {playbook_id!r} has no node {node_id!r}") from None


def playbook_files(paths: Iterable[Path]) -> list[Path]:
    """Markdown files under the given files or directories (sorted, README files skipped)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(f for f in p.glob("*.md") if f.name.lower() != "readme.md")
        elif p.is_file():
            files.append(p)
    return files


def load_library(paths: Sequence[Path]) -> Library:
    """Parse every playbook file under ``paths``; duplicate ids are errors, first one wins."""
    lib = Library()
    for path in playbook_files(paths):
        playbook, errors = parse_playbook(path)
        lib.errors.extend(errors)
        if playbook is None:
            continue
        if playbook.id in lib.playbooks:
            first = lib.playbooks[playbook.id].path
            lib.errors.append(
                PlaybookError(
                    str(path),
                    1,
                    f"playbook id '{playbook.id}' is already used by {first}; give this playbook its own id",
                )
            )
            continue
        lib.playbooks[playbook.id] = playbook
    return lib
