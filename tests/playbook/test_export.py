"""Graph export: Mermaid, dot and JSON describe the same tree."""

import json
from pathlib import Path

from markdown_it import MarkdownIt

from runbook.playbook.export import export
from runbook.playbook.graph import library_graph, playbook_graph, shortest_path_to_rule
from runbook.playbook.parser import parse_playbook

PB, _ = parse_playbook(Path(__file__).parent / "data" / "example.md")


def test_graph_nodes_and_edges():
    g = playbook_graph(PB)
    assert set(g.nodes) == {"example#lease-health", "example#deploy", "example#probe-flapping", "example#lease-race"}
    assert g.edges["example#deploy", "example#lease-health"]["loop"] is True
    assert g.nodes["example#lease-race"]["rules"] == ["R1"]


def test_mermaid_flowchart():
    out = export(PB, "mermaid")
    assert out.startswith("flowchart TD\n")
    assert 'n_example_deploy -.->|"Yes, roll it back and re-check"| n_example_lease_health' in out
    assert 'n_example_lease_race(["Several keep-alive streams race on one lease<br/>R1"])' in out
    # one line per node and per edge, plus header and styles
    assert sum(1 for line in out.splitlines() if "-->" in line or "-.->" in line) == 4


def test_dot_is_balanced_and_complete():
    out = export(PB, "dot")
    assert out.startswith('digraph "example" {')
    assert out.count("->") == 4
    assert '"example#deploy" -> "example#lease-health" [label="Yes, roll it back and re-check" style=dashed];' in out


def test_json_round_trips_through_networkx():
    data = json.loads(export(PB, "json"))
    assert data["graph"]["start"] == "example#lease-health"
    assert {n["id"] for n in data["nodes"]} == set(playbook_graph(PB).nodes)
    assert len(data["edges"]) == 4


def test_shortest_path_to_rule():
    g = library_graph([PB])
    assert shortest_path_to_rule(g, "example#lease-health", "R1") == ["example#lease-health", "example#lease-race"]
    assert shortest_path_to_rule(g, "example#lease-health", "R2") == [
        "example#lease-health",
        "example#deploy",
        "example#probe-flapping",
    ]
    assert shortest_path_to_rule(g, "example#lease-health", "R9") is None


def test_mermaid_escapes_quotes(tmp_path):
    text = '---\nid: q\ntitle: Q\nstart: a\n---\n## Is "it" <on>? {#a}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n'
    pb, errors = parse_playbook(tmp_path / "q.md", text)
    assert errors == []
    out = export(pb, "mermaid")
    assert "#quot;it#quot; #lt;on#gt;?" in out
    assert MarkdownIt().parse(f"```mermaid\n{out}```\n")[0].content == out
