"""Loading knowledge records: round trips, sections, and path:line errors for broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook.errors import NotFoundError
from runbook.knowledge import IncidentRecord, Rule, load_knowledge
from tests.knowledge.conftest import SHIPPED_INCIDENTS, cause_text, incident_text, rule_text


def _messages(errors, root: Path) -> list[str]:
    return [e.message.replace(str(root) + "/", "") for e in errors]


def test_shipped_knowledge_loads_clean():
    kb, errors = load_knowledge([SHIPPED_INCIDENTS])
    assert errors == []
    assert sorted(kb.rule_ids(), key=lambda r: int(r[1:])) == [f"R{i}" for i in range(1, 13)]
    assert sorted(kb.incidents) == ["P0-1", "P0-2", "P0-3"]
    assert {"C1", "C2", "C3", "S1", "S2", "S3", "symptom-table"} <= set(kb.causes)
    assert {"G1", "G2"} <= set(kb.governance)


def test_every_rule_shows_anti_pattern_fix_and_live_detection():
    kb, _ = load_knowledge([SHIPPED_INCIDENTS])
    for rule in kb.rules.values():
        assert "```go" in rule.section("Anti-pattern"), rule.id
        assert "```go" in rule.section("Fix"), rule.id
        assert rule.section("How to detect it live"), rule.id
        assert rule.checks, rule.id
        assert rule.section("Corrections to the source") is not None, rule.id


def test_source_corrections_are_stated_with_evidence():
    kb, _ = load_knowledge([SHIPPED_INCIDENTS])
    r3 = kb.rules["R3"].section("Corrections to the source")
    assert "no answer cache" in r3 and "NSD" in r3 and "dnsmasq" in r3
    r8 = kb.rules["R8"].section("Corrections to the source")
    assert "(0.1, 0.2]" in r8 and "{0.05, 1, 5}" in r8 and "0.9525" in r8


def test_incident_action_items_are_parsed_from_the_table():
    kb, _ = load_knowledge([SHIPPED_INCIDENTS])
    for inc in kb.incidents.values():
        kinds = {a.type for a in inc.actions}
        assert kinds == {"mitigate", "prevent"}, inc.id
        assert all(a.owner for a in inc.actions)
        assert inc.timeline == "illustrative"
        assert inc.severity == "P0"


def test_round_trip_of_a_written_rule_and_incident(tree):
    tree("rules/R1.md", rule_text())
    tree("p0/P0-1.md", incident_text())
    tree("causes/C1.md", cause_text())
    kb, errors = load_knowledge([tree.root])
    assert errors == []
    rule = kb.rules["R1"]
    assert isinstance(rule, Rule)
    assert (rule.id, rule.title, rule.incident, rule.section_ref) == ("R1", "Rule R1", "P0-1", "2.1")
    assert rule.failure_mode == "Something breaks."
    assert rule.conclusions == ("pb#end",)
    assert rule.causes == ("C1",)
    assert rule.checks[0].type == "go_source_scan" and rule.checks[0].params == {"path": "./src"}
    assert rule.section("fix") == "```go\nfunc good() {}\n```"
    assert rule.section("No such section") is None
    assert rule.section_titles[0] == "Failure mode"
    assert rule.line_of("incident") == 4
    inc = kb.incidents["P0-1"]
    assert isinstance(inc, IncidentRecord)
    assert inc.rules == ("R1",) and inc.playbook == "pb"
    assert [(a.text, a.type, a.owner) for a in inc.actions] == [
        ("Restart it", "mitigate", "on-call"),
        ("Fix it", "prevent", "service owner"),
    ]
    assert kb.get("c1").kind == "cause"
    with pytest.raises(NotFoundError, match="no knowledge record 'R99'"):
        kb.get("R99")


def test_missing_front_matter_is_reported_at_line_1(tree):
    tree("rules/R1.md", "# R1\n\nNo front matter.\n")
    kb, errors = load_knowledge([tree.root])
    assert _messages(errors, tree.root) == [
        "rules/R1.md:1: no front matter; start the file with YAML between '---' lines"
    ]
    assert kb.rules == {}


def test_yaml_error_points_at_its_line(tree):
    tree("rules/R1.md", "---\nid: R1\ntitle: [unclosed\nincident: P0-1\n---\n# R1\n")
    _, errors = load_knowledge([tree.root])
    assert len(errors) == 1
    msg = errors[0].message
    assert msg.startswith(f"{tree.root}/rules/R1.md:4: front matter is not valid YAML")
    assert msg.endswith("; fix the YAML syntax")


def test_front_matter_that_is_not_a_mapping(tree):
    tree("rules/R1.md", "---\n- a\n- b\n---\n# R1\n")
    _, errors = load_knowledge([tree.root])
    assert _messages(errors, tree.root) == [
        "rules/R1.md:1: front matter must be a YAML mapping of keys (id: ..., title: ...)"
    ]


def test_missing_keys_sections_and_code_are_each_reported(tree):
    text = rule_text().replace("incident: P0-1\n", "").replace("```go\nfunc good() {}\n```", "Just prose.")
    text = text.replace("## Why it happens\n\nBecause.\n\n", "")
    tree("rules/R1.md", text)
    kb, errors = load_knowledge([tree.root])
    msgs = _messages(errors, tree.root)
    lines = text.splitlines()
    body = lines.index("---", 1) + 2  # the first line after the front matter
    fix = lines.index("## Fix") + 1
    assert (
        f"rules/R1.md:{body}: section '## Why it happens' is missing; add it (sections: Failure mode, Anti-pattern, Fix, Why it happens, How to detect it live, Corrections to the source)"
        in msgs
    )
    assert f"rules/R1.md:{fix}: section 'Fix' has no Go code block; add the code in a ```go fence" in msgs
    assert "rules/R1.md:1: front matter: 'incident' is missing; add incident: ..." in msgs
    assert len(msgs) == 3
    assert "R1" in kb.rules  # a record with problems still loads, so links to it resolve


def test_id_must_match_file_name(tree):
    tree("rules/R13.md", rule_text("R31"))
    _, errors = load_knowledge([tree.root])
    assert _messages(errors, tree.root) == [
        "rules/R13.md:2: id 'R31' differs from the file name 'R13.md'; name the file R31.md or change the id"
    ]


def test_bad_action_item_row_points_at_the_row(tree):
    text = incident_text().replace("| Fix it | prevent | service owner |", "| Fix it | fix | service owner |")
    tree("p0/P0-1.md", text)
    kb, errors = load_knowledge([tree.root])
    row = text.splitlines().index("| Fix it | fix | service owner |") + 1
    assert _messages(errors, tree.root) == [
        f"p0/P0-1.md:{row}: action item type 'fix' is not one of: mitigate, prevent"
    ]
    assert [a.text for a in kb.incidents["P0-1"].actions] == ["Restart it"]


def test_one_broken_file_never_stops_the_others(tree):
    tree("rules/R1.md", "---\nid: [\n---\n")
    tree("rules/R2.md", rule_text("R2"))
    tree("p0/P0-1.md", incident_text(rules="[R2]"))
    kb, errors = load_knowledge([tree.root])
    assert len(errors) == 1 and errors[0].path.endswith("rules/R1.md")
    assert set(kb.rules) == {"R2"} and set(kb.incidents) == {"P0-1"}


def test_a_later_directory_overrides_a_record_and_says_what_it_replaced(tree, tmp_path):
    """Directories are layers (#15): the team's R1 replaces the shipped one; the same directory
    given twice is one layer, never a duplicate of itself."""
    tree("rules/R1.md", rule_text())
    other = tmp_path / "team" / "rules"
    other.mkdir(parents=True)
    (other / "R1.md").write_text(rule_text().replace("title: Rule R1", "title: Team R1"), encoding="utf-8")
    kb, errors = load_knowledge([tree.root, tmp_path / "team", tree.root, tmp_path / "team" / ".." / "team"])
    assert errors == []
    assert kb.rules["R1"].title == "Team R1"
    origin = kb.origins["R1"]
    assert (origin.path, origin.layer, origin.overrides) == (other / "R1.md", 1, (tree.root / "rules" / "R1.md",))


def test_an_id_used_by_two_kinds_in_different_layers_is_still_an_error(tree, tmp_path):
    tree("rules/R1.md", rule_text())
    (tmp_path / "team" / "causes").mkdir(parents=True)
    (tmp_path / "team" / "causes" / "R1.md").write_text("---\nid: R1\ntitle: A cause\n---\n# R1\n")
    kb, errors = load_knowledge([tree.root, tmp_path / "team"])
    assert kb.rules["R1"].title == "Rule R1" and "R1" not in kb.causes
    assert [e.message for e in errors] == [
        f"{tmp_path / 'team' / 'causes' / 'R1.md'}:2: record id 'R1' is already used by "
        f"{tree.root / 'rules' / 'R1.md'}; give this record its own id"
    ]


def test_drills_and_readmes_are_not_knowledge(tree):
    tree("drills/anything.md", "not a knowledge record at all")
    tree("rules/README.md", "# About rules\n")
    tree("rules/R1.md", rule_text())
    kb, errors = load_knowledge([tree.root])
    assert errors == [] and set(kb.rules) == {"R1"}


def test_unreadable_bytes_are_an_error_not_a_crash(tree):
    path = tree("rules/R1.md", "")
    path.write_bytes(b"---\nid: R1\n\xff\xfe\n---\n")
    _, errors = load_knowledge([tree.root])
    assert _messages(errors, tree.root) == ["rules/R1.md:1: the file is not UTF-8 text; save it as UTF-8"]


def test_missing_directories_load_nothing(tmp_path):
    kb, errors = load_knowledge([tmp_path / "nowhere"])
    assert errors == [] and kb.records() == []


def test_team_rule_ids_load_and_sort_and_a_malformed_one_is_reported(tree):
    """A team's own scheme (#15): TEAM-1, PAY12 load and sort by their number; an id that does
    not end in a number cannot be sorted with the others and is an error."""
    from runbook.rule_ids import rule_sort_key

    for rid in ("TEAM-10", "TEAM-2", "PAY12", "bad-rule"):
        tree(f"rules/{rid}.md", rule_text(rid))
    kb, errors = load_knowledge([tree.root])
    assert sorted(kb.rules, key=rule_sort_key) == ["PAY12", "TEAM-2", "TEAM-10", "bad-rule"]
    assert [e.message for e in errors] == [
        f"{tree.root / 'rules' / 'bad-rule.md'}:2: rule id 'bad-rule' is not a rule id; use capitals and digits "
        "ending in a number (R13, TEAM-1, PAY12)"
    ]
