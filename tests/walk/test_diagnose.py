"""``runbook diagnose``: every check the variables allow, at once, rules weighed by evidence for and against."""

from __future__ import annotations

import asyncio
import json

from runbook.checks.base import CheckResult, Verdict
from runbook.cli import main
from runbook.playbook.library import load_library
from runbook.record import repo
from runbook.record.db import connect, open_session
from runbook.walk.diagnose import diagnose, plan_sweep
from runbook.walk.ranking import evidence_for
from runbook.walk.state import BlockResult
from runbook.walk.symptom_tie import SymptomTie, recorded_symptoms
from runbook.walk.weighing import Group, weigh
from tests.walk.conftest import DATA


async def test_expiring_lease_implicates_r1_with_its_symptom_healthy_makes_it_unlikely(
    test_library, knowledge, db_url, expiring_lease, healthy_lease
):
    window = {"window_s": "3"}
    tie = SymptomTie.from_knowledge(knowledge)
    vanish = ["instances vanish from discovery"]
    bad, good = await asyncio.gather(
        diagnose(
            test_library,
            {**expiring_lease, **window},
            session=open_session(connect(db_url)),
            symptoms=vanish,
            tie=tie,
        ),
        diagnose(test_library, {**healthy_lease, **window}, session=open_session(connect(db_url)), tie=tie),
    )

    w = bad.weighing
    assert [(x.rule, x.group) for x in w.implicated] == [("R1", Group.IMPLICATED)]
    assert w.latent == () and w.unlikely == ()
    r1 = w.implicated[0]
    assert r1.symptoms == ("instances vanish from discovery",)
    assert [(e.bearing, e.verdict, e.ref, e.check_type) for e in r1.evidence] == [
        ("supports", "fail", "walktest#lease-health", "etcd_lease_keepalive")
    ]
    assert r1.evidence[0].figure.startswith("instances_min=")
    assert [(p.ref, p.how) for p in r1.path] == [
        ("walktest#lease-health", "verdict fail"),
        ("walktest#lease-race", "conclusion"),
    ]
    # R2 has no check that leads to it: not examined, and nothing named as missing
    assert [(x.rule, x.unexamined) for x in w.not_examined] == [("R2", ())]

    g = good.weighing
    assert g.implicated == () and g.latent == ()
    assert [x.rule for x in g.unlikely] == ["R1"]
    (against,) = g.unlikely[0].evidence
    assert (against.bearing, against.verdict, against.check_type) == ("against", "ok", "etcd_lease_keepalive")
    assert "a fail would have pointed towards R1" in against.explanation
    assert [x.rule for x in g.not_examined] == ["R2"]

    session = open_session(connect(db_url))
    for d in (bad, good):
        stored = repo.check_results(d.incident_id, session=session)
        assert [(c.check_type, c.node_id) for c in stored] == [("etcd_lease_keepalive", "lease-health")]
        notes = [e.summary for e in repo.timeline(d.incident_id, session=session) if e.kind == "note"]
        assert notes[0] == "diagnose: 1 checks run at once (0 blocks skipped)"
    assert notes[-1] == "diagnose: unlikely: R1"
    assert recorded_symptoms(bad.incident_id, session=session) == ("instances vanish from discovery",)
    assert recorded_symptoms(good.incident_id, session=session) == ()


def test_identical_checks_run_once_and_blocks_without_variables_are_skipped():
    from runbook.config import shipped_playbooks_dir

    both = load_library([DATA, shipped_playbooks_dir() / "p0-1-discovery.md"])
    variables = {"etcd_url": "http://127.0.0.1:2379", "service_prefix": "/s/", "window_s": "5"}
    sweep, skipped = plan_sweep(both, variables)
    types = sorted((c.check_type, len(c.blocks)) for c in sweep)
    # walktest's block has duration_s/poll_s and p0-1's has not: two distinct lease checks
    # (and p0-1 asks etcd's own health with the same etcd_url).
    assert types == [("etcd_health", 1), ("etcd_lease_keepalive", 1), ("etcd_lease_keepalive", 1)]
    assert skipped and all(s.reason.startswith("needs ") for s in skipped)
    assert not any(s.ref.startswith("walktest") for s in skipped)
    twice = load_library([DATA])
    sweep, _ = plan_sweep(twice, variables)
    assert len(sweep) == 1


def _result(check_type: str, verdict: str) -> CheckResult:
    from datetime import UTC, datetime

    return CheckResult(check_type, Verdict(verdict), verdict, {}, {}, (), datetime.now(UTC), 0.1, {})


def test_implicated_orders_fail_above_warn_and_an_ok_is_never_evidence_for(shipped_library):
    """Verdicts from the shipped playbooks: fail beats warn; an ok that loops back to triage is
    evidence against the rule its fail would have led to, never "possible" for every rule."""
    lib = shipped_library
    from runbook.walk.suggest import verdict_target

    results = {}
    for ref, i, verdict in (
        ("p0-1-discovery#keepalive-code", 0, "warn"),
        ("p0-2-breaking#bypass-question", 0, "fail"),
        ("triage#sweep", 0, "ok"),
    ):
        node = lib.node(ref)
        block = node.checks[i]
        results[(ref, i)] = BlockResult(
            ref, i, _result(block.check_type, verdict), verdict_target(node, block, verdict)
        )
    fail_rules = {e.rule for e in evidence_for(lib, results) if e.verdict == "fail"}
    tied = {r: ("s",) for r in {*fail_rules, "R1", "R10"}}
    w = weigh(lib, results, tied=tied)
    implicated = [x.rule for x in w.implicated]
    assert implicated[-1] == "R1" and implicated.index("R1") == len(fail_rules)
    assert {x.evidence[0].verdict for x in w.implicated[: len(fail_rules)]} == {"fail"}
    assert w.implicated[-1].evidence[0].verdict == "warn"
    r1 = w.implicated[-1]
    assert r1.path[-1].how == "conclusion" and r1.path[0].ref == "triage#start"
    # the sweep's goroutine check said ok: R10 is unlikely (not possible, not implicated)
    assert "R10" not in implicated
    r10 = w.rule("R10")
    assert r10 is not None and r10.group == Group.UNLIKELY
    assert [(e.ref, e.verdict, e.bearing) for e in r10.evidence] == [("triage#sweep", "ok", "against")]
    assert all(e.verdict != "ok" for x in (*w.implicated, *w.latent) for e in x.evidence)


def test_diagnose_cli_exit_codes(monkeypatch, db_url, capsys):
    monkeypatch.setenv("RUNBOOK_PLAYBOOKS", str(DATA))
    monkeypatch.setenv("RUNBOOK_DB", db_url)
    code = main(["diagnose", "--var", "nothing=1"])
    assert code == 3
    assert "runbook: unknown variable nothing; the playbooks' variables: " in capsys.readouterr().err
    code = main(["diagnose", "--var", "service_prefix=/x/"])  # known, but no check has all it needs
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
    assert data["groups"]["implicated"] == data["groups"]["latent"] == data["groups"]["unlikely"] == []
    (r1,) = [w for w in data["groups"]["not_examined"] if w["rule"] == "R1"]
    assert r1["blocks"][0]["reason"].startswith("unknown: ")
    assert {c["verdict"] for c in data["checks"]} == {"unknown"}
    session = open_session(connect(db_url))
    assert repo.get_incident(data["incident_id"], session=session).variables == {
        "service_prefix": "/x/",
        "window_s": "2",
    }
