"""``runbook walk`` and ``runbook diagnose`` as a script uses them: exit codes, output, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runbook.cli import main
from runbook.errors import NotFoundError
from runbook.record import repo
from runbook.record.db import connect, open_session
from runbook.walk.engine import WalkEngine

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parents[2]


@pytest.fixture
def walk_env(monkeypatch, db_url):
    monkeypatch.setenv("RUNBOOK_PLAYBOOKS", str(DATA))
    monkeypatch.setenv("RUNBOOK_DB", db_url)  # main() sets it from --db; restored after the test


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_documents_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["walk", "--help"])
    out = capsys.readouterr().out
    for line in ("0  reached a conclusion", "1  stopped at a human decision", "2  stopped at unknown", "3  error"):
        assert line in out


def test_errors_exit_3_with_a_clear_message(walk_env, db_url, capsys):
    code, _, err = run_main(capsys, "--db", db_url, "walk", "walktest", "--var", "etcd_url=http://127.0.0.1:1")
    assert code == 3
    assert "runbook: the checks need variables that were not given:\n  service_prefix: Key prefix" in err
    assert "window_s: How long to watch the leases, in seconds (e.g. 5)" in err
    code, _, err = run_main(capsys, "--db", db_url, "walk", "nope")
    assert code == 3 and "runbook: no playbook 'nope'; known playbooks:" in err and "walktest" in err
    code, _, err = run_main(capsys, "--db", db_url, "walk", "walktest", "--var", "novalue")
    assert code == 3 and "runbook: --var 'novalue': expected NAME=VALUE" in err
    code, _, err = run_main(capsys, "--db", db_url, "walk", "walktest", "--incident", "INC-0042")
    assert code == 3 and "runbook: no incident INC-0042 in the record" in err
    code, _, err = run_main(
        capsys,
        "--db",
        db_url,
        "walk",
        "walktest",
        "--quiet",
        "--var",
        "etcd_url=http://127.0.0.1:1",
        "--var",
        "service_prefix=/x/",
        "--var",
        "window_s=1",
        "--choose",
        "lease-health=9",
    )
    assert code == 3
    assert (
        "runbook: '9' is not a choice of walktest#lease-health; choices: 1=walktest#lease-race, "
        "2=walktest#deploy" in err
    )


def test_questions_answered_headlessly(walk_env, db_url, capsys, etcd_server):
    base = [
        "--db",
        db_url,
        "walk",
        "walktest",
        "--quiet",
        "--var",
        f"etcd_url={etcd_server.url}",
        "--var",
        "service_prefix=/none/",
        "--var",
        "window_s=2",
    ]
    # By index on the check node (a person's answer wins over checks), by target on the question.
    code, out, _ = run_main(capsys, *base, "--choose", "lease-health=2", "--choose", "deploy=probe-flapping")
    assert code == 0
    assert "conclusion: Health probes flap [R2]" in out
    assert "-> Leases are healthy (chosen)" in out
    # Stopping at the question: exit 1, and the JSON says where.
    code, out, _ = run_main(capsys, *base, "--choose", "lease-health=deploy", "--json")
    data = json.loads(out)
    assert code == 1
    assert data["stop"] == {
        "reason": "question",
        "ref": "walktest#deploy",
        "detail": "Was there a deploy in the last hour?",
        "exit_code": 1,
        "moves": 1,
    }
    assert data["path"][0]["checks"][0]["verdict"] == "unknown"  # no keys under /none/


def test_auto_walk_reaches_r1_and_reports_json(walk_env, db_url, capsys, expiring_lease, session):
    code, out, err = run_main(
        capsys,
        "--db",
        db_url,
        "walk",
        "walktest",
        "--auto",
        "--json",
        "--var",
        f"etcd_url={expiring_lease['etcd_url']}",
        "--var",
        f"service_prefix={expiring_lease['service_prefix']}",
        "--var",
        "window_s=3",
    )
    data = json.loads(out)
    assert code == 0
    assert data["conclusions"][0]["rules"] == ["R1"]
    check = data["path"][0]["checks"][0]
    assert check["verdict"] == "fail" and check["figures"]["expired_leases"] == 1
    assert "etcd_lease_keepalive: fail" in err  # live progress on stderr
    kinds = [e.kind for e in repo.timeline(data["incident_id"], session=session)]
    assert kinds.count("check_run") == 1 and kinds[-1] == "conclusion_reached"


def test_unreachable_endpoint_exits_2(walk_env, db_url, capsys):
    from tests.fixtures.proc import free_port

    code, out, _ = run_main(
        capsys,
        "--db",
        db_url,
        "walk",
        "walktest",
        "--auto",
        "--quiet",
        "--var",
        f"etcd_url=http://127.0.0.1:{free_port()}",
        "--var",
        "service_prefix=/x/",
        "--var",
        "window_s=2",
    )
    assert code == 2
    assert "stopped: unknown at walktest#lease-health: every check is unknown: could not measure" in out


def test_sigkill_mid_check_resumes_at_the_same_node(db_url, healthy_lease, walk_env, capsys):
    env = {**os.environ, "RUNBOOK_PLAYBOOKS": str(DATA), "RUNBOOK_DB": db_url}
    argv = [
        sys.executable,
        "-m",
        "runbook",
        "walk",
        "walktest",
        "--auto",
        "--quiet",
        "--var",
        f"etcd_url={healthy_lease['etcd_url']}",
        "--var",
        f"service_prefix={healthy_lease['service_prefix']}",
        "--var",
        "window_s=60",
    ]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    session = open_session(connect(db_url))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if any(e.kind == "check_started" for e in repo.timeline(1, session=session)):
                    break
            except NotFoundError:
                pass  # the incident is not written yet
            time.sleep(0.1)
        else:
            pytest.fail(f"the walk never started its check: {proc.stderr.read1(4000)!r}")
        time.sleep(0.5)  # well inside the 60 s window
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    before = [(e.kind, e.summary) for e in repo.timeline(1, session=session)]
    assert [k for k, _ in before] == ["opened", "node_entered", "check_started"]

    from runbook.playbook.library import load_library

    engine = WalkEngine(load_library([DATA]), session)
    engine.resume("INC-0001")
    assert engine.ref == "walktest#lease-health"
    assert [s.ref for s in engine.path] == ["walktest#lease-health"]
    assert engine.needs_checks and engine.results == ()
    assert engine.variables["window_s"] == "60"

    # Continue headlessly where it stopped, with a shorter window.
    code, out, _ = run_main(
        capsys, "walk", "walktest", "--incident", "INC-0001", "--auto", "--quiet", "--json", "--var", "window_s=3"
    )
    data = json.loads(out)
    assert code == 1 and data["stop"]["reason"] == "question" and data["stop"]["ref"] == "walktest#deploy"
    assert [(s["ref"], s["choice"]) for s in data["path"]] == [
        ("walktest#lease-health", "Leases are healthy"),
        ("walktest#deploy", None),
    ]
    assert data["path"][0]["checks"][0]["verdict"] == "ok"
    after = [(e.kind, e.summary) for e in repo.timeline(1, session=session)]
    assert after[:3] == before  # the interrupted run stays in the history
    assert [k for k, _ in after[3:]] == ["note", "check_started", "check_run", "choice_taken", "node_entered"]
