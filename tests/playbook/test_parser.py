"""The parser: front matter, node ids and kinds, choices, check and conclusion blocks, prose."""

from pathlib import Path

from runbook.playbook.model import NodeKind
from runbook.playbook.parser import parse_playbook

DATA = Path(__file__).parent / "data"


def test_example_from_the_format_doc_parses_completely():
    pb, errors = parse_playbook(DATA / "example.md")
    assert errors == []
    assert pb.id == "example"
    assert pb.start == "lease-health"
    assert pb.rules == ("R1", "R2")
    assert [v.name for v in pb.variables] == ["etcd_url", "service_prefix"]
    assert pb.variables[0].example == "http://127.0.0.1:2379"
    assert list(pb.nodes) == ["lease-health", "deploy", "probe-flapping", "lease-race"]
    kinds = {n.id: n.kind for n in pb.nodes.values()}
    assert kinds == {
        "lease-health": NodeKind.CHECK,
        "deploy": NodeKind.QUESTION,
        "probe-flapping": NodeKind.CONCLUSION,
        "lease-race": NodeKind.CONCLUSION,
    }


def test_the_example_in_the_doc_is_the_file_the_tests_load():
    doc = (Path(__file__).parents[2] / "docs" / "playbook-format.md").read_text()
    embedded = doc.split("````markdown\n", 1)[1].split("````", 1)[0]
    assert embedded == (DATA / "example.md").read_text()


def test_check_block_fields_and_lines():
    pb, _ = parse_playbook(DATA / "example.md")
    node = pb.nodes["lease-health"]
    (check,) = node.checks
    assert check.check_type == "etcd_lease_keepalive"
    assert check.params == {"etcd_url": "{{ etcd_url }}", "prefix": "{{ service_prefix }}"}
    assert check.timeout_s == 40.0
    assert check.verdicts == {"fail": "lease-race", "warn": "deploy", "ok": "deploy"}
    assert check.line == 25
    assert node.line == 20


def test_choices_with_loop_marker_and_lines():
    pb, _ = parse_playbook(DATA / "example.md")
    choices = pb.nodes["deploy"].choices
    assert [(c.label, c.ref, c.loop, c.line) for c in choices] == [
        ("Yes, roll it back and re-check", "example#lease-health", True, 42),
        ("No", "example#probe-flapping", False, 43),
    ]


def test_prose_excludes_blocks_and_choices():
    pb, _ = parse_playbook(DATA / "example.md")
    body = pb.nodes["lease-health"].body
    assert body.startswith("Registrations live on etcd leases.")
    assert "```" not in body and "[Leases" not in body


def test_conclusion_block():
    pb, _ = parse_playbook(DATA / "example.md")
    concl = pb.nodes["lease-race"].conclusion
    assert concl.rules == ("R1",)
    assert concl.fix.startswith("One lease per process")
    assert [(a.type, a.owner) for a in concl.actions] == [("mitigate", "on-call"), ("prevent", "service owner")]


def test_an_action_may_name_the_one_rule_it_answers_and_only_one_of_its_conclusion(tmp_path):
    text = """---
id: a
title: A
start: end
---
## End {#end}

```conclusion
rules: [R6, R7]
fix: Route calls through the SDK client.
actions:
  - text: Shed the bypassing traffic
    type: mitigate
    rule: R6
  - text: Lint raw ClientConn use
  - text: Page the database team
    rule: R9
```
"""
    pb, errors = parse_playbook(tmp_path / "a.md", text)
    assert [(a.text, a.rule) for a in pb.nodes["end"].conclusion.actions] == [
        ("Shed the bypassing traffic", "R6"),
        ("Lint raw ClientConn use", ""),
        ("Page the database team", "R9"),
    ]
    # the error points at the block's fence, as every conclusion-block error does
    assert [(e.line, e.message.split(": ", 1)[1]) for e in errors] == [
        (8, "conclusion block: action rule 'R9' is not one of this conclusion's rules (R6, R7)")
    ]


def test_cross_playbook_links_and_md_suffix(tmp_path):
    text = """---
id: a
title: A
start: one
---
## One {#one}

- [to b](b#x)
- [to c](c.md#y)
- [a web page](https://example.com/#frag)
"""
    pb, errors = parse_playbook(tmp_path / "a.md", text)
    assert errors == []
    assert [(c.playbook, c.node, c.local) for c in pb.nodes["one"].choices] == [("b", "x", False), ("c", "y", False)]
    assert "a web page" in pb.nodes["one"].body


def test_attrs_block_id_before_heading(tmp_path):
    text = '---\nid: a\ntitle: A\nstart: one\n---\n{#one}\n## First node\n\n- [x](#one "loop")\n'
    pb, errors = parse_playbook(tmp_path / "a.md", text)
    assert errors == []
    assert list(pb.nodes) == ["one"]
    assert pb.nodes["one"].title == "First node"


def test_unreadable_file_is_an_error_not_an_exception(tmp_path):
    path = tmp_path / "bin.md"
    path.write_bytes(b"\xff\xfe\x00garbage")
    pb, errors = parse_playbook(path)
    assert pb is None
    assert errors[0].message.startswith(f"{path}:1: cannot read file")
