"""Validation for issue #13: verdicts that may not conclude a rule, and the unexplained terminal."""

from pathlib import Path

from runbook.playbook.library import load_library
from runbook.playbook.validate import validate_library
from tests.playbook.test_validation_rules import write

CHECK = """## A {{#a}}

```check
type: label_cardinality
params:
  metrics_url: "{{{{ url }}}}"
verdicts:
  {verdict}: {target}
```

- [to b](#b)
- [to u](#u)

## B {{#b}}

```conclusion
rules: [R1]
fix: x
```

## U {{#u}}

```conclusion
kind: unexplained
rules: []
escalate: service owner
fix: escalate with the evidence
```
"""


def messages(tmp_path: Path) -> list[str]:
    lib = load_library([tmp_path])
    return [e.message for e in validate_library(lib, known_rules=("R1",))]


def test_unknown_straight_to_a_rule_is_rejected(tmp_path):
    p = write(tmp_path, CHECK.format(verdict="unknown", target="b"))
    assert messages(tmp_path) == [
        f"{p}:12: verdict 'unknown' points straight to conclusion 'b' [R1]; an unknown measured nothing, "
        "so it cannot conclude a rule: point it to a question node that asks a person to confirm "
        "(and links to the conclusion), or to a further check"
    ]


def test_fail_to_a_rule_and_warn_or_unknown_to_the_unexplained_terminal_are_fine(tmp_path):
    write(tmp_path, CHECK.format(verdict="fail", target="b"), id="f")
    write(tmp_path, CHECK.format(verdict="warn", target="u"), id="w")
    write(tmp_path, CHECK.format(verdict="unknown", target="u"), id="n")
    assert messages(tmp_path) == []


def test_unexplained_terminal_parses_with_no_rules_and_an_escalation(tmp_path):
    write(tmp_path, CHECK.format(verdict="ok", target="u"))
    node = load_library([tmp_path]).playbooks["t"].nodes["u"]
    assert node.conclusion is not None and node.conclusion.unexplained
    assert (node.conclusion.rules, node.conclusion.escalate) == ((), "service owner")


def test_unexplained_terminal_naming_a_rule_or_no_escalation_is_rejected(tmp_path):
    body = "## A {#a}\n\n```conclusion\nkind: unexplained\nrules: [R1]\nfix: x\n```\n"
    p = write(tmp_path, body)
    assert messages(tmp_path) == [
        f"{p}:12: conclusion block: an unexplained conclusion names no rule; write rules: [] "
        "(or use kind: cause to conclude a rule)",
        f"{p}:12: conclusion block: an unexplained conclusion needs 'escalate'; name the role that takes "
        "the incident next, e.g. escalate: service owner",
    ]


def test_unknown_conclusion_kind_is_rejected(tmp_path):
    p = write(tmp_path, "## A {#a}\n\n```conclusion\nkind: maybe\nrules: [R1]\nfix: x\n```\n")
    assert messages(tmp_path) == [f"{p}:12: conclusion block: kind 'maybe' must be one of: cause, unexplained"]


def test_shipped_playbooks_every_all_unknown_verdict_and_every_empty_sweep_can_reach_the_unexplained_terminal():
    """Every check block maps ``unknown``, and from its target an unexplained terminal is
    reachable without the deliberate loops (a loop back to triage would make it trivially so)."""
    import networkx as nx

    from runbook.config import shipped_playbooks_dir
    from runbook.playbook.graph import without_loops

    lib = load_library([shipped_playbooks_dir()])
    forward = without_loops(lib.graph)
    terminals = {
        n.ref for pb in lib.playbooks.values() for n in pb.nodes.values() if n.conclusion and n.conclusion.unexplained
    }
    assert terminals == {"triage#unexplained", "p0-1-discovery#etcd-sick"}
    stranded = []
    for pb in lib.playbooks.values():
        for node in pb.nodes.values():
            for i, block in enumerate(node.checks):
                target = block.verdicts.get("unknown")
                choice = node.choice_for(target) if target else None
                if choice is None or not (nx.descendants(forward, choice.ref) | {choice.ref}) & terminals:
                    stranded.append(f"{node.ref}#{i}")
    assert stranded == []
    sweep = lib.playbooks["triage"].nodes["sweep"]
    assert {b.verdicts["ok"] for b in sweep.checks} == {"unexplained"}
