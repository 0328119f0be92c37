"""Proposed actions carry the rule they answer: the action's own `rule:` when the playbook names
one, else every rule of its conclusion (never the first passed off as the only one)."""

from __future__ import annotations

from pathlib import Path

from runbook.config import Settings
from runbook.record import repo
from runbook.record.db import open_session
from runbook.services import build_services

REPO = Path(__file__).resolve().parents[2]


def test_an_action_naming_its_rule_is_proposed_under_that_rule_alone(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    text = (REPO / "playbooks" / "p0-2-breaking.md").read_text(encoding="utf-8")
    lint = "  - text: Move the call onto the SDK client and add a lint rule against http.DefaultClient"
    assert lint in text
    text = text.replace(
        "    owner: service owner\n```\n\n## Does UNAVAILABLE",
        "    owner: service owner\n    rule: R7\n```\n\n## Does UNAVAILABLE",
        1,
    )
    assert "rule: R7" in text
    (team / "p0-2-breaking.md").write_text(text, encoding="utf-8")
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'r.db'}",
        playbook_dirs=(REPO / "playbooks", team),
        incident_dirs=(REPO / "incidents",),
        author="tester",
    )
    services = build_services(settings)
    with open_session(services.engine) as s:
        iid = repo.create_incident(session=s, title="Checkout calls bypass the SDK", severity="P1").id
        step = repo.add_step(iid, "p0-2-breaking", "sdk-bypass", session=s)
        repo.add_conclusion(
            iid,
            rule_ids=["R6", "R7"],
            title="sdk bypass",
            playbook_id="p0-2-breaking",
            node_id="sdk-bypass",
            step_id=step.id,
            session=s,
        )
    proposals = services.proposed_actions(iid)
    assert [(p.type, p.rule) for p in proposals] == [("mitigate", "R6, R7"), ("prevent", "R7")]
    services.accept_action(iid, proposals[1].key)
    assert [(a.text[:18], a.rule) for a in services.action_items(iid)] == [("Move the call onto", "R7")]
