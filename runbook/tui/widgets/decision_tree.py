"""A playbook's decision tree drawn as a Textual Tree (questions, checks, conclusions).

The tree follows choices from the start node; a node met again (a deliberate loop, or two
branches joining) is shown once more as a leaf marked with an arrow, so the drawing is finite.
"""

from __future__ import annotations

from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from runbook.playbook.library import Library
from runbook.playbook.model import NodeKind, Playbook

ICONS = {NodeKind.QUESTION: "?", NodeKind.CHECK: "⚙", NodeKind.CONCLUSION: "■"}


class DecisionTree(Tree[str]):
    """Data of each tree node: the ``playbook#node`` reference it shows."""

    def show(self, library: Library, playbook: Playbook) -> None:
        self.clear()
        self.root.set_label(f"{playbook.title} ({playbook.id})")
        self.root.data = None
        self._add(library, self.root, f"{playbook.id}#{playbook.start}", "", set())
        self.root.expand_all()

    def _add(self, library: Library, parent: TreeNode[str], ref: str, via: str, seen: set[str]) -> None:
        try:
            node = library.node(ref)
        except Exception:
            parent.add_leaf(f"{via} ✗ {ref} (missing)", data=ref)
            return
        rules = f" [{', '.join(node.conclusion.rules)}]" if node.conclusion else ""
        label = f"{via}{ICONS[node.kind]} {node.title}{rules}"
        if ref in seen:
            parent.add_leaf(f"{via}↩ {node.title}", data=ref)
            return
        if node.kind is NodeKind.CONCLUSION or not node.choices:
            parent.add_leaf(label, data=ref)
            return
        branch = parent.add(label, data=ref)
        for choice in node.choices:
            if choice.playbook != node.playbook:
                branch.add_leaf(f"{choice.label} → {choice.ref}", data=choice.ref)
                continue
            self._add(library, branch, choice.ref, f"{choice.label} → ", seen | {ref})
