"""Autopilot walks against a real etcd: an expiring registration lease concludes R1, a healthy one does not."""

from __future__ import annotations

from runbook.record import repo
from runbook.walk.autopilot import autopilot
from runbook.walk.state import StopReason


async def test_expiring_lease_autopilot_reaches_r1(make_engine, test_library, expiring_lease, session):
    engine = make_engine(test_library)
    iid = engine.create_incident("instances vanish", variables={**expiring_lease, "window_s": "4"})
    engine.start("walktest")

    stop = await autopilot(engine)

    assert stop.reason == StopReason.CONCLUSION and stop.exit_code == 0
    assert stop.ref == "walktest#lease-race"
    assert [c.rules for c in engine.conclusions] == [("R1",)]
    assert engine.conclusions[0].automatic
    first = engine.path[0]
    assert (first.ref, first.next_ref, first.automatic) == ("walktest#lease-health", "walktest#lease-race", True)
    check = engine.results_at(first)[0].result
    assert check.verdict.value == "fail" and check.figures["expired_leases"] == 1
    # The record holds every step and check, in order, marked automatic where the verdict chose.
    kinds = [(e.kind, e.automatic) for e in repo.timeline(iid, session=session)]
    assert kinds == [
        ("opened", False),
        ("node_entered", False),
        ("check_started", True),
        ("check_run", True),
        ("choice_taken", True),
        ("node_entered", True),
        ("conclusion_reached", True),
    ]


async def test_healthy_lease_does_not_conclude_r1(make_engine, test_library, healthy_lease):
    engine = make_engine(test_library)
    engine.create_incident("instances vanish?", variables={**healthy_lease, "window_s": "4"})
    engine.start("walktest")

    stop = await autopilot(engine)

    assert engine.results_at(engine.path[0])[0].result.verdict.value == "ok"
    assert stop.reason == StopReason.QUESTION and stop.exit_code == 1
    assert stop.ref == "walktest#deploy"
    assert engine.conclusions == ()
    assert all("R1" not in c.rules for c in engine.conclusions)


async def test_unreachable_etcd_stops_at_unknown(make_engine, test_library):
    from tests.fixtures.proc import free_port

    engine = make_engine(test_library)
    engine.create_incident(
        "no etcd", variables={"etcd_url": f"http://127.0.0.1:{free_port()}", "service_prefix": "/x/", "window_s": "2"}
    )
    engine.start("walktest")

    stop = await autopilot(engine)

    assert stop.reason == StopReason.UNKNOWN and stop.exit_code == 2
    assert "connection refused" in stop.detail
    assert engine.ref == "walktest#lease-health" and engine.suggestion is None


async def test_answers_and_follow_off(make_engine, test_library, expiring_lease):
    """Without following suggestions the walk runs the checks and stops with the suggestion
    for a person; a pre-given answer is taken as a person's choice (not automatic)."""
    engine = make_engine(test_library)
    engine.create_incident("manual", variables={**expiring_lease, "window_s": "3"})
    engine.start("walktest")

    stop = await autopilot(engine, follow=False)
    assert stop.reason == StopReason.UNDECIDED and "suggested: Leases expire" in stop.detail
    assert engine.suggestion.target == "walktest#lease-race"

    stop = await autopilot(engine, answers={"lease-health": "2", "deploy": "probe-flapping"}, follow=False)
    assert stop.reason == StopReason.CONCLUSION
    assert [s.ref for s in engine.active_path] == [
        "walktest#lease-health",
        "walktest#deploy",
        "walktest#probe-flapping",
    ]
    assert not any(s.automatic for s in engine.active_path)
    assert engine.conclusions[0].rules == ("R2",)
