"""``runbook walk triage --auto`` against live local targets reaches the right rule, one failure
mode per incident: P0-1 (leases, in test_p0_1_playbook.py), P0-2 (static histogram buckets, R8)
and P0-3 (label cardinality explosion, R12), each through triage's quick sweep."""

from __future__ import annotations

import json

import pytest

from runbook.cli import main
from runbook.record import repo
from tests.fixtures.metrics_targets import (
    bad_histogram_registry,
    good_histogram_registry,
    harmless_histogram_registry,
    user_id_registry,
)


@pytest.fixture
def record(monkeypatch, db_url, session):
    monkeypatch.setenv("RUNBOOK_DB", db_url)
    return session


def walk_sweep(capsys, metrics_url: str, *choose: str) -> tuple[int, dict]:
    """Triage's quick sweep on autopilot; ``choose``: a person's further answers (a sweep finding
    no symptom points at is held for a person before it concludes a rule, #19)."""
    code = main(
        [
            "walk",
            "triage",
            "--auto",
            "--quiet",
            "--json",
            "--choose",
            "start=sweep",
            "--var",
            f"metrics_url={metrics_url}",
            *(a for c in choose for a in ("--choose", c)),
        ]
    )
    return code, json.loads(capsys.readouterr().out)


def test_p0_2_static_buckets_reach_r8(record, capsys, metrics_target):
    target = metrics_target(bad_histogram_registry())
    code, data = walk_sweep(capsys, target.url, "p0-2-breaking#histogram-buckets=static-buckets")
    assert code == 0, data["stop"]
    assert [s["ref"] for s in data["path"]] == [
        "triage#start",
        "triage#sweep",
        "p0-2-breaking#histogram-buckets",
        "p0-2-breaking#static-buckets",
    ]
    assert [c["rules"] for c in data["conclusions"]] == [["R8"]]
    sweep = {c["check_type"]: c["verdict"] for c in data["path"][1]["checks"]}
    assert sweep == {
        "goroutine_pileup_logging": "unknown",
        "health_vs_memory": "unknown",
        "label_cardinality": "ok",
        "histogram_bucket_quality": "fail",
    }
    kinds = [e.kind for e in repo.timeline(data["incident_id"], session=record)]
    assert kinds.count("check_run") == 5 and kinds.count("node_entered") == 4


def test_p0_3_label_explosion_reaches_r12(record, capsys, metrics_target):
    target = metrics_target(user_id_registry(3000, id_like=True))
    code, data = walk_sweep(capsys, target.url, "p0-3-observability#cardinality=label-explosion")
    assert code == 0, data["stop"]
    assert [s["ref"] for s in data["path"]][-2:] == [
        "p0-3-observability#cardinality",
        "p0-3-observability#label-explosion",
    ]
    assert "R12" in data["conclusions"][0]["rules"]


def test_healthy_service_swept_on_autopilot_concludes_no_rule_and_reaches_the_unexplained_terminal(
    record, capsys, metrics_target
):
    """A sweep with no finding ends at the exit for what is none of the twelve, with its own exit code."""
    target = metrics_target(good_histogram_registry())
    code, data = walk_sweep(capsys, target.url)
    assert code == 4, data["stop"]
    assert data["stop"]["reason"] == "unexplained" and data["stop"]["ref"] == "triage#unexplained"
    assert [s["ref"] for s in data["path"]] == ["triage#start", "triage#sweep", "triage#unexplained"]
    sweep = {c["check_type"]: c["verdict"] for c in data["path"][1]["checks"]}
    assert sweep["label_cardinality"] == "ok" and sweep["histogram_bucket_quality"] == "ok"
    assert "fail" not in sweep.values() and "warn" not in sweep.values()
    (concl,) = data["conclusions"]
    assert concl["rules"] == [] and concl["kind"] == "unexplained" and "service owner" in concl["escalate"]
    assert data["stop"]["detail"].startswith(
        "Cause unknown: escalate with the evidence: no rule explains it; escalate to the service owner"
    )
    kinds = [e.kind for e in repo.timeline(data["incident_id"], session=record)]
    assert kinds[-1] == "conclusion_reached"
    # the postmortem says the cause is unknown and escalated, not "no rule was concluded yet"
    assert main(["export", str(data["incident_id"])]) == 0
    exported = capsys.readouterr().out
    assert "**Cause unknown.** The walk ended at Cause unknown: escalate with the evidence" in exported
    assert "No rule was concluded yet" not in exported


def test_unexplained_terminal_is_printed_as_its_own_stop(record, capsys, metrics_target):
    target = metrics_target(good_histogram_registry())
    code = main(
        ["walk", "triage", "--auto", "--quiet", "--choose", "start=sweep", "--var", f"metrics_url={target.url}"]
    )
    out = capsys.readouterr().out
    assert code == 4
    assert "unexplained: Cause unknown: escalate with the evidence: no rule explains it; escalate to" in out
    assert "stopped: unexplained at triage#unexplained: " in out and out.rstrip().endswith("(exit 4)")


def test_imprecise_but_harmless_histograms_conclude_no_rule(record, capsys, metrics_target):
    """The issue's healthy Go service: a DB histogram on the default buckets whose p95 spread is
    under the check's own tolerance. The sweep must not conclude R8 (it did, through a warn)."""
    target = metrics_target(harmless_histogram_registry())
    code, data = walk_sweep(capsys, target.url)
    assert [c["rules"] for c in data["conclusions"] if c["rules"]] == []
    assert code == 4 and data["stop"]["ref"] == "triage#unexplained", data["stop"]
