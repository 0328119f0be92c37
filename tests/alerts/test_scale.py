"""Duplicates and bursts: two receivers on one PostgreSQL open one incident per group and walk it
once (the database decides, not a lock in a process); 100 groups in a burst are all diagnosed."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from runbook.record import repo
from runbook.record.models import AlertGroup, Step
from tests.alerts.conftest import notification, post
from tests.fixtures.metrics_targets import MetricsTarget, user_id_registry

pytestmark = pytest.mark.slow


@pytest.fixture
def faulty_target():
    target = MetricsTarget(user_id_registry(1200))
    yield target
    target.close()


def _autopilot_notes(services, incident_id: int) -> int:
    with services.session() as s:
        return sum(1 for e in repo.timeline(incident_id, session=s) if e.summary.startswith("autopilot stopped"))


@pytest.mark.timeout(180)
def test_two_receivers_on_one_postgres_open_one_incident_and_walk_once(receiver, postgres_url, faulty_target):
    a = receiver(postgres_url, walks=2)
    b = receiver(postgres_url, walks=2)
    instance = f"127.0.0.1:{faulty_target.port}"
    notes = [
        notification(
            f'{{}}:{{alertname="SeriesExplosion", shard="{i}"}}', labels={"instance": instance, "shard": str(i)}
        )
        for i in range(5)
    ]
    # Every notification three times to each receiver, all at once (Alertmanager's at-least-once
    # delivery to a receiver pair).
    sends = [(rec.url, note) for note in notes for rec in (a, b) for _ in range(3)]
    with ThreadPoolExecutor(max_workers=len(sends)) as pool:
        answers = list(pool.map(lambda s: post(*s), sends))
    assert all(code == 200 for code, _ in answers), answers
    opened = [ans for _, ans in answers if ans["action"] == "opened"]
    assert len(opened) == 5  # one per group, whichever receiver won
    assert sum(1 for _, ans in answers if ans["walk"] == "queued") == 5
    assert a.walks.wait_idle(120) and b.walks.wait_idle(120)
    with a.services.session() as s:
        incidents = repo.list_incidents(session=s)
        assert len(incidents) == 5
        assert s.scalar(select(func.count()).select_from(AlertGroup)) == 5
        for inc in incidents:
            # one walk: the routed node entered once, one autopilot stop, one conclusion
            entered = s.scalar(
                select(func.count()).select_from(Step).where(Step.incident_id == inc.id, Step.node_id == "cardinality")
            )
            assert entered == 1
            assert [c.node_id for c in repo.conclusions(inc.id, session=s)] == ["label-explosion"]
            assert _autopilot_notes(a.services, inc.id) == 1
            firing = [e for e in repo.timeline(inc.id, session=s) if e.kind == "alert"]
            assert len(firing) == 1  # six deliveries, one timeline event
    assert len(a.done) + len(b.done) == 5


@pytest.mark.timeout(240)
def test_a_burst_of_100_groups_is_queued_and_all_diagnosed(receiver, faulty_target):
    rec = receiver(walks=8)
    instance = f"127.0.0.1:{faulty_target.port}"
    notes = [
        notification(
            f'{{}}:{{alertname="SeriesExplosion", pod="p{i:03d}"}}', labels={"instance": instance, "pod": f"p{i:03d}"}
        )
        for i in range(100)
    ]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(lambda n: post(rec.url, n), notes))
    posted_s = time.monotonic() - started
    assert [code for code, _ in answers] == [200] * 100
    assert {ans["action"] for _, ans in answers} == {"opened"}
    assert posted_s < 20, f"100 notifications took {posted_s:.1f}s to be accepted"
    assert rec.walks.wait_idle(200)
    assert len(rec.done) == 100
    assert {d.state.value for d in rec.done} == {"stopped"}
    with rec.services.session() as s:
        incidents = repo.list_incidents(session=s)
        assert len(incidents) == 100
        concluded = {inc.id for inc in incidents if repo.conclusions(inc.id, session=s)}
        assert len(concluded) == 100
    assert rec.log.getvalue().count("alerts: POST 200 firing group") == 100
