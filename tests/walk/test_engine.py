"""The engine's record-backed state: variables asked before any network call, undo keeping
history, jumps across playbooks, continue from triage, resume, observer calls."""

from __future__ import annotations

import pytest

from runbook.checks.runner import run_check
from runbook.record import repo
from runbook.walk.engine import WalkEngine, WalkError
from runbook.walk.observer import CompositeObserver, NullWalkObserver
from runbook.walk.variables import InvalidParams, MissingVariables


class SpyRunner:
    """The real runner, counting calls: proves what did (not) reach the network."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    async def __call__(self, check_type, params, **kwargs):
        self.calls.append((check_type, dict(params)))
        return await run_check(check_type, params, **kwargs)


class Recorder(NullWalkObserver):
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def node_entered(self, step, node):
        self.calls.append(("node_entered", node.ref, step.seq))

    def check_started(self, key, check_type):
        self.calls.append(("check_started", key))

    def check_finished(self, key, result):
        self.calls.append(("check_finished", key, result.verdict.value))

    def choice_suggested(self, suggestion):
        self.calls.append(("choice_suggested", suggestion.target if suggestion else None))

    def choice_taken(self, choice):
        self.calls.append(("choice_taken", choice.step.ref, choice.target, choice.automatic))

    def step_undone(self, step):
        self.calls.append(("step_undone", step.ref, step.undone))

    def conclusion_reached(self, conclusion):
        self.calls.append(("conclusion_reached", conclusion.ref, conclusion.rules))


async def test_missing_variables_are_asked_before_any_network_call(make_engine, test_library, session):
    spy = SpyRunner()
    engine = make_engine(test_library, runner=spy)
    iid = engine.create_incident("vanishing", variables={"etcd_url": "http://127.0.0.1:2379", "service_prefix": ""})
    engine.start("walktest")

    with pytest.raises(MissingVariables) as exc:
        await engine.run_checks()

    assert [(v.name, v.description) for v in exc.value.needed] == [
        ("service_prefix", "Key prefix under which instances register"),
        ("window_s", "How long to watch the leases, in seconds"),
    ]
    assert "  service_prefix: Key prefix under which instances register (e.g. /services/orders/)" in exc.value.message
    assert spy.calls == []  # the empty service_prefix was never sent
    assert [e.kind for e in repo.timeline(iid, session=session)] == ["opened", "node_entered"]
    assert engine.needs_checks


async def test_invalid_variable_value_is_caught_before_any_network_call(make_engine, test_library):
    spy = SpyRunner()
    engine = make_engine(test_library, runner=spy)
    engine.create_incident(
        "bad window", variables={"etcd_url": "http://127.0.0.1:2379", "service_prefix": "/s/", "window_s": "soon"}
    )
    engine.start("walktest")
    with pytest.raises(InvalidParams, match="parameter 'duration_s'"):
        await engine.run_checks()
    assert spy.calls == []


async def test_set_variables_then_checks_run_with_them(make_engine, test_library, expiring_lease, session):
    spy = SpyRunner()
    engine = make_engine(test_library, runner=spy)
    iid = engine.create_incident("vanishing")
    engine.start("walktest")
    assert [v.name for v in engine.missing_variables()] == ["etcd_url", "service_prefix", "window_s"]
    engine.set_variables({**expiring_lease, "window_s": "3"})
    assert engine.missing_variables() == []
    results = await engine.run_checks()
    assert spy.calls[0][1]["prefix"] == expiring_lease["service_prefix"]
    assert results[0].verdict.value == "fail" and results[0].target == "walktest#lease-race"
    assert repo.get_incident(iid, session=session).variables["window_s"] == "3"


def test_undo_keeps_history_and_resume_rebuilds_it(make_engine, test_library, session):
    rec = Recorder()
    engine = make_engine(test_library, observer=rec)
    iid = engine.create_incident("probes")
    engine.enter("walktest#deploy")
    engine.choose("probe-flapping")
    assert [c.rules for c in engine.conclusions] == [("R2",)]

    engine.undo()

    assert engine.ref == "walktest#deploy"
    assert engine.conclusions == ()  # an undone conclusion no longer counts
    assert [(s.ref, s.undone) for s in engine.path] == [("walktest#deploy", False), ("walktest#probe-flapping", True)]
    assert engine.current_step.choice is None
    events = repo.timeline(iid, session=session)
    assert [(e.kind, e.undone) for e in events] == [
        ("opened", False),
        ("node_entered", False),
        ("choice_taken", False),
        ("node_entered", True),
        ("conclusion_reached", True),
        ("step_undone", False),
    ]
    assert rec.calls[-1] == ("step_undone", "walktest#probe-flapping", True)

    engine.choose("1")  # "Yes, roll it back and re-check": the deliberate loop back
    assert engine.ref == "walktest#lease-health"

    again = WalkEngine(test_library, session)
    again.resume(f"INC-{iid:04d}")
    assert again.path == engine.path and again.ref == "walktest#lease-health"
    assert [s.seq for s in again.active_path] == [1, 3]
    with pytest.raises(WalkError, match="nothing to undo"):
        fresh = make_engine(test_library)
        fresh.create_incident("x")
        fresh.start("walktest")
        fresh.undo()


def test_jump_across_playbooks_and_continue_from_triage(make_engine, shipped_library, session):
    rec = Recorder()
    engine = make_engine(shipped_library, observer=rec)
    iid = engine.create_incident("vanishing")
    engine.start("triage")
    engine.choose("p0-1-discovery#lease-health")  # a choice into another playbook
    engine.choose("etcd-health")  # a person overrides: no checks run
    engine.choose("keepalive-code")
    engine.choose("lease-race")
    assert engine.at_conclusion and engine.conclusions[0].rules == ("R1",)
    with pytest.raises(WalkError, match="not a choice of p0-1-discovery#lease-race"):
        engine.choose("start")

    engine.continue_from_triage()

    assert engine.ref == "triage#start"
    assert [c.rules for c in engine.conclusions] == [("R1",)]
    assert [s.ref for s in engine.active_path] == [
        "triage#start",
        "p0-1-discovery#lease-health",
        "p0-1-discovery#etcd-health",
        "p0-1-discovery#keepalive-code",
        "p0-1-discovery#lease-race",
        "triage#start",
    ]
    assert engine.path[4].choice == "continue from triage"
    assert ("conclusion_reached", "p0-1-discovery#lease-race", ("R1",)) in rec.calls
    steps = repo.steps(iid, session=session)
    assert [(s.playbook_id, s.next_node_id) for s in steps][:2] == [
        ("triage", "p0-1-discovery#lease-health"),
        ("p0-1-discovery", "p0-1-discovery#etcd-health"),
    ]


async def test_observer_hears_everything_in_order_and_a_broken_one_is_contained(
    make_engine, test_library, expiring_lease
):
    from runbook.walk.autopilot import autopilot

    class Broken(NullWalkObserver):
        def node_entered(self, step, node):
            raise RuntimeError("view crashed")

    rec = Recorder()
    both = CompositeObserver([Broken(), rec])
    engine = make_engine(test_library, observer=both)
    engine.create_incident("obs", variables={**expiring_lease, "window_s": "3"})
    engine.start("walktest")
    await autopilot(engine)
    assert rec.calls == [
        ("node_entered", "walktest#lease-health", 1),
        ("check_started", "walktest#lease-health#0"),
        ("check_finished", "walktest#lease-health#0", "fail"),
        ("choice_suggested", "walktest#lease-race"),
        ("choice_taken", "walktest#lease-health", "walktest#lease-race", True),
        ("node_entered", "walktest#lease-race", 2),
        ("conclusion_reached", "walktest#lease-race", ("R1",)),
    ]
    assert [str(e) for e in both.errors] == ["view crashed", "view crashed"]


async def test_secret_variables_are_used_but_never_recorded(make_engine, test_library, session, etcd_server):
    spy = SpyRunner()
    engine = make_engine(test_library, runner=spy)
    secret_url = f"http://root:hunter2@127.0.0.1:{etcd_server.client_port}"
    iid = engine.create_incident("creds", variables={"etcd_url": secret_url, "service_prefix": "/none/"})
    engine.start("walktest")
    engine.set_variables({"window_s": "1", "api_token": "s3cr3t-value"})
    await engine.run_checks()
    assert spy.calls[0][1]["etcd_url"] == secret_url  # the check got the real URL
    stored = repo.get_incident(iid, session=session).variables
    assert stored == {"service_prefix": "/none/", "window_s": "1"}
    dump = " ".join(f"{e.summary} {e.payload}" for e in repo.timeline(iid, session=session))
    assert "hunter2" not in dump and "s3cr3t-value" not in dump
    # A resumed walk does not have them: they are asked for again.
    again = WalkEngine(test_library, session)
    again.resume(iid)
    assert [v.name for v in again.missing_variables()] == ["etcd_url"]


async def test_cancelled_checks_leave_a_note_and_run_again(make_engine, test_library, healthy_lease, session):
    import asyncio

    rec = Recorder()
    engine = make_engine(test_library, observer=rec)
    iid = engine.create_incident("cancel", variables={**healthy_lease, "window_s": "30"})
    engine.start("walktest")
    task = asyncio.create_task(engine.run_checks())
    while ("check_started", "walktest#lease-health#0") not in rec.calls:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert rec.calls[-1] == ("check_finished", "walktest#lease-health#0", "unknown")
    assert engine.needs_checks and engine.results == () and engine.suggestion is None
    kinds = [(e.kind, e.summary) for e in repo.timeline(iid, session=session)][-2:]
    assert kinds == [
        ("check_started", "etcd_lease_keepalive started"),
        ("note", "etcd_lease_keepalive cancelled before a verdict"),
    ]


def test_refresh_sees_a_second_responders_move(test_library, db_url):
    from runbook.record.db import connect, open_session

    alice = WalkEngine(test_library, open_session(connect(db_url)), author="alice")
    iid = alice.create_incident("two responders")
    alice.enter("walktest#deploy")
    bob = WalkEngine(test_library, open_session(connect(db_url)), author="bob")
    bob.resume(iid)
    assert bob.ref == "walktest#deploy"
    bob.choose("probe-flapping")

    assert alice.ref == "walktest#deploy"  # until she looks again
    alice.refresh()
    assert alice.ref == "walktest#probe-flapping" and alice.conclusions[0].rules == ("R2",)
    assert alice.path == bob.path
