"""Layered content (#15): shipped, then the config's directories, then the environment's; a later
layer's playbook, rule or incident record with the same id replaces the earlier one, and the
listings say where each came from and what it overrides."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.team.conftest import SHIPPED_INCIDENTS, SHIPPED_PLAYBOOKS


def _copy_triage(to: Path, title: str) -> Path:
    to.mkdir(parents=True, exist_ok=True)
    text = (SHIPPED_PLAYBOOKS / "triage.md").read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.startswith("title:"))
    path = to / "triage.md"
    path.write_text(text.replace(first, f"title: {title}", 1), encoding="utf-8")
    return path


def _row(rows, ident):
    return next(r for r in rows if r["id"] == ident)


def test_a_playbook_overridden_at_the_config_layer_then_at_the_env_layer(cli, write_config, tmp_path, monkeypatch):
    team = _copy_triage(tmp_path / "team", "Team triage")
    write_config(playbook_dirs=[team.parent])
    code, _, err = cli("validate")
    assert code == 0, err
    triage = _row(cli.json("playbooks"), "triage")
    assert triage["title"] == "Team triage"
    assert (triage["layer"], triage["path"], triage["overrides"]) == (
        "config",
        str(team),
        [str(SHIPPED_PLAYBOOKS / "triage.md")],
    )
    mine = _copy_triage(tmp_path / "mine", "My triage")
    monkeypatch.setenv("RUNBOOK_PLAYBOOKS", str(mine.parent))
    triage = _row(cli.json("playbooks"), "triage")
    assert (triage["title"], triage["layer"]) == ("My triage", "env")
    assert triage["overrides"] == [str(team), str(SHIPPED_PLAYBOOKS / "triage.md")]
    code, out, _ = cli("playbooks")
    assert f"env: {mine}; overrides {team}, {SHIPPED_PLAYBOOKS / 'triage.md'}" in out


def test_a_rule_and_an_incident_record_overridden_by_the_team(cli, write_config, tmp_path):
    team = tmp_path / "team-incidents"
    (team / "rules").mkdir(parents=True)
    (team / "p0").mkdir()
    r6 = (SHIPPED_INCIDENTS / "rules" / "R6.md").read_text(encoding="utf-8")
    title = next(line for line in r6.splitlines() if line.startswith("title:"))
    (team / "rules" / "R6.md").write_text(r6.replace(title, "title: Our reading of R6", 1), encoding="utf-8")
    p01 = (SHIPPED_INCIDENTS / "p0" / "P0-1.md").read_text(encoding="utf-8")
    title = next(line for line in p01.splitlines() if line.startswith("title:"))
    (team / "p0" / "P0-1.md").write_text(p01.replace(title, "title: P0-1 as we remember it", 1), encoding="utf-8")
    write_config(incident_dirs=[team])
    code, _, err = cli("validate")
    assert code == 0, err
    r6 = _row(cli.json("rules"), "R6")
    assert (r6["title"], r6["layer"], r6["overrides"]) == (
        "Our reading of R6",
        "config",
        [str(SHIPPED_INCIDENTS / "rules" / "R6.md")],
    )
    assert _row(cli.json("rules"), "R5")["layer"] == "shipped"
    inc = _row(cli.json("incidents"), "P0-1")
    assert (inc["title"], inc["layer"], inc["path"]) == (
        "P0-1 as we remember it",
        "config",
        str(team / "p0" / "P0-1.md"),
    )
    assert inc["overrides"] == [str(SHIPPED_INCIDENTS / "p0" / "P0-1.md")]


def test_an_override_that_removes_a_linked_node_names_both_files(cli, tmp_path):
    """p0-1-discovery links to triage#unexplained; a triage copy without that node is an error
    on the copy that names the linking file, besides the broken link itself."""
    team = tmp_path / "team"
    team.mkdir()
    text = (SHIPPED_PLAYBOOKS / "triage.md").read_text(encoding="utf-8")
    start = text.index("## Cause unknown: escalate with the evidence {#unexplained}")
    end = text.index("\n## ", start + 1)
    text = text[:start] + text[end + 1 :]
    text = "\n".join(line for line in text.splitlines() if "(#unexplained)" not in line) + "\n"
    (team / "triage.md").write_text(text, encoding="utf-8")
    code, out, _ = cli("validate", str(team))
    assert code == 1
    lines = [line for line in out.splitlines() if "removes node 'unexplained'" in line]
    assert lines, out
    linking = SHIPPED_PLAYBOOKS / "p0-1-discovery.md"
    assert any(
        line.startswith(
            f"{team / 'triage.md'}:1: this override of playbook 'triage' removes node 'unexplained' "
            f"(kept in {SHIPPED_PLAYBOOKS / 'triage.md'}), which {linking}:"
        )
        for line in lines
    ), lines


def test_the_same_directory_given_twice_is_one_layer(cli, write_config, tmp_path, monkeypatch):
    team = _copy_triage(tmp_path / "team", "Team triage").parent
    write_config(playbook_dirs=[team, team / ".." / "team", SHIPPED_PLAYBOOKS])
    monkeypatch.setenv("RUNBOOK_PLAYBOOKS", str(team))
    code, out, err = cli("validate")
    assert code == 0, out + err
    rows = cli.json("playbooks")
    assert [r["id"] for r in rows].count("triage") == 1
    assert _row(rows, "triage")["title"] == "Team triage"
    code, out, err = cli("validate", str(team), str(team / ".." / "team"))
    assert (code, out) == (0, ""), err


def test_validate_the_shipped_directories_by_path_exits_zero(cli, monkeypatch):
    monkeypatch.chdir(SHIPPED_PLAYBOOKS.parent)
    code, out, err = cli("validate", "playbooks")
    assert (code, out) == (0, ""), err
    code, out, err = cli("validate", "playbooks", "incidents")
    assert (code, out) == (0, ""), err
    assert "0 problem(s)" in err


def test_validate_a_copy_of_the_shipped_playbooks_reports_its_one_broken_link(cli, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(SHIPPED_PLAYBOOKS, copy)
    path = copy / "p0-2-breaking.md"
    text = path.read_text(encoding="utf-8")
    assert "](#grpc-fallback)" in text
    line = text[: text.index("](#grpc-fallback)")].count("\n") + 1
    path.write_text(text.replace("](#grpc-fallback)", "](#grpc-fallbak)", 1), encoding="utf-8")
    code, out, _ = cli("validate", str(copy))
    assert code == 1
    assert out.splitlines()[0].startswith(
        f"{path}:{line}: choice links to 'grpc-fallbak', which is not a node of 'p0-2-breaking'"
    )
    assert "already used" not in out
    problems = cli("validate", "--json", str(copy))[1]
    import json

    assert {r["path"] for r in json.loads(problems)} == {str(path)}


def test_validate_a_knowledge_file_by_path_checks_it_as_a_record(cli, tmp_path, monkeypatch):
    """A rule or drill file is validated as what its directory says it is, never as a playbook."""
    monkeypatch.chdir(SHIPPED_PLAYBOOKS.parent)
    for path in ("incidents/rules/R1.md", "incidents/drills/p0-1.md", "incidents/rules"):
        code, out, err = cli("validate", path)
        assert (code, out) == (0, ""), path + out + err
    rules = tmp_path / "team" / "rules"
    rules.mkdir(parents=True)
    text = (SHIPPED_INCIDENTS / "rules" / "R1.md").read_text(encoding="utf-8")
    (rules / "R1.md").write_text(text.replace("\n## Fix\n", "\n## The fix\n", 1), encoding="utf-8")
    code, out, _ = cli("validate", str(rules / "R1.md"))
    assert code == 1
    assert [line.split(": ", 1)[1] for line in out.splitlines()] == [
        "section '## Fix' is missing; add it (sections: Failure mode, Anti-pattern, Fix, Why it happens, "
        "How to detect it live, Corrections to the source)"
    ]
