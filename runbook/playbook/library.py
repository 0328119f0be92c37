"""Loading every playbook from the configured directories into one library.

Each file is parsed on its own: a broken playbook contributes its errors and never stops the
others from loading. Validation across files (links, reachability, rules, checks) is in
``runbook.playbook.validate``.

The directories are layers (shipped, then the config file's, then ``RUNBOOK_PLAYBOOKS``): a team
customises a shipped playbook by keeping a copy with the same id in its own directory, so a
later layer's playbook replaces an earlier one's, and the library remembers what it replaced
(``runbook playbooks`` shows it; :func:`override_errors` finds links the replacement broke).
The same file reached twice (a directory listed twice, or ``runbook validate playbooks`` in a
checkout) is one file, never a duplicate of itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import networkx as nx

from runbook.errors import NotFoundError, PlaybookError
from runbook.playbook.graph import library_graph
from runbook.playbook.model import Node, Playbook
from runbook.playbook.parser import parse_playbook


@dataclass(frozen=True)
class Origin:
    """Where a loaded playbook came from, and which earlier layers' files it replaces."""

    path: Path
    root: Path
    """The directory (layer) it was found under, as given."""
    layer: int
    """Index of that directory in the load order (0: the first, the shipped one by default)."""
    overrides: tuple[Path, ...] = ()
    """Files of earlier layers with the same id, nearest first."""


@dataclass
class Library:
    """All loaded playbooks, by id, plus the problems met while loading them."""

    playbooks: dict[str, Playbook] = field(default_factory=dict)
    errors: list[PlaybookError] = field(default_factory=list)
    origins: dict[str, Origin] = field(default_factory=dict)
    """Where each loaded playbook came from (by playbook id)."""
    replaced: dict[str, tuple[Playbook, ...]] = field(default_factory=dict)
    """Earlier layers' playbooks a later layer's file replaced (by id, nearest first)."""

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
    """Parse every playbook file under ``paths``, each path a layer over the ones before it.

    A later layer's playbook replaces an earlier layer's with the same id; two files with one id
    in the same layer are an error (the first one wins). A file already loaded is skipped.
    """
    lib = Library()
    seen: set[Path] = set()
    for layer, root in enumerate(paths):
        for path in playbook_files([root]):
            key = path.resolve()
            if key in seen:
                continue
            seen.add(key)
            playbook, errors = parse_playbook(path)
            lib.errors.extend(errors)
            if playbook is not None:
                _add(lib, playbook, Origin(path=path, root=root, layer=layer))
    return lib


def _add(lib: Library, playbook: Playbook, origin: Origin) -> None:
    earlier = lib.origins.get(playbook.id)
    if earlier is not None and earlier.layer == origin.layer:
        lib.errors.append(
            PlaybookError(
                str(origin.path),
                1,
                f"playbook id '{playbook.id}' is already used by {earlier.path}; give this playbook its own id",
            )
        )
        return
    if earlier is not None:
        lib.replaced[playbook.id] = (lib.playbooks[playbook.id], *lib.replaced.get(playbook.id, ()))
        origin = replace(origin, overrides=(earlier.path, *earlier.overrides))
    lib.playbooks[playbook.id] = playbook
    lib.origins[playbook.id] = origin


def override_errors(lib: Library, other_links: Iterable[tuple[str, int, str]] = ()) -> list[PlaybookError]:
    """Links into a replaced playbook's nodes that its replacement no longer has.

    The link itself is reported by validation as pointing nowhere; this names the override
    that removed the node, since that file (not the linking one) is usually what to fix.
    ``other_links``: ``(path, line, playbook#node)`` links from outside the library (a rule's
    ``conclusions``).
    """
    links = [
        (str(other.path), line, target, other.id)
        for other in lib.playbooks.values()
        for node in other.nodes.values()
        for line, target in _links(node)
    ]
    links += [(path, line, target, "") for path, line, target in other_links]
    out: list[PlaybookError] = []
    for pid, older in lib.replaced.items():
        current = lib.playbooks[pid]
        removed = {nid: pb.path for pb in reversed(older) for nid in pb.nodes if nid not in current.nodes}
        for path, line, target, source_id in links:
            tpid, _, tnid = target.partition("#")
            if tpid == pid and source_id != pid and tnid in removed:
                out.append(
                    PlaybookError(
                        str(current.path),
                        current.line,
                        f"this override of playbook '{pid}' removes node '{tnid}' (kept in "
                        f"{removed[tnid]}), which {path}:{line} links to; keep the node "
                        "in the override or change that link",
                    )
                )
    return out


def _links(node: Node) -> list[tuple[int, str]]:
    """(line, ``playbook#node``) of every cross-playbook link a node makes."""
    out = [(c.line, c.ref) for c in node.choices if not c.local]
    for block in node.checks:
        out += [(block.line, t) for t in block.verdicts.values() if "#" in t]
    return out
