"""The playbook commands, run as a user would run them."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data"


def runbook(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "runbook", *args], capture_output=True, text=True, env=full_env, timeout=60
    )


BROKEN = """---
id: broken
title: Broken copy
start: lease-health
variables:
  - name: etcd_url
    description: etcd
    example: http://127.0.0.1:2379
---
## Are registration leases healthy? {#lease-health}

```check
type: etcd_lease_keepalive
params:
  etcd_url: "{{ etcd_url }}"
  prefix: "{{ service_prefx }}"
```

- [Leases expire](#lease-rce)
- [Leases are fine](#dead-end)

## Nobody knows {#dead-end}

Prose only.

## Unreachable {#orphan}

```conclusion
rules: [R99]
fix: x
```
"""


def test_broken_copy_reports_each_problem_and_others_still_list(tmp_path):
    shutil.copy(DATA / "example.md", tmp_path / "example.md")
    (tmp_path / "broken.md").write_text(BROKEN)
    result = runbook("validate", str(tmp_path))
    assert result.returncode == 1
    out = result.stdout
    b = tmp_path / "broken.md"
    assert f"{b}:12: check 'etcd_lease_keepalive' uses undeclared variable 'service_prefx'" in out
    assert f"{b}:19: choice links to 'lease-rce', which is not a node of 'broken'" in out
    assert f"{b}:22: node 'dead-end' has no choices and no conclusion (a dead end)" in out
    assert f"{b}:26: node 'orphan' is not reachable from the start node 'lease-health'" in out
    assert f"{b}:28: conclusion names unknown rule 'R99'" in out
    assert "example.md" not in out  # the good copy is clean
    listed = runbook("playbooks", "--json", env={"RUNBOOK_PLAYBOOKS": str(tmp_path)})
    assert listed.returncode == 0
    ids = {row["id"] for row in json.loads(listed.stdout)}
    assert {"example", "broken"} <= ids


def test_validate_clean_file_exits_zero():
    result = runbook("validate", str(DATA / "example.md"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_validate_json(tmp_path):
    (tmp_path / "broken.md").write_text(BROKEN)
    result = runbook("validate", "--json", str(tmp_path))
    rows = json.loads(result.stdout)
    assert result.returncode == 1
    assert {"path", "line", "problem"} == set(rows[0])


def test_new_playbook_dropped_in_works_without_code_change(tmp_path):
    shutil.copy(DATA / "example.md", tmp_path / "example.md")
    result = runbook("graph", "example", "--format", "dot", env={"RUNBOOK_PLAYBOOKS": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('digraph "example"')


def test_unknown_playbook_is_a_clear_error():
    result = runbook("graph", "no-such-playbook")
    assert result.returncode == 1
    assert "runbook: no playbook 'no-such-playbook'; known playbooks:" in result.stderr
    assert "Traceback" not in result.stderr


def test_version_and_help():
    assert runbook("--version").stdout.startswith("runbook ")
    for cmd in ("validate", "playbooks", "graph"):
        result = runbook(cmd, "--help")
        assert result.returncode == 0 and "--db" in result.stdout
