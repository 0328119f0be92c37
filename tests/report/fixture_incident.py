"""The fixture incident of the golden files, written through the record's repository functions.

Times are fixed: explicit ``at=`` where the repository takes one, and a ticking fake clock for
the rows it stamps itself (``check_run``, conclusions, action items), so two builds of the same
story give byte-identical postmortems.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from unittest import mock

from sqlmodel import Session

from runbook.checks.base import CheckResult, Evidence, Verdict
from runbook.record import repo

T0 = datetime(2026, 3, 14, 2, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 15, 9, 0, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class Clock:
    """A fake ``utcnow``: returns ``current`` and moves it on by one second per call."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def set(self, when: datetime) -> None:
        self.current = when

    def __call__(self) -> datetime:
        value = self.current
        self.current += timedelta(seconds=1)
        return value


@contextlib.contextmanager
def fixed_clock(start: datetime = T0) -> Iterator[Clock]:
    """Patch the repository's clock for the rows it stamps itself."""
    clock = Clock(start)
    with contextlib.ExitStack() as stack:
        for module in ("runbook.record.repo", "runbook.record.writes", "runbook.record.steps"):
            stack.enter_context(mock.patch(f"{module}.utcnow", clock))
        yield clock


def _lease_check(started: datetime) -> CheckResult:
    return CheckResult(
        check_type="etcd_lease_keepalive",
        verdict=Verdict.FAIL,
        summary="2 of 3 registered instances lost their lease during the 30 s window (TTL 10 s)",
        figures={"expired_leases": 2, "instances": 1, "expected_instances": 3},
        thresholds={"fail_expired_leases": 1},
        evidence=(
            Evidence(started, "request", "POST http://***@10.0.3.5:2379/v3/watch prefix=/services/orders/"),
            Evidence(
                started + timedelta(seconds=12),
                "event",
                "DELETE /services/orders/10.0.3.17:8080 prev_kv.lease=7587869876 (GET /v3/kv?token=s3cr3t)",
            ),
            Evidence(started + timedelta(seconds=14), "event", "DELETE /services/orders/10.0.3.18:8080"),
            Evidence(
                started + timedelta(seconds=30),
                "vanished",
                "2 of 3 keys vanished under /services/orders/ (lease TTL 10 s)\n"
                "/services/orders/10.0.3.17:8080 lease 1c4a2b9e00f3 created rev 4101, deleted rev 4182\n"
                "/services/orders/10.0.3.18:8080 lease 1c4a2b9e00f3 created rev 4102, deleted rev 4183",
                deciding=True,
            ),
        ),
        started_at=started,
        duration_s=30.2,
        params={"etcd_url": "http://***@10.0.3.5:2379", "prefix": "/services/orders/", "expected_instances": 3},
    )


def _ok_check(started: datetime) -> CheckResult:
    return CheckResult(
        check_type="dns_rr_effectiveness",
        verdict=Verdict.OK,
        summary="the A record set rotates between queries",
        figures={"distinct_orders": 3},
        thresholds={},
        evidence=(),
        started_at=started,
        duration_s=1.1,
        params={"name": "orders.svc.cluster.local"},
    )


def build_fixture(session: Session) -> int:
    """Write the fixture story (and one earlier incident with the same rule); return its id."""
    with fixed_clock(at(-20000)) as clock:
        earlier = repo.create_incident(
            session=session,
            title="Payments instances missing from discovery",
            severity="P2",
            service="payments",
            author="dana",
            started_at=at(-20000),
        )
        repo.add_conclusion(
            earlier.id,
            session=session,
            rule_ids=["R1"],
            title="lease tied to watcher contexts",
            playbook_id="p0-1-discovery",
            node_id="lease-race",
            author="dana",
        )
        clock.set(at(4))
        inc = repo.create_incident(
            session=session,
            title="Orders instances vanish from discovery",
            severity="P1",
            service="orders-api",
            author="alice",
            started_at=at(0),
            detected_at=at(4),
        )
        iid = inc.id
        s1 = repo.add_step(iid, "triage", "start", session=session, author="alice", at=at(5))
        repo.record_choice(
            s1.id,
            "instances vanishing from discovery",
            next_node_id="p0-1-discovery#start",
            session=session,
            author="alice",
            at=at(6),
        )
        s2 = repo.add_step(iid, "p0-1-discovery", "lease-ttl", session=session, author="alice", at=at(6))
        clock.set(at(7))
        repo.add_check_result(
            iid,
            _lease_check(at(6.5)),
            session=session,
            step_id=s2.id,
            playbook_id="p0-1-discovery",
            node_id="lease-ttl",
            author="runbook",
        )
        repo.record_choice(
            s2.id,
            "leases expire",
            next_node_id="lease-race",
            automatic=True,
            session=session,
            author="runbook",
            at=at(7.5),
        )
        s3 = repo.add_step(iid, "p0-1-discovery", "dns-order", session=session, author="bob", at=at(8))
        clock.set(at(8.5))
        repo.add_check_result(
            iid,
            _ok_check(at(8.2)),
            session=session,
            step_id=s3.id,
            playbook_id="p0-1-discovery",
            node_id="dns-order",
            author="runbook",
        )
        repo.mark_step_undone(s3.id, session=session, author="bob", at=at(9))
        s4 = repo.add_step(iid, "p0-1-discovery", "lease-race", session=session, author="alice", at=at(10))
        clock.set(at(10.5))
        repo.add_conclusion(
            iid,
            session=session,
            rule_ids=["R1"],
            title="KeepAlive tied to watcher contexts",
            step_id=s4.id,
            playbook_id="p0-1-discovery",
            node_id="lease-race",
            author="alice",
        )
        repo.add_finding(
            iid,
            "The lease check named the expired leases within a minute of starting the walk.",
            session=session,
            tags=["went_well"],
            author="alice",
            at=at(11),
        )
        repo.add_finding(
            iid,
            "The first alert fired on the error rate, four minutes after the instances vanished.",
            session=session,
            tags=["went_wrong"],
            author="bob",
            at=at(12),
        )
        repo.add_finding(
            iid,
            "Traffic was at its daily low when the leases expired.",
            session=session,
            tags=["lucky"],
            author="bob",
            at=at(12.5),
        )
        clock.set(at(13))
        mit = repo.add_action_item(
            iid,
            "Restart orders-api pods so every instance re-registers",
            session=session,
            type="mitigate",
            owner="sre-oncall",
            due=date(2026, 3, 14),
            author="alice",
        )
        repo.update_action_item(mit.id, session=session, status="done")
        repo.add_action_item(
            iid,
            "Own the lease in one LeaseManager per process; re-grant and re-register on loss",
            session=session,
            type="prevent",
            owner="orders team",
            due=date(2026, 4, 1),
            rule="R1",
            author="alice",
        )
        repo.update_status(iid, "mitigated", session=session, author="alice", at=at(15))
        repo.update_status(iid, "resolved", session=session, author="alice", at=at(40))
        repo.update_incident(
            iid,
            session=session,
            summary="Two of three orders-api instances dropped out of etcd discovery for 30 minutes: their "
            "registration leases expired while the processes kept running.",
            impact="About a third of order submissions failed with 503 between 02:10 and 02:40 UTC.",
            trigger="A resolver rebuild during a config push cancelled the contexts the keep-alives ran on.",
            resolution="The pods were restarted and re-registered; the lease handling is being reworked (R1).",
        )
        clock.set(at(24 * 60))
        repo.set_postmortem_status(iid, "in_review", session=session, author="alice")
    return iid
