"""The CLI's variables: an unknown ``--var`` name is an error that lists the known ones (before
anything is recorded), ``walk PLAYBOOK --list-vars`` prints them with their examples, and
``diagnose --incident`` records a second sweep into the same incident."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runbook.cli import main
from runbook.record import repo
from runbook.record.db import connect, open_session
from tests.fixtures.proc import free_port

DATA = Path(__file__).parent / "data"


@pytest.fixture
def env(monkeypatch, tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'vars.db'}"
    monkeypatch.setenv("RUNBOOK_PLAYBOOKS", str(DATA))
    monkeypatch.setenv("RUNBOOK_DB", url)
    return url


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_unknown_var_is_an_error_listing_the_playbooks_variables(env, capsys):
    code, _, err = run(capsys, "walk", "walktest", "--var", "etcd_ulr=http://127.0.0.1:1", "--var", "window_s=1")
    assert code == 3
    assert err.startswith(
        "runbook: unknown variable etcd_ulr for a walk from 'walktest'; its variables: etcd_url, service_prefix, "
        "window_s (see: runbook walk walktest --list-vars)"
    )
    with open_session(connect(env)) as s:
        assert repo.list_incidents(session=s) == []  # refused before anything was recorded


def test_list_vars_prints_names_descriptions_and_examples(env, capsys):
    code, out, _ = run(capsys, "walk", "walktest", "--list-vars")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["etcd_url", "service_prefix", "window_s"]
    assert "window_s        walktest, required: How long to watch the leases, in seconds (e.g. 5)" in lines
    code, out, _ = run(capsys, "walk", "walktest", "--list-vars", "--json")
    assert [v["name"] for v in json.loads(out)] == ["etcd_url", "service_prefix", "window_s"]
    code, out, _ = run(capsys, "walk", "triage", "--list-vars")  # triage leads to the P0 playbooks
    names = [line.split()[0] for line in out.splitlines()]
    assert {"health_url", "etcd_url", "tracing_api"} <= set(names) and len(names) == len(set(names))


def test_diagnose_continues_an_open_incident(env, capsys):
    dead = f"http://127.0.0.1:{free_port()}"
    code, out, _ = run(capsys, "incident", "new", "--title", "orders vanish", "--var", f"etcd_url={dead}")
    assert (code, out) == (0, "INC-0001\n")
    argv = ["diagnose", "--incident", "INC-0001", "--json", "--quiet", "--var", "service_prefix=/x/"]
    code, out, _ = run(capsys, *argv, "--var", "window_s=1")
    first = json.loads(out)
    assert first["incident_id"] == 1  # the recorded etcd_url was used, with the new variables
    assert first["checks"] and all(c["verdict"] == "unknown" for c in first["checks"])  # nothing listens
    code, out, _ = run(capsys, *argv, "--var", "window_s=1")
    assert json.loads(out)["incident_id"] == 1
    with open_session(connect(env)) as s:
        assert [i.ref for i in repo.list_incidents(session=s)] == ["INC-0001"]
        runs = [e for e in repo.timeline(1, session=s) if e.kind == "check_run"]
        assert len(runs) == 2 * len(first["checks"])
