"""Decision trees as diagram sources: Mermaid (renders on GitHub), Graphviz dot, JSON."""

from __future__ import annotations

import json

import networkx as nx

from runbook.playbook.graph import playbook_graph
from runbook.playbook.model import NodeKind, Playbook

FORMATS = ("mermaid", "dot", "json")


def export(playbook: Playbook, fmt: str) -> str:
    g = playbook_graph(playbook, external=True)
    if fmt == "mermaid":
        return to_mermaid(playbook, g)
    if fmt == "dot":
        return to_dot(playbook, g)
    if fmt == "json":
        return to_json(playbook, g)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def _mermaid_id(ref: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in ref)


def _mermaid_text(text: str) -> str:
    # Mermaid labels are quoted; quotes and a few characters must be entity-escaped.
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(playbook: Playbook, g: nx.DiGraph[str]) -> str:
    lines = ["flowchart TD"]
    for ref, data in g.nodes(data=True):
        nid, title = _mermaid_id(ref), _mermaid_text(data["title"])
        kind = data["kind"]
        if kind == NodeKind.CONCLUSION.value:
            rules = ", ".join(data["rules"])
            lines.append(f'    {nid}(["{title}<br/>{rules}"])')
        elif kind == NodeKind.CHECK.value:
            lines.append(f'    {nid}[/"{title}"/]')
        elif kind == "external":
            lines.append(f'    {nid}>"{title}"]')
        else:
            lines.append(f'    {nid}{{"{title}"}}')
    for u, v, data in g.edges(data=True):
        label = _mermaid_text(data["label"])
        arrow = "-.->" if data.get("loop") else "-->"
        lines.append(f'    {_mermaid_id(u)} {arrow}|"{label}"| {_mermaid_id(v)}')
    start = g.graph["start"]
    if start in g:
        lines.append(f"    style {_mermaid_id(start)} stroke-width:3px")
    lines.append("    classDef conclusion fill:#fde2e1,stroke:#b42318")
    concl = [_mermaid_id(n) for n, d in g.nodes(data=True) if d["kind"] == NodeKind.CONCLUSION.value]
    if concl:
        lines.append(f"    class {','.join(concl)} conclusion")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(playbook: Playbook, g: nx.DiGraph[str]) -> str:
    shapes = {"question": "diamond", "check": "parallelogram", "conclusion": "box", "external": "cds"}
    lines = [f"digraph {_dot_quote(playbook.id)} {{", "  rankdir=TB;", "  node [fontname=Helvetica];"]
    for ref, data in g.nodes(data=True):
        label = data["title"]
        if data["rules"]:
            label += "\n" + ", ".join(data["rules"])
        style = ' style="rounded,filled" fillcolor="#fde2e1"' if data["kind"] == "conclusion" else ""
        lines.append(f"  {_dot_quote(ref)} [label={_dot_quote(label)} shape={shapes[data['kind']]}{style}];")
    for u, v, data in g.edges(data=True):
        style = " style=dashed" if data.get("loop") else ""
        lines.append(f"  {_dot_quote(u)} -> {_dot_quote(v)} [label={_dot_quote(data['label'])}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_json(playbook: Playbook, g: nx.DiGraph[str]) -> str:
    data = nx.node_link_data(g, edges="edges")
    data["graph"] = {"id": playbook.id, "title": playbook.title, "start": g.graph["start"]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
