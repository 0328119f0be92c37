"""One test per validation rule: a broken fixture, the exact message and line."""

from pathlib import Path

import pytest

from runbook.playbook.library import load_library
from runbook.playbook.validate import validate_library

HEAD = """---
id: {id}
title: Test playbook
start: {start}
variables:
  - name: url
    description: an URL
    example: http://127.0.0.1:1
---
"""


def write(tmp_path: Path, body: str, *, id: str = "t", start: str = "a", name: str | None = None) -> Path:
    path = tmp_path / (name or f"{id}.md")
    path.write_text(HEAD.format(id=id, start=start) + body)
    return path


def messages(tmp_path: Path, known_rules=("R1", "R2")) -> list[str]:
    lib = load_library([tmp_path])
    return [e.message for e in validate_library(lib, known_rules=known_rules)]


def test_clean_playbook_has_no_errors(tmp_path):
    write(tmp_path, "## A {#a}\n\n- [to b](#b)\n\n## B {#b}\n\n```conclusion\nrules: [R1]\nfix: do it\n```\n")
    assert messages(tmp_path) == []


def test_dangling_link_same_file(tmp_path):
    p = write(tmp_path, "## A {#a}\n\n- [to b](#bb)\n\n## B {#b}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n")
    assert f"{p}:12: choice links to 'bb', which is not a node of 't'; link to one of: a, b" in messages(tmp_path)


def test_dangling_link_cross_file(tmp_path):
    p = write(tmp_path, "## A {#a}\n\n- [to other](other#nope)\n- [to missing](ghost#x)\n")
    write(tmp_path, "## X {#x}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n", id="other", start="x")
    msgs = messages(tmp_path)
    assert f"{p}:12: choice links to 'nope', which is not a node of playbook 'other'; link to one of: x" in msgs
    assert f"{p}:13: choice links to playbook 'ghost', which is not loaded; link to one of: other, t" in msgs


def test_start_node_missing(tmp_path):
    p = write(tmp_path, "## A {#a}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n", start="zz")
    assert f"{p}:4: start node 'zz' is not a node of 't'; set 'start' to one of: a" in messages(tmp_path)


def test_start_node_not_declared(tmp_path):
    p = tmp_path / "t.md"
    p.write_text("---\nid: t\ntitle: T\n---\n## A {#a}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n")
    assert f"{p}:1: front matter: 'start' is missing; add 'start: ...'" in messages(tmp_path)


def test_unreachable_node(tmp_path):
    p = write(tmp_path, "## A {#a}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n\n## Orphan {#orphan}\n\n- [a](#a)\n")
    assert (
        f"{p}:17: node 'orphan' is not reachable from the start node 'a'; link to it from a choice or remove it"
        in messages(tmp_path)
    )


def test_node_reached_from_another_playbook_is_an_entry_point(tmp_path):
    write(tmp_path, "## A {#a}\n\n- [to t2](t2#deep)\n", id="t")
    write(
        tmp_path,
        "## S {#s}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n\n## Deep {#deep}\n\n- [s](#s)\n",
        id="t2",
        start="s",
    )
    assert messages(tmp_path) == []


def test_dead_end(tmp_path):
    p = write(tmp_path, "## A {#a}\n\n- [b](#b)\n\n## B {#b}\n\nJust prose.\n")
    assert (
        f"{p}:14: node 'b' has no choices and no conclusion (a dead end); "
        "add choices ('- [label](#node-id)') or a conclusion block"
    ) in messages(tmp_path)


def test_conclusion_with_choices(tmp_path):
    p = write(tmp_path, '## A {#a}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n\n- [again](#a "loop")\n')
    assert (
        f"{p}:17: conclusion node 'a' has choices; a conclusion ends the walk, "
        "so move the choices to a question node or remove them"
    ) in messages(tmp_path)


def test_unknown_rule(tmp_path):
    p = write(tmp_path, "## A {#a}\n\n```conclusion\nrules: [R99]\nfix: x\n```\n")
    assert f"{p}:12: conclusion names unknown rule 'R99'; known rules: R1, R2" in messages(tmp_path)


def test_conclusion_without_rules(tmp_path):
    p = write(tmp_path, "## A {#a}\n\n```conclusion\nfix: x\n```\n")
    assert f"{p}:12: conclusion block: 'rules' is missing; name at least one rule id, e.g. rules: [R1]" in messages(
        tmp_path
    )


def test_cycle_without_loop_marker(tmp_path):
    p = write(
        tmp_path,
        "## A {#a}\n\n- [b](#b)\n- [end](#c)\n\n## B {#b}\n\n- [back](#a)\n\n"
        "## C {#c}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n",
    )
    assert messages(tmp_path) == [
        f'{p}:17: cycle a -> b -> a; if it is deliberate, mark the edge back as a loop with the link title "loop"; otherwise remove it'
    ]


def test_cycle_with_loop_marker_is_allowed(tmp_path):
    write(
        tmp_path,
        '## A {#a}\n\n- [b](#b)\n- [end](#c)\n\n## B {#b}\n\n- [back](#a "loop")\n\n'
        "## C {#c}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n",
    )
    assert messages(tmp_path) == []


def test_undeclared_variable(tmp_path):
    p = write(
        tmp_path,
        '## A {#a}\n\n```check\ntype: http_probe_flapping\nparams:\n  url: "{{ ur }}/health"\n'
        "verdicts:\n  ok: b\n```\n\n- [b](#b)\n\n## B {#b}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n",
    )
    assert (
        f"{p}:12: check 'http_probe_flapping' uses undeclared variable 'ur'; "
        "declare it under 'variables' in the front matter"
    ) in messages(tmp_path)


def test_verdict_pointing_to_no_choice(tmp_path):
    p = write(
        tmp_path,
        '## A {#a}\n\n```check\ntype: http_probe_flapping\nparams:\n  url: "{{ url }}"\n'
        "verdicts:\n  fail: nowhere\n```\n\n- [b](#b)\n\n## B {#b}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n",
    )
    assert (
        f"{p}:12: verdict 'fail' points to 'nowhere', which is not a choice of node 'a'; point it to one of: b"
    ) in messages(tmp_path)


def test_not_a_verdict(tmp_path):
    p = write(
        tmp_path,
        "## A {#a}\n\n```check\ntype: x\nverdicts:\n  broken: b\n```\n\n- [b](#b)\n\n"
        "## B {#b}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n",
    )
    assert f"{p}:12: check block: 'broken' is not a verdict; use ok, warn, fail or unknown" in messages(tmp_path)


def test_check_block_without_type(tmp_path):
    p = write(
        tmp_path,
        "## A {#a}\n\n```check\nparams: {}\n```\n\n- [b](#b)\n\n## B {#b}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n",
    )
    assert f"{p}:12: check block: 'type' is missing; name a check type from 'runbook checks'" in messages(tmp_path)


def test_invalid_yaml_in_check_block_points_at_the_line(tmp_path):
    p = write(
        tmp_path,
        "## A {#a}\n\n```check\ntype: x\nparams: [unclosed\n```\n\n- [b](#b)\n\n"
        "## B {#b}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n",
    )
    msgs = messages(tmp_path)
    assert any(m.startswith(f"{p}:15: check block: invalid YAML") for m in msgs), msgs


def test_duplicate_node_id(tmp_path):
    p = write(
        tmp_path,
        "## A {#a}\n\n- [b](#b)\n\n## B {#b}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n\n"
        "## B again {#b}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n",
    )
    assert f"{p}:21: duplicate node id 'b' (first at line 14); give each node its own id" in messages(tmp_path)


def test_heading_without_id(tmp_path):
    p = write(tmp_path, "## A {#a}\n\n- [b](#b)\n\n## B\n\n```conclusion\nrules: [R1]\nfix: x\n```\n")
    assert f"{p}:14: heading 'B' has no node id; end it with {{#some-id}}" in messages(tmp_path)


def test_duplicate_playbook_id(tmp_path):
    write(tmp_path, "## A {#a}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n", name="one.md")
    p2 = write(tmp_path, "## A {#a}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n", name="two.md")
    assert any(m.startswith(f"{p2}:1: playbook id 't' is already used by") for m in messages(tmp_path))


def test_no_front_matter(tmp_path):
    p = tmp_path / "x.md"
    p.write_text("## A {#a}\n")
    assert messages(tmp_path) == [
        f"{p}:1: no front matter; start the file with a '---' YAML block holding id, title and start"
    ]


def test_one_broken_playbook_does_not_stop_the_others(tmp_path):
    write(tmp_path, "## A {#a}\n\n```conclusion\nrules: [R1]\nfix: x\n```\n", id="good", start="a")
    (tmp_path / "broken.md").write_text("---\nid: [unclosed\n---\n## A {#a}\n")
    lib = load_library([tmp_path])
    assert "good" in lib.playbooks
    errors = validate_library(lib, known_rules={"R1"})
    assert [e.path for e in errors] == [str(tmp_path / "broken.md")]


@pytest.mark.parametrize("href", ["#a", "t#a", "t.md#a"])
def test_link_spellings_resolve(tmp_path, href):
    write(tmp_path, f'## A {{#a}}\n\n- [b](#b)\n\n## B {{#b}}\n\n- [again]({href} "loop")\n')
    assert messages(tmp_path) == []
