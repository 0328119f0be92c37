"""Coverage of the shipped content: every rule is reachable from triage, concluded, confirmable
live by an embedded check, and linked both ways with its incident; everything validates."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import jinja2
import networkx as nx
import pytest

from runbook.checks.registry import all_checks, validate_params
from runbook.knowledge import load_knowledge, validate_links
from runbook.playbook.graph import without_loops
from runbook.playbook.library import load_library
from tests.knowledge.conftest import REPO, SHIPPED_INCIDENTS, SHIPPED_PLAYBOOKS

RULES = [f"R{i}" for i in range(1, 13)]
TRIAGE = "triage#start"


@pytest.fixture(scope="module")
def kb():
    kb, errors = load_knowledge([SHIPPED_INCIDENTS])
    assert errors == []
    return kb


@pytest.fixture(scope="module")
def lib():
    lib = load_library([SHIPPED_PLAYBOOKS])
    assert lib.errors == []
    return lib


def _conclusions(lib) -> dict[str, set[str]]:
    """rule -> refs of every conclusion node naming it."""
    out: dict[str, set[str]] = {}
    for pb in lib.playbooks.values():
        for node in pb.nodes.values():
            if node.conclusion is not None:
                for rule in node.conclusion.rules:
                    out.setdefault(rule, set()).add(node.ref)
    return out


def _with_examples(value: Any, examples: dict[str, str]) -> Any:
    if isinstance(value, str):
        return jinja2.Environment().from_string(value).render(**examples)
    if isinstance(value, dict):
        return {k: _with_examples(v, examples) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_examples(v, examples) for v in value]
    return value


def _target_ref(node, target: str) -> str:
    return target if "#" in target else f"{node.playbook}#{target}"


def test_every_rule_is_concluded_and_reachable_from_triage(lib):
    reachable = nx.descendants(lib.graph, TRIAGE) | {TRIAGE}
    concluded = _conclusions(lib)
    for rule in RULES:
        refs = concluded.get(rule, set())
        assert refs, f"no playbook conclusion names {rule}"
        assert refs & reachable, f"no conclusion naming {rule} is reachable from triage"


def test_every_playbook_node_is_reachable_from_triage(lib):
    reachable = nx.descendants(lib.graph, TRIAGE) | {TRIAGE}
    every = {node.ref for pb in lib.playbooks.values() for node in pb.nodes.values()}
    assert every - reachable == set()


def test_rule_records_list_exactly_the_conclusions_that_name_them(kb, lib):
    concluded = _conclusions(lib)
    for rule in kb.rules.values():
        assert set(rule.conclusions) == concluded.get(rule.id, set()), rule.id


def test_every_rule_has_an_embedded_check_that_confirms_it_live(kb, lib):
    """A check node reachable from triage whose fail verdict leads to a conclusion naming the
    rule, with a check type the rule record lists, and params valid for the registry."""
    registered = all_checks()
    g = lib.graph
    forward = without_loops(g)  # a loop back to triage would make every conclusion "reachable"
    reachable = nx.descendants(g, TRIAGE) | {TRIAGE}
    found: dict[str, list[str]] = {}
    for pb in lib.playbooks.values():
        examples = {v.name: v.example or "" for v in pb.variables}
        for node in pb.nodes.values():
            if node.ref not in reachable:
                continue
            for block in node.checks:
                assert block.check_type in registered, f"{node.ref}: check type {block.check_type!r} is not registered"
                params = _with_examples(block.params, examples)
                assert validate_params(block.check_type, params) == [], node.ref
                target = block.verdicts.get("fail")
                if target is None:
                    continue
                ref = _target_ref(node, target)
                downstream = nx.descendants(forward, ref) | {ref}
                for rule in RULES:
                    concl = [r for r in downstream if r in _conclusions(lib).get(rule, set())]
                    if concl and block.check_type in {c.type for c in kb.rules[rule].checks}:
                        found.setdefault(rule, []).append(f"{node.ref} ({block.check_type})")
    missing = [r for r in RULES if r not in found]
    assert missing == [], f"rules without a live check that leads to them: {missing}"


def test_rule_record_checks_validate_against_the_registry(kb):
    for rule in kb.rules.values():
        for check in rule.checks:
            assert validate_params(check.type, check.params) == [], f"{rule.id}: {check.type}"


def test_incidents_and_rules_link_both_ways(kb):
    for inc in kb.incidents.values():
        for rid in inc.rules:
            assert kb.rules[rid].incident == inc.id
    for rule in kb.rules.values():
        assert rule.id in kb.incidents[rule.incident].rules
    assert sorted(r for inc in kb.incidents.values() for r in inc.rules) == sorted(RULES)


def test_incidents_name_their_playbooks_and_the_links_validate(kb, lib):
    assert {inc.playbook for inc in kb.incidents.values()} == {"p0-1-discovery", "p0-2-breaking", "p0-3-observability"}
    assert validate_links(kb, lib) == []


def test_runbook_validate_is_clean():
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_")}
    proc = subprocess.run(
        [sys.executable, "-m", "runbook", "validate"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
