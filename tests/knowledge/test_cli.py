"""The knowledge commands: rules, incidents and show, as a user runs them."""

from __future__ import annotations

import json

import pytest

from runbook.cli import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rules_json_lists_the_twelve_rules_in_order(capsys):
    code, out, _ = _run(capsys, "rules", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [r["id"] for r in rows] == [f"R{i}" for i in range(1, 13)]
    r3 = rows[2]
    assert r3["incident"] == "P0-1" and r3["section"] == "2.3"
    assert "dns_rr_effectiveness" in r3["checks"]
    assert "p0-1-discovery#dns-fixed-order" in r3["conclusions"]


def test_rules_table_for_the_terminal(capsys):
    code, out, _ = _run(capsys, "rules")
    assert code == 0 and "12 rules" in out and "R12" in out


def test_incidents_json(capsys):
    code, out, _ = _run(capsys, "incidents", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [(r["id"], r["severity"], r["playbook"]) for r in rows] == [
        ("P0-1", "P0", "p0-1-discovery"),
        ("P0-2", "P0", "p0-2-breaking"),
        ("P0-3", "P0", "p0-3-observability"),
    ]
    assert rows[1]["rules"] == ["R6", "R7", "R8"] and rows[1]["actions"] > 0


def test_show_rule_renders_anti_pattern_fix_and_detection(capsys):
    code, out, _ = _run(capsys, "show", "R5")
    assert code == 0
    for text in ("Anti-pattern", "sync.Pool", "Fix", "How to detect it live", "connection_leak"):
        assert text in out


def test_show_rule_json_has_sections_and_checks(capsys):
    code, out, _ = _run(capsys, "show", "r8", "--json")
    data = json.loads(out)
    assert code == 0 and data["id"] == "R8" and data["kind"] == "rule"
    assert "(0.1, 0.2]" in data["sections"]["Corrections to the source"]
    assert data["checks"][0]["type"] == "histogram_bucket_quality"


def test_show_incident_json_has_structured_actions(capsys):
    code, out, _ = _run(capsys, "show", "P0-3", "--json")
    data = json.loads(out)
    assert code == 0 and data["rules"] == ["R9", "R10", "R11", "R12"]
    assert {a["type"] for a in data["actions"]} == {"mitigate", "prevent"}


def test_show_playbook_node(capsys):
    code, out, _ = _run(capsys, "show", "p0-1-discovery#lease-race", "--json")
    data = json.loads(out)
    assert code == 0 and data["kind"] == "conclusion"
    assert data["conclusion"]["rules"] == ["R1"]
    code, out, _ = _run(capsys, "show", "p0-1-discovery#lease-health")
    assert code == 0 and "etcd_lease_keepalive" in out and "etcd-health" in out


@pytest.mark.parametrize(
    ("ident", "message"),
    [
        ("R99", "runbook: no knowledge record 'R99'; known ids: R1, "),
        (
            "nowhere#x",
            "runbook: no playbook 'nowhere'; known playbooks: p0-1-discovery, p0-2-breaking, p0-3-observability, triage",
        ),
        ("triage#nope", "runbook: playbook 'triage' has no node 'nope'"),
    ],
)
def test_show_unknown_id_is_a_clear_error(capsys, ident, message):
    code, out, err = _run(capsys, "show", ident)
    assert code == 2 and out == ""
    assert err.startswith(message)
