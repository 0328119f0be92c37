"""Evidence for and against, tied to the symptom (#19), against real targets on 127.0.0.1.

prometheus_client scrape targets (``metrics_targets``) and a pprof endpoint serving Go
goroutine dumps (``pprof_stub``) stand for the service; the shipped playbooks and knowledge
decide. Coarse histogram buckets are the latent finding: a real R8 property, the incident's
cause only when the symptom is a latency dashboard that disagrees with users.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from runbook.cli import main
from runbook.record import repo
from runbook.record.db import connect, open_session
from runbook.walk.autopilot import autopilot
from runbook.walk.diagnose import diagnose
from runbook.walk.diagnose_view import diagnosis_dict, diagnosis_text, weighing_dict, weighing_lines
from runbook.walk.engine import WalkEngine
from runbook.walk.state import StopReason
from runbook.walk.symptom_tie import SymptomTie, incident_tie, record_symptoms
from runbook.walk.weighing import Group, sweep_weighing
from tests.fixtures.metrics_targets import bad_histogram_registry, good_histogram_registry
from tests.fixtures.pprof_stub import pileup_process

LATENCY = "latency dashboards look wrong"
GOROUTINES = "log pipeline stalls or goroutines grow"


@pytest.fixture(scope="module")
def tie(knowledge) -> SymptomTie:
    return SymptomTie.from_knowledge(knowledge)


def rules(group) -> list[str]:
    return [w.rule for w in group]


async def test_latent_finding_without_its_symptom_is_implicated_with_it(shipped_library, tie, db_url, metrics_target):
    target = metrics_target(bad_histogram_registry())
    variables = {"metrics_url": target.url}
    plain, tied = await asyncio.gather(
        diagnose(shipped_library, variables, session=open_session(connect(db_url)), tie=tie),
        diagnose(shipped_library, variables, session=open_session(connect(db_url)), tie=tie, symptoms=[LATENCY]),
    )

    w = plain.weighing
    assert w.implicated == () and rules(w.latent) == ["R8"]
    r8 = w.latent[0]
    assert (r8.evidence[0].check_type, r8.evidence[0].verdict, r8.evidence[0].bearing) == (
        "histogram_bucket_quality",
        "fail",
        "supports",
    )
    assert "series_fail=1" in r8.evidence[0].figure
    assert "p95" in r8.evidence[0].summary
    assert [p.how for p in r8.path][-1] == "conclusion"
    # the same page's cardinality is fine: R12 is unlikely, with that check as the evidence
    r12 = w.rule("R12")
    assert r12 is not None and r12.group == Group.UNLIKELY
    assert {(e.check_type, e.verdict) for e in r12.evidence} == {("label_cardinality", "ok")}
    # nothing reached the goroutines: R10 is not examined, and the missing variable is named
    r10 = w.rule("R10")
    assert r10 is not None and r10.group == Group.NOT_EXAMINED and r10.needs == ("pprof_url",)
    r2 = w.rule("R2")
    assert r2 is not None and r2.group == Group.NOT_EXAMINED and "health_url" in r2.needs

    text = diagnosis_text(diagnosis_dict(plain))
    assert "no symptom given: findings are latent until a symptom points at them (--symptom)" in text
    assert "\nlatent (evidence for, but no given symptom points at it: a risk, not yet the cause):\n" in text
    assert "\n  R8: histogram_bucket_quality FAIL [histograms=1 series=1 series_fail=1] at " in text
    assert "\n  R10: needs pprof_url (goroutine_pileup_logging)\n" in text
    assert text.endswith("nothing is implicated")

    t = tied.weighing
    assert rules(t.implicated) == ["R8"] and t.latent == ()
    assert t.implicated[0].symptoms == (LATENCY,) and t.symptoms == (LATENCY,)
    data = diagnosis_dict(tied)
    assert [w["rule"] for w in data["groups"]["implicated"]] == ["R8"]
    assert data["groups"]["implicated"][0]["evidence"][0]["check_type"] == "histogram_bucket_quality"
    assert set(data["groups"]) == {"implicated", "latent", "unlikely", "not_examined"}


async def test_failing_check_whose_symptom_matches_is_implicated_first(
    shipped_library, tie, db_url, metrics_target, pprof_stub
):
    """A service whose loggers pile goroutines up (fail, R10) and which also has coarse buckets:
    the responder sees the goroutines grow, so R10 leads and R8 stays a latent risk."""
    target = metrics_target(bad_histogram_registry())
    pprof = pprof_stub([pileup_process(60)])
    d = await diagnose(
        shipped_library,
        {"metrics_url": target.url, "pprof_url": pprof.base},
        session=open_session(connect(db_url)),
        tie=tie,
        symptoms=[GOROUTINES],
    )
    w = d.weighing
    assert rules(w.implicated) == ["R10"] and rules(w.latent) == ["R8"]
    first = w.implicated[0].evidence[0]
    assert (first.check_type, first.verdict) == ("goroutine_pileup_logging", "fail")
    lines = diagnosis_text(diagnosis_dict(d)).splitlines()
    at = lines.index("implicated (evidence for, and a given symptom points at it):")
    assert lines[at + 1].startswith("  R10: goroutine_pileup_logging FAIL [")
    assert lines[at + 2] == f"      symptom: {GOROUTINES}"
    assert lines.index("latent (evidence for, but no given symptom points at it: a risk, not yet the cause):") > at


async def test_ok_checks_put_their_rules_under_unlikely(shipped_library, tie, db_url, metrics_target, pprof_stub):
    target = metrics_target(good_histogram_registry())
    pprof = pprof_stub([pileup_process(0)])
    d = await diagnose(
        shipped_library,
        {"metrics_url": target.url, "pprof_url": pprof.base},
        session=open_session(connect(db_url)),
        tie=tie,
        symptoms=[LATENCY, GOROUTINES],
    )
    w = d.weighing
    assert w.implicated == () and w.latent == ()
    assert {"R8", "R10", "R12"} <= set(rules(w.unlikely))
    against = {r: {(e.check_type, e.verdict, e.bearing) for e in w.rule(r).evidence} for r in ("R8", "R10", "R12")}
    assert against == {
        "R8": {("histogram_bucket_quality", "ok", "against")},
        "R10": {("goroutine_pileup_logging", "ok", "against")},
        "R12": {("label_cardinality", "ok", "against")},
    }
    # a symptom that points at an unlikely rule does not make it implicated
    assert w.rule("R8").symptoms == (LATENCY,)


async def test_walk_holds_a_sweep_finding_no_symptom_points_at_and_concludes_with_it(
    shipped_library, knowledge, session, metrics_target
):
    target = metrics_target(bad_histogram_registry())

    async def walk(symptoms: list[str]) -> tuple[WalkEngine, object]:
        engine = WalkEngine(shipped_library, session, author="tester", knowledge=knowledge)
        iid = engine.create_incident("latency", variables={"metrics_url": target.url})
        if symptoms:
            record_symptoms(iid, symptoms, session=session, author="tester")
        engine.start("triage")
        return engine, await autopilot(engine, answers={"start": "sweep"})

    (held_engine, held), (tied_engine, concluded) = [await walk([]), await walk([LATENCY])]

    assert held.reason == StopReason.UNDECIDED and held.ref == "p0-2-breaking#histogram-buckets"
    assert "picked by a finding of triage#sweep (a sweep), and no symptom of the incident points at R8" in held.detail
    assert held.detail.endswith("confirm it with --choose")
    assert held_engine.conclusions == ()

    assert concluded.reason == StopReason.CONCLUSION and concluded.ref == "p0-2-breaking#static-buckets"
    assert [c.rules for c in tied_engine.conclusions] == [("R8",)]

    # the UI's sweep result: the sweep step's results in diagnose's groups, tied by the
    # incident's recorded symptoms (none on the held walk, "latency..." on the other)
    node = shipped_library.node("triage#sweep")

    def at_sweep(engine: WalkEngine):
        step = next(s for s in engine.active_path if s.ref == "triage#sweep")
        symptoms, tied = incident_tie(engine.knowledge, engine.incident_id, session=engine.session)
        results = engine.results_at(step)
        return sweep_weighing(shipped_library, node, results, tied=tied, symptoms=symptoms, variables=engine.variables)

    w = at_sweep(held_engine)
    assert w.implicated == () and rules(w.latent) == ["R8"] and rules(w.unlikely) == ["R12"]
    assert {x.rule: x.needs for x in w.not_examined} == {
        "R2": ("health_url", "memory_limit_bytes"),
        "R10": ("pprof_url",),
    }
    lines = weighing_lines(weighing_dict(w))
    assert lines[0] == "no symptom given: findings are latent until a symptom points at them (--symptom)"
    assert "  R10: needs pprof_url (goroutine_pileup_logging)" in lines
    w2 = at_sweep(tied_engine)
    assert rules(w2.implicated) == ["R8"] and w2.symptoms == (LATENCY,)


def test_healthy_real_prometheus_lists_nothing_as_implicated(monkeypatch, db_url, capsys, prometheus_server):
    """The issue's new user: a real Prometheus (a Go service nobody here wrote) with its own
    metrics, pprof and health endpoints, and a symptom that points elsewhere."""
    monkeypatch.setenv("RUNBOOK_DB", db_url)
    base = prometheus_server.url
    code = main(
        [
            "diagnose",
            "--json",
            "--quiet",
            "--symptom",
            "traffic sticks to one instance",
            "--var",
            f"metrics_url={base}/metrics",
            "--var",
            f"pprof_url={base}/debug/pprof",
            "--var",
            f"health_url={base}/-/healthy",
            "--var",
            "memory_limit_bytes=8589934592",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0, data["groups"]
    assert data["groups"]["implicated"] == []
    assert data["symptoms"] == ["traffic sticks to one instance"]
    by_rule = {w["rule"]: w for ws in data["groups"].values() for w in ws}
    # its goroutines and cardinality were examined and found fine; R3 (the symptom) was not examined
    assert by_rule["R10"]["group"] == "unlikely" and by_rule["R12"]["group"] == "unlikely"
    # the page's cardinality is fine; Prometheus' TSDB-wide view was not asked for: said beside
    assert by_rule["R12"]["needs"] == ["prometheus_url"]
    assert by_rule["R3"]["group"] == "not examined" and "dns_name" in by_rule["R3"]["needs"]
    assert all(e["verdict"] != "ok" for w in data["groups"]["latent"] for e in w["evidence"])


def test_unknown_symptom_is_an_error_before_any_check(monkeypatch, db_url, capsys):
    monkeypatch.setenv("RUNBOOK_DB", db_url)
    code = main(["diagnose", "--quiet", "--symptom", "everything is slow", "--var", "metrics_url=http://127.0.0.1:9"])
    assert code == 3
    err = capsys.readouterr().err
    assert err.startswith(
        "runbook: unknown symptom 'everything is slow'; the rule records name these: "
        "/health green while the process runs out of memory; "
    )


async def test_a_second_sweep_into_the_incident_uses_its_recorded_symptoms(
    shipped_library, tie, db_url, metrics_target
):
    target = metrics_target(bad_histogram_registry())
    session = open_session(connect(db_url))
    first = await diagnose(shipped_library, {"metrics_url": target.url}, session=session, tie=tie, symptoms=[LATENCY])
    again = await diagnose(
        shipped_library, {"metrics_url": target.url}, session=session, tie=tie, incident_id=first.incident_id
    )
    assert again.incident_id == first.incident_id
    assert rules(again.weighing.implicated) == ["R8"] and again.weighing.symptoms == (LATENCY,)
    more = await diagnose(
        shipped_library,
        {"metrics_url": target.url},
        session=session,
        tie=tie,
        incident_id=first.incident_id,
        symptoms=[LATENCY, GOROUTINES],
    )
    assert more.weighing.symptoms == (LATENCY, GOROUTINES)
    notes = [e.summary for e in repo.timeline(first.incident_id, session=session) if e.kind == "note"]
    assert [n for n in notes if n.startswith("symptoms: ")] == [f"symptoms: {LATENCY}", f"symptoms: {GOROUTINES}"]
