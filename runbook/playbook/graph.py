"""Playbooks as networkx graphs: one DiGraph per playbook, one for the whole library.

Graph nodes are global references ``playbook#node``; each carries ``kind``, ``title``,
``playbook``, ``line``, ``rules`` and ``unexplained`` (an unexplained terminal). Edges carry ``label``, ``loop`` (a deliberate loop) and ``line``.
The library graph adds the cross-playbook edges, so reachability and shortest paths work
across files (triage -> incident playbook -> conclusion).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import networkx as nx

from runbook.playbook.model import UNEXPLAINED, NodeKind, Playbook


def playbook_graph(playbook: Playbook, *, external: bool = False) -> nx.DiGraph[str]:
    """The decision tree of one playbook. With ``external``, edges to other playbooks are kept
    (their targets appear as nodes with ``kind='external'``)."""
    g: nx.DiGraph[str] = nx.DiGraph(id=playbook.id, title=playbook.title, start=f"{playbook.id}#{playbook.start}")
    for node in playbook.nodes.values():
        g.add_node(
            node.ref,
            kind=node.kind.value,
            title=node.title,
            playbook=playbook.id,
            line=node.line,
            rules=list(node.conclusion.rules) if node.conclusion else [],
            unexplained=bool(node.conclusion and node.conclusion.unexplained),
        )
    for node in playbook.nodes.values():
        for choice in node.choices:
            if choice.playbook != playbook.id and not external:
                continue
            if choice.ref not in g:
                g.add_node(choice.ref, kind="external", title=choice.ref, playbook=choice.playbook, line=0, rules=[])
            g.add_edge(node.ref, choice.ref, label=choice.label, loop=choice.loop, line=choice.line)
    return g


def library_graph(playbooks: Iterable[Playbook]) -> nx.DiGraph[str]:
    """All playbooks in one graph, with cross-playbook links resolved where their targets exist."""
    g: nx.DiGraph[str] = nx.DiGraph()
    playbooks = list(playbooks)
    for pb in playbooks:
        for node in pb.nodes.values():
            g.add_node(
                node.ref,
                kind=node.kind.value,
                title=node.title,
                playbook=pb.id,
                line=node.line,
                rules=list(node.conclusion.rules) if node.conclusion else [],
                unexplained=bool(node.conclusion and node.conclusion.unexplained),
            )
    for pb in playbooks:
        for node in pb.nodes.values():
            for choice in node.choices:
                if choice.ref in g:
                    g.add_edge(node.ref, choice.ref, label=choice.label, loop=choice.loop, line=choice.line)
    return g


def without_loops(g: nx.DiGraph[str]) -> nx.DiGraph[str]:
    """The graph minus edges marked as deliberate loops (what must be acyclic)."""
    h = g.copy()
    h.remove_edges_from([(u, v) for u, v, d in g.edges(data=True) if d.get("loop")])
    return h


def conclusions(g: nx.DiGraph[str]) -> dict[str, list[str]]:
    """Conclusion node ref -> rule ids."""
    return {n: list(d.get("rules") or []) for n, d in g.nodes(data=True) if d.get("kind") == NodeKind.CONCLUSION.value}


def shortest_path_to_rule(g: nx.DiGraph[str], start: str, rule: str) -> list[str] | None:
    """The shortest path from ``start`` to any conclusion naming ``rule`` (None if unreachable).

    ``rule`` may be ``UNEXPLAINED``: the shortest path to an unexplained terminal.
    """
    if rule == UNEXPLAINED:
        targets = [n for n, d in g.nodes(data=True) if d.get("unexplained")]
    else:
        targets = [n for n, rules in conclusions(g).items() if rule in rules]
    if start not in g or not targets:
        return None
    # without a target the result is the two maps (the stubs do not overload on ``target``)
    lengths, paths = cast("tuple[dict[str, float], dict[str, list[str]]]", nx.single_source_dijkstra(g, start))
    best = min((t for t in targets if t in lengths), key=lambda t: lengths[t], default=None)
    return paths[best] if best else None
