"""``runbook export`` end to end: a record on disk, the CLI, files and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook.cli import main
from runbook.record.db import connect, open_session
from runbook.report import render_postmortem
from runbook.report.from_knowledge import context_from_kb
from tests.report.fixture_incident import build_fixture
from tests.report.mdread import headings
from tests.report.test_golden import SECTIONS_EMBEDDED


@pytest.fixture
def db(tmp_path: Path, monkeypatch) -> str:
    for var in ("RUNBOOK_DB", "RUNBOOK_PLAYBOOKS", "RUNBOOK_INCIDENTS", "RUNBOOK_TEMPLATES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RUNBOOK_CONFIG", str(tmp_path / "no-config.toml"))
    url = f"sqlite:///{tmp_path / 'record.db'}"
    engine = connect(url)
    with open_session(engine) as s:
        build_fixture(s)
    engine.dispose()
    return url


def test_export_markdown_to_stdout(db, capsys):
    assert main(["export", "INC-0002", "--db", db, "--tz", "Europe/Berlin"]) == 0
    md = capsys.readouterr().out
    assert [h for _, h in headings(md)][1:] == SECTIONS_EMBEDDED
    assert "all times in this document are Europe/Berlin." in md
    assert "- **Started:** 2026-03-14 03:10:00" in md


def test_export_html_to_file_prints_the_path(db, tmp_path, capsys):
    out = tmp_path / "out" / "pm.html"
    assert main(["export", "2", "--db", db, "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<title>Postmortem INC-0002: Orders instances vanish from discovery</title>" in page
    assert page.count("<table>") == 3 and '<h2 id="action-items">Action items</h2>' in page
    # without knowledge_url the rule is in the page's own appendix, wherever the file went (#18)
    assert 'href="#rule-r1-one-lease-one-keepalive-stream-per-process"' in page
    assert '<h3 id="rule-r1-one-lease-one-keepalive-stream-per-process">' in page


def test_export_team_template_from_the_configured_directory(db, tmp_path, monkeypatch, capsys):
    team = tmp_path / "templates"
    team.mkdir()
    (team / "short.md.j2").write_text(
        "# {{ header.ref }}: {{ header.title }}\n{% for a in actions %}- {{ a.text }} ({{ a.owner }})\n{% endfor %}",
        encoding="utf-8",
    )
    monkeypatch.setenv("RUNBOOK_TEMPLATES", str(team))
    assert main(["export", "2", "--db", db, "--template", "short.md.j2"]) == 0
    assert capsys.readouterr().out == (
        "# INC-0002: Orders instances vanish from discovery\n"
        "- Restart orders-api pods so every instance re-registers (sre-oncall)\n"
        "- Own the lease in one LeaseManager per process; re-grant and re-register on loss (orders team)\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "99"], "runbook: no incident INC-0099 in the record\n"),
        (
            ["export", "2", "--tz", "Mars/Olympus"],
            "runbook: unknown time zone 'Mars/Olympus' (use an IANA name such as UTC or Europe/Berlin)\n",
        ),
        (["export"], "runbook: give either INCIDENT or --kb ID (not both, not neither)\n"),
        (["export", "2", "--kb", "P0-1"], "runbook: give either INCIDENT or --kb ID (not both, not neither)\n"),
        (["export", "--kb", "P0-7"], "runbook: no knowledge-base incident 'P0-7' (known: P0-1, P0-2, P0-3)\n"),
        (["export", "2", "--template", "missing.j2"], "runbook: missing.j2: no such template file\n"),
    ],
)
def test_export_errors_are_clear(db, capsys, argv, message):
    assert main([*argv, "--db", db]) == 2
    captured = capsys.readouterr()
    assert captured.err == message and captured.out == ""


def test_export_kb_record_matches_the_library_function(db, tmp_path, capsys, knowledge, library):
    out = tmp_path / "examples" / "P0-2.md"
    assert main(["export", "--kb", "P0-2", "-o", str(out)]) == 0
    expected = render_postmortem(context_from_kb("P0-2", knowledge=knowledge, library=library))
    assert out.read_text(encoding="utf-8") == expected


def test_export_json_is_the_context_as_data(db, capsys):
    import json

    assert main(["export", "2", "--db", db, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["header"]["ref"] == "INC-0002"
    assert [a["rule"] for a in data["actions"]] == ["", "R1"]
    check = next(t for t in data["timeline"] if t["kind"] == "check_run")
    assert check["citation"] == {
        "check_type": "etcd_lease_keepalive",
        "verdict": "fail",
        "key_figure": "expired_leases=2",
        "at": "2026-03-14 02:16:30",
        "summary": "2 of 3 registered instances lost their lease during the 30 s window (TTL 10 s)",
    }
