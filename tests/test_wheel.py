"""An installed copy (a wheel, not the editable checkout) finds the shipped playbooks,
knowledge base, drill scenarios and report templates."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]

PROBE = """
import runbook, runbook.config as c
from runbook.services import build_services
content = build_services().content
print(runbook.__file__)
print(c.shipped_playbooks_dir())
print(len(content.library.playbooks), len(content.knowledge.rules), len(content.scenarios), len(content.errors))
from runbook.report import render_postmortem
from runbook.report.from_knowledge import context_from_kb
print(render_postmortem(context_from_kb("P0-1", knowledge=content.knowledge)).splitlines()[0])
"""


@pytest.mark.slow
def test_wheel_carries_the_content(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("runbook-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "runbook/_data/playbooks/triage.md" in names
    assert "runbook/_data/incidents/rules/R1.md" in names
    assert any(n.startswith("runbook/_data/incidents/drills/") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    module, playbooks_dir, counts, first_line = result.stdout.splitlines()[:4]
    assert module.startswith(str(site))
    assert playbooks_dir == str(site / "runbook" / "_data" / "playbooks")
    n_playbooks, n_rules, n_scenarios, n_errors = map(int, counts.split())
    assert (n_playbooks, n_rules, n_errors) == (4, 12, 0)
    assert n_scenarios >= 3
    assert first_line.startswith("#")
