"""A team's first days (#15), as a new user tries them: ``runbook init``, a walk that is none of
the twelve rules against a real nginx, ``incident close``, ``runbook learn``, the next similar
incident, search, and a replay drill recorded from the real incident."""

from __future__ import annotations

import json

import pytest

from runbook.knowledge import load_knowledge, validate_links
from runbook.playbook.library import load_library
from tests.team.conftest import SHIPPED_INCIDENTS, SHIPPED_PLAYBOOKS


@pytest.fixture()
def team(cli, tmp_path, monkeypatch):
    directory = tmp_path / "team"
    code, _, err = cli("init", str(directory))
    assert code == 0, err
    monkeypatch.setenv("RUNBOOK_CONFIG", str(directory / "config.toml"))
    return directory


def test_init_writes_a_team_directory_that_validates(cli, team, tmp_path):
    assert sorted(str(p.relative_to(team)) for p in team.rglob("*") if p.is_file()) == [
        "README.md",
        "config.toml",
        "incidents/postmortems/EXAMPLE-1.md",
        "incidents/rules/TEAM-1.md",
        "playbooks/team-example.md",
        "playbooks/triage.md",
    ]
    code, out, err = cli("validate")
    assert (code, out) == (0, ""), out + err
    code, out, err = cli("validate", str(team))
    assert (code, out) == (0, ""), out + err
    triage = next(r for r in cli.json("playbooks") if r["id"] == "triage")
    assert (triage["layer"], triage["overrides"]) == ("config", [str(SHIPPED_PLAYBOOKS / "triage.md")])
    assert "TEAM-1" in {r["id"] for r in cli.json("rules")}
    readme = (team / "README.md").read_text(encoding="utf-8")
    assert "replaces" in readme and "RUNBOOK_PLAYBOOKS" in readme
    # a second init does not overwrite the team's edits
    code, _, err = cli("init", str(team))
    assert code == 1 and "already exists" in err and "--force" in err
    # the loaders alone agree: the team rule and its postmortem name each other
    kb, errors = load_knowledge([SHIPPED_INCIDENTS, team / "incidents"])
    lib = load_library([SHIPPED_PLAYBOOKS, team / "playbooks"])
    assert errors == [] and validate_links(kb, lib) == []
    assert kb.rules["TEAM-1"].incident == "EXAMPLE-1" and kb.incidents["EXAMPLE-1"].rules == ("TEAM-1",)


def _walk(cli, *choose: str, title: str, health_url: str) -> dict:
    args = ["walk", "triage", "--title", title, "--var", f"health_url={health_url}", "--auto", "--quiet", "--json"]
    for c in choose:
        args += ["--choose", c]
    code, out, err = cli(*args)
    assert code in (0, 4), err  # 4: ended unexplained
    return json.loads(out)


def test_learn_from_an_incident_none_of_the_rules_explain_then_the_next_one_shows_it(cli, team, nginx):
    health = nginx.url("/health")
    # The probe really runs against nginx; the responder, not its verdict, decides that the push
    # is not it (on a busy machine the verdict may be a slow-probe warn), so the path is fixed.
    first = _walk(
        cli,
        "start=team-example#start",
        "team-example#start=probe",
        "team-example#probe=triage#unexplained",
        title="Checkout 5xx after the pool resize",
        health_url=health,
    )
    assert [s["ref"] for s in first["path"]][-2:] == ["team-example#probe", "triage#unexplained"], first["path"]
    probe = first["path"][-2]["checks"]
    assert [c["check_type"] for c in probe] == ["http_probe_flapping"] and probe[0]["verdict"] in ("ok", "warn", "fail")
    code, out, err = cli("incident", "close", "INC-0001", "--note", "pool size reverted")
    assert code == 0, err
    code, out, err = cli("learn", "INC-0001", "--json")
    assert code == 0, err
    learned = json.loads(out)
    assert learned["rules"] == ["TEAM-2"] and learned["errors"] == []
    assert learned["record"] == str(team / "incidents" / "postmortems" / "INC-0001.md")
    assert learned["draft_rule"] == str(team / "incidents" / "rules" / "TEAM-2.md")
    assert learned["branch"] == {
        "playbook": str(team / "playbooks" / "team-example.md"),
        "node": "team-example#team-2",
        "from": "team-example#probe",
        "copied_from": None,
    }
    # valid as written, and linked both ways
    code, out, err = cli("validate")
    assert (code, out) == (0, ""), out + err
    kb, errors = load_knowledge([SHIPPED_INCIDENTS, team / "incidents"])
    assert errors == []
    rule, record = kb.rules["TEAM-2"], kb.incidents["INC-0001"]
    assert rule.incident == "INC-0001" and record.rules == ("TEAM-2",) and rule.conclusions == ("team-example#team-2",)
    assert record.playbook == "team-example" and record.timeline == "recorded"
    assert [c.type for c in rule.checks] == ["http_probe_flapping"] and rule.checks[0].params["url"] == health
    for section in ("Timeline", "Root causes", "Action items", "Findings"):
        assert record.section(section), section
    assert "Branch taken" in (record.section("Timeline") or "")
    # learning again is refused unless forced
    assert cli("learn", "INC-0001")[0] == 1

    second = _walk(
        cli,
        "start=team-example#start",
        "team-example#start=probe",
        "team-example#probe=team-2",
        title="Checkout 5xx again",
        health_url=health,
    )
    assert second["path"][-1]["ref"] == "team-example#team-2"
    assert [c["rules"] for c in second["conclusions"]] == [["TEAM-2"]]
    similar = {(s["source"], s["ref"]): s["reason"] for s in second["similar"]}
    assert similar[("knowledge", "INC-0001")] == "knowledge base; same rules: TEAM-2"
    code, out, err = cli("search", "pool resize", "--json")
    hits = {(h["kind"], h["ref"]) for h in json.loads(out)}
    assert {("kb_record", "INC-0001"), ("rule", "TEAM-2"), ("playbook_node", "team-example#team-2")} <= hits, hits

    # a drill from the real incident replays to the conclusion it was learned to have
    code, out, err = cli("drill", "record", "--from", "INC-0001")
    assert code == 0, err
    scenario = team / "incidents" / "drills" / "inc-0001.md"
    recording = json.loads((team / "incidents" / "drills" / "recordings" / "inc-0001.json").read_text())
    assert list(recording["by_block"]) == ["team-example#probe#0"]
    assert recording["by_block"]["team-example#probe#0"]["verdict"] == probe[0]["verdict"]
    assert recording["variables"]["health_url"] == health
    code, out, err = cli("validate")
    assert (code, out) == (0, ""), out + err
    assert "truth:\n- TEAM-2" in scenario.read_text()
    run = cli.json(
        "drill",
        "run",
        "inc-0001",
        "--replay",
        "--auto",
        "--choose",
        "start=team-example#start",
        "--choose",
        "team-example#start=probe",
        "--choose",
        "team-example#probe=team-2",
    )
    assert run["conclusions"] == [["TEAM-2"]] and run["score"]["total"] == 100, run
    assert run["score"]["checks_run"] == 1
    code, _, err = cli("drill", "run", "inc-0001", "--live", "--auto")
    assert code == 3 and "replays a recorded incident and has no lab; run it with --replay" in err


def test_learn_from_an_incident_that_concluded_a_known_rule_writes_only_the_record(cli, team, nginx):
    """The responder overrode the probe's ok and concluded TEAM-1: a recurrence of a known rule,
    so no draft rule and no branch; the record names TEAM-1, whose own incident still anchors it."""
    walked = _walk(
        cli,
        "start=team-example#start",
        "team-example#start=probe",
        "team-example#probe=bad-config",
        title="Config push broke checkout",
        health_url=nginx.url("/health"),
    )
    assert [c["rules"] for c in walked["conclusions"]] == [["TEAM-1"]]
    assert ("knowledge", "EXAMPLE-1") in {(s["source"], s["ref"]) for s in walked["similar"]}
    before = sorted(p.relative_to(team) for p in (team / "playbooks").iterdir())
    assert cli("incident", "close", "INC-0001")[0] == 0
    learned = cli.json("learn", "INC-0001")
    assert learned["rules"] == ["TEAM-1"] and learned["draft_rule"] is None and learned["branch"] is None
    assert sorted(p.relative_to(team) for p in (team / "playbooks").iterdir()) == before
    code, out, err = cli("validate")
    assert (code, out) == (0, ""), out + err
    rows = {r["id"]: r for r in cli.json("incidents")}
    assert rows["INC-0001"]["rules"] == ["TEAM-1"] and rows["INC-0001"]["layer"] == "config"


def test_learn_refuses_an_open_incident_and_needs_a_team_directory(cli, tmp_path, monkeypatch):
    code, _, err = cli("incident", "new", "--title", "Still burning")
    assert code == 0, err
    code, _, err = cli("learn", "INC-0001")
    assert code == 1 and "no team directory" in err
    code, _, err = cli("learn", "INC-0001", "--to", str(tmp_path / "t"))
    assert code == 1 and "INC-0001 is open; learn from a resolved or closed incident" in err


def test_learn_copies_a_shipped_playbook_into_the_team_directory_to_add_its_branch(cli, team):
    """The walk ended at p0-2-breaking#no-finding -> triage#unexplained: the branch belongs in
    p0-2-breaking, which is shipped, so the team gets a copy (an override) with the branch added."""
    from runbook.services import build_services

    services = build_services()
    opened = services.open_incident("Payments slow after the TLS rotation")
    engine = services.walk_engine(opened.id)
    engine.enter("p0-2-breaking#no-finding")
    engine.choose("triage#unexplained")
    engine.session.close()
    assert cli("incident", "close", str(opened.id))[0] == 0
    learned = cli.json("learn", str(opened.id))
    copy = team / "playbooks" / "p0-2-breaking.md"
    assert learned["branch"] == {
        "playbook": str(copy),
        "node": "p0-2-breaking#team-2",
        "from": "p0-2-breaking#no-finding",
        "copied_from": str(SHIPPED_PLAYBOOKS / "p0-2-breaking.md"),
    }
    assert learned["errors"] == []
    code, out, err = cli("validate")
    assert (code, out) == (0, ""), out + err
    row = next(r for r in cli.json("playbooks") if r["id"] == "p0-2-breaking")
    assert (row["layer"], row["path"], row["overrides"]) == (
        "config",
        str(copy),
        [str(SHIPPED_PLAYBOOKS / "p0-2-breaking.md")],
    )
    text = copy.read_text(encoding="utf-8")
    # the new choice comes before the "escalate" exit, which stays the node's last way out
    node = text.index("{#no-finding}")
    new = text.index("(learned from INC-0001)](#team-2)")
    back = text.index("- [Back to triage](triage#start", node)
    assert back < new < text.index("escalate with the evidence](triage#unexplained)", node)
