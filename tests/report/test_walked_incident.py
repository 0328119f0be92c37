"""The done-when of the report: ``runbook export`` on an incident walked by the engine, with a
real check against a real etcd whose registration lease expires during the walk."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from runbook.cli import main
from runbook.playbook.library import load_library
from runbook.record import repo
from runbook.record.db import connect, open_session
from runbook.walk.autopilot import autopilot
from runbook.walk.engine import WalkEngine
from runbook.walk.state import StopReason
from tests.report.mdread import headings, section_texts, tables
from tests.report.test_golden import SECTIONS_EMBEDDED

DATA = Path(__file__).parent / "data"


@pytest.fixture
def walked(tmp_path, monkeypatch, etcd_server, unique_prefix) -> str:
    for var in ("RUNBOOK_DB", "RUNBOOK_PLAYBOOKS", "RUNBOOK_INCIDENTS", "RUNBOOK_TEMPLATES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RUNBOOK_CONFIG", str(tmp_path / "no-config.toml"))
    lease = etcd_server.grant(2)  # nobody renews it: it expires while the check watches
    etcd_server.put(f"{unique_prefix}i1", "10.0.0.1:8080", lease)
    url = f"sqlite:///{tmp_path / 'record.db'}"
    library = load_library([DATA])
    assert not library.errors, library.errors
    session = open_session(connect(url))
    engine = WalkEngine(library, session, author="alice")
    iid = engine.create_incident(
        "Orders instances vanish",
        severity="P1",
        service="orders",
        variables={"etcd_url": etcd_server.url, "service_prefix": unique_prefix, "window_s": "4"},
    )
    engine.start("reportwalk")
    engine.choose("probe-flapping")  # a first guess, taken back
    engine.undo()
    engine.choose("lease-health")
    stop = asyncio.run(autopilot(engine))
    assert stop.reason == StopReason.CONCLUSION, stop
    repo.add_finding(
        iid, "The lease check showed the expiry | <b>live</b>", session=session, tags=["went_well"], author="alice"
    )
    repo.add_action_item(
        iid,
        "One LeaseManager per process",
        session=session,
        type="prevent",
        owner="orders team",
        due=date(2026, 4, 1),
        rule="R1",
        author="alice",
    )
    repo.update_status(iid, "resolved", session=session, author="alice")
    session.close()
    return url


@pytest.mark.slow
def test_export_of_a_walked_incident(walked, tmp_path, capsys):
    out = tmp_path / "pm.md"
    assert main(["export", "1", "--db", walked, "-o", str(out)]) == 0
    md = out.read_text(encoding="utf-8")
    print(md)  # shown with -s: what a reviewer gets
    assert [h for _, h in headings(md)][1:] == SECTIONS_EMBEDDED
    for t in tables(md):
        assert len(set(t.raw_cells)) == 1
    text = section_texts(md)
    # every timeline row is backed by a recorded event; the check row cites type, verdict, figure
    rows = [
        ln for ln in md.split("## Timeline", 1)[1].split("## Diagnosis", 1)[0].splitlines() if ln.startswith("| 20")
    ]
    assert rows and all("event \\#" in r for r in rows)
    check_rows = [r for r in rows if "`etcd_lease_keepalive`" in r]
    assert len(check_rows) == 1 and "**fail**" in check_rows[0]
    # diagnosis path: the undone first guess is kept and marked, the check decided the branch
    diag = text["Diagnosis path"]
    assert "Step 2: reportwalk#probe-flapping (undone: kept for the record" in diag
    assert "check etcd_lease_keepalive: **fail**".replace("**", "") in diag
    assert 'the check verdict chose "Leases expire or keys flap"' in diag
    assert "conclusion reached" in diag and "(rules: R1)" in diag
    # root cause linked to the rule, with the knowledge base's anti-pattern and fix
    assert "R1: One lease, one KeepAlive stream per process" in text["Root causes"]
    assert "client.KeepAlive(ctx, leaseResp.ID)" in text["Root causes"]
    assert "type LeaseManager struct" in text["Root causes"]
    assert "The first failing check in the record was etcd_lease_keepalive" in text["Detection"]
    assert "The lease check showed the expiry | <b>live</b>" in text["What went well"]
    assert "| One LeaseManager per process | prevent | orders team | 2026-04-01 | open | R1 |" in md
    assert "conclusion reached, then taken back: Health probes flap (rules: R2)" in diag
    assert "R2" not in text["Root causes"]  # the undone guess is not a root cause
