"""``runbook diagnose``: every check the variables allow, at once, rules ranked by evidence."""

from __future__ import annotations

import asyncio
import json

from runbook.checks.base import CheckResult, Verdict
from runbook.cli import main
from runbook.playbook.library import load_library
from runbook.record import repo
from runbook.record.db import connect, open_session
from runbook.walk.diagnose import diagnose, plan_sweep
from runbook.walk.ranking import rank_rules
from runbook.walk.state import BlockResult
from tests.walk.conftest import DATA


async def test_expiring_lease_implicates_r1_healthy_clears_it(test_library, db_url, expiring_lease, healthy_lease):
    window = {"window_s": "3"}
    bad, good = await asyncio.gather(
        diagnose(test_library, {**expiring_lease, **window}, session=open_session(connect(db_url))),
        diagnose(test_library, {**healthy_lease, **window}, session=open_session(connect(db_url))),
    )

    assert [(r.rule, r.status) for r in bad.ranking] == [("R1", "implicated")]
    r1 = bad.ranking[0]
    assert [(e.bearing, e.verdict, e.ref) for e in r1.evidence] == [("supports", "fail", "walktest#lease-health")]
    assert [(p.ref, p.how) for p in r1.path] == [
        ("walktest#lease-health", "verdict fail"),
        ("walktest#lease-race", "conclusion"),
    ]

    assert [(r.rule, r.status) for r in good.ranking] == [("R2", "possible"), ("R1", "cleared")]
    assert "a fail would have pointed towards R1" in good.ranking[1].evidence[0].explanation
    assert [(p.ref, p.how) for p in good.ranking[0].path] == [
        ("walktest#lease-health", "verdict ok"),
        ("walktest#deploy", "choose"),
        ("walktest#probe-flapping", "conclusion"),
    ]

    session = open_session(connect(db_url))
    for d in (bad, good):
        stored = repo.check_results(d.incident_id, session=session)
        assert [(c.check_type, c.node_id) for c in stored] == [("etcd_lease_keepalive", "lease-health")]
        notes = [e.summary for e in repo.timeline(d.incident_id, session=session) if e.kind == "note"]
        assert notes[0] == "diagnose: 1 checks run at once (0 blocks skipped)"
    assert notes[-1] == "diagnose ranking: R2 possible; R1 cleared"


def test_identical_checks_run_once_and_blocks_without_variables_are_skipped():
    from runbook.config import shipped_playbooks_dir

    both = load_library([DATA, shipped_playbooks_dir() / "p0-1-discovery.md"])
    variables = {"etcd_url": "http://127.0.0.1:2379", "service_prefix": "/s/", "window_s": "5"}
    sweep, skipped = plan_sweep(both, variables)
    types = sorted((c.check_type, len(c.blocks)) for c in sweep)
    # walktest's block has duration_s/poll_s and p0-1's has not: two distinct lease checks.
    assert types == [("etcd_lease_keepalive", 1), ("etcd_lease_keepalive", 1)]
    assert skipped and all(s.reason.startswith("needs ") for s in skipped)
    assert not any(s.ref.startswith("walktest") for s in skipped)
    twice = load_library([DATA])
    sweep, _ = plan_sweep(twice, variables)
    assert len(sweep) == 1


def _result(check_type: str, verdict: str) -> CheckResult:
    from datetime import UTC, datetime

    return CheckResult(check_type, Verdict(verdict), verdict, {}, {}, (), datetime.now(UTC), 0.1, {})


def test_ranking_orders_fail_above_warn_above_ok(shipped_library):
    """Three verdicts from the shipped playbooks: fail beats warn beats ok-only evidence."""
    lib = shipped_library
    results = {}
    from runbook.walk.suggest import verdict_target

    for ref, verdict in (("p0-1-discovery#keepalive-code", "warn"), ("p0-2-breaking#bypass-question", "fail")):
        node = lib.node(ref)
        results[(ref, 0)] = BlockResult(
            ref, 0, _result(node.checks[0].check_type, verdict), verdict_target(node, node.checks[0], verdict)
        )
    ranking = rank_rules(lib, results)
    statuses = [(r.rule, r.status, r.score[0]) for r in ranking]
    assert statuses[0][2] == 3 and statuses[0][1] == "implicated"
    assert ("R1", "implicated", 2) in statuses
    assert statuses.index(("R1", "implicated", 2)) > 0
    r1 = next(r for r in ranking if r.rule == "R1")
    assert r1.path[-1].how == "conclusion" and r1.path[0].ref == "triage#start"


def test_diagnose_cli_exit_codes(monkeypatch, db_url, capsys):
    monkeypatch.setenv("RUNBOOK_PLAYBOOKS", str(DATA))
    monkeypatch.setenv("RUNBOOK_DB", db_url)
    code = main(["diagnose", "--var", "nothing=1"])
    assert code == 3
    assert "runbook: no check can run with the variables given; variables the checks use:" in capsys.readouterr().err
    from tests.fixtures.proc import free_port

    code = main(
        [
            "diagnose",
            "--json",
            "--quiet",
            "--var",
            f"etcd_url=http://root:pw1234@127.0.0.1:{free_port()}",
            "--var",
            "service_prefix=/x/",
            "--var",
            "window_s=2",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["ranking"] == []
    assert {c["verdict"] for c in data["checks"]} == {"unknown"}
    session = open_session(connect(db_url))
    assert repo.get_incident(data["incident_id"], session=session).variables == {
        "service_prefix": "/x/",
        "window_s": "2",
    }
