"""Cross-link validation: rules and incidents name each other, causes exist, conclusions resolve."""

from __future__ import annotations

from pathlib import Path

from runbook.knowledge import load_knowledge, validate_links
from runbook.playbook.library import load_library
from tests.knowledge.conftest import PLAYBOOK, cause_text, incident_text, rule_text


def _setup(tree, tmp_path: Path, *, rule=None, incident=None, cause=None, playbook=PLAYBOOK):
    tree("rules/R1.md", rule or rule_text())
    tree("p0/P0-1.md", incident or incident_text())
    tree("causes/C1.md", cause or cause_text())
    pb_dir = tmp_path / "playbooks"
    pb_dir.mkdir(exist_ok=True)
    (pb_dir / "pb.md").write_text(playbook, encoding="utf-8")
    kb, errors = load_knowledge([tree.root])
    assert errors == []
    lib = load_library([pb_dir])
    assert lib.errors == []
    return kb, lib


def _messages(errors, root: Path) -> list[str]:
    return [e.message.replace(str(root) + "/", "") for e in errors]


def test_consistent_tree_has_no_link_errors(tree, tmp_path):
    kb, lib = _setup(tree, tmp_path)
    assert validate_links(kb, lib, check_params=False) == []


def test_rule_naming_an_incident_that_does_not_list_it(tree, tmp_path):
    kb, lib = _setup(tree, tmp_path, incident=incident_text(rules="[]"))
    assert _messages(validate_links(kb, lib, check_params=False), tree.root) == [
        "rules/R1.md:4: rule R1 names incident P0-1, but P0-1 does not list R1 under 'rules'; add it there"
    ]


def test_unknown_incident_rule_and_cause(tree, tmp_path):
    kb, lib = _setup(
        tree,
        tmp_path,
        rule=rule_text(incident="P0-9", causes="[C9]"),
        incident=incident_text(rules="[R1, R7]", causes="[C1]"),
    )
    msgs = _messages(validate_links(kb, lib, check_params=False), tree.root)
    assert msgs == [
        "rules/R1.md:4: rule R1 names incident 'P0-9', which is not in the knowledge base; known: P0-1",
        "rules/R1.md:12: rule R1 names cause 'C9', which is not in incidents/causes/; known: C1",
        "p0/P0-1.md:5: incident P0-1 lists rule R1, but R1 says it comes from 'P0-9'; make them agree",
        "p0/P0-1.md:5: incident P0-1 names rule 'R7', which is not in incidents/rules/; known: R1",
    ]


def test_conclusion_refs_must_be_conclusion_nodes_naming_the_rule(tree, tmp_path):
    kb, lib = _setup(tree, tmp_path, rule=rule_text(conclusions="[pb#begin, pb#nowhere, other#end, pb, pb#end]"))
    msgs = _messages(validate_links(kb, lib, check_params=False), tree.root)
    assert msgs == [
        "rules/R1.md:11: conclusion 'pb#begin' is not a conclusion node; link a node with a conclusion block",
        "rules/R1.md:11: conclusion 'pb#nowhere': playbook 'pb' has no node 'nowhere'",
        "rules/R1.md:11: conclusion 'other#end': no playbook 'other'; known: pb",
        "rules/R1.md:11: conclusion 'pb' is not a node reference; write playbook#node",
    ]


def test_conclusion_that_names_another_rule(tree, tmp_path):
    kb, lib = _setup(tree, tmp_path, playbook=PLAYBOOK.replace("rules: [R1]", "rules: [R2]"))
    assert _messages(validate_links(kb, lib, check_params=False), tree.root) == [
        "rules/R1.md:11: conclusion 'pb#end' does not name R1 in its rules; add R1 there or drop the link"
    ]


def test_incident_playbook_and_cause_links(tree, tmp_path):
    kb, lib = _setup(
        tree, tmp_path, incident=incident_text(playbook="p0-9"), cause=cause_text(rules="[R1, R5]", incidents="[P0-4]")
    )
    msgs = _messages(validate_links(kb, lib, check_params=False), tree.root)
    assert msgs == [
        "p0/P0-1.md:7: incident P0-1 names playbook 'p0-9', which is not loaded; known: pb",
        "causes/C1.md:6: C1 names rule 'R5', which is not in incidents/rules/; known: R1",
        "causes/C1.md:7: C1 names incident 'P0-4', which is not in incidents/p0/; known: P0-1",
    ]


def test_rule_checks_are_validated_with_the_given_validator(tree, tmp_path):
    kb, lib = _setup(tree, tmp_path)
    seen = []

    def validator(check_type, params):
        seen.append((check_type, dict(params)))
        return ["unknown parameter 'path'"]

    msgs = _messages(validate_links(kb, lib, param_validator=validator), tree.root)
    assert seen == [("go_source_scan", {"path": "./src"})]
    assert msgs == ["rules/R1.md:7: rule R1: check 'go_source_scan': unknown parameter 'path'"]


def test_without_a_library_only_record_links_are_checked(tree, tmp_path):
    kb, _ = _setup(tree, tmp_path, rule=rule_text(conclusions="[nowhere#x]"))
    assert validate_links(kb, None, check_params=False) == []
