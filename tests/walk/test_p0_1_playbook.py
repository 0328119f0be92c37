"""The shipped triage -> P0-1 playbooks, walked by the autopilot against a real etcd.

Both walks run at once (the real playbook watches leases for its default 30 s window).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from runbook.record.db import connect, open_session
from runbook.walk.autopilot import autopilot
from runbook.walk.engine import WalkEngine
from runbook.walk.state import StopReason
from runbook.walk.variables import MissingVariables

BAD_GO = str(Path(__file__).parents[1] / "checks" / "go_samples" / "bad")
TO_LEASES = {"start": "p0-1-discovery#lease-health"}


@pytest.mark.slow
async def test_triage_to_p0_1_expiring_lease_reaches_r1_healthy_does_not(
    shipped_library, db_url, etcd_server, expiring_lease, healthy_lease
):
    bad = WalkEngine(shipped_library, open_session(connect(db_url)), author="a")
    bad.create_incident("instances vanish", variables={**expiring_lease, "source_path": BAD_GO})
    bad.start("triage")
    good = WalkEngine(shipped_library, open_session(connect(db_url)), author="b")
    good.create_incident("instances vanish?", variables={**healthy_lease, "source_path": BAD_GO})
    good.start("triage")

    async def walk_good():
        with pytest.raises(MissingVariables) as missing:
            await autopilot(good, answers=TO_LEASES)
        return missing.value

    stop, missing = await asyncio.gather(autopilot(bad, answers=TO_LEASES), walk_good())

    # The scan's match is a warn: the autopilot stops at the confirmation, concluding nothing.
    assert stop.reason == StopReason.QUESTION and stop.ref == "p0-1-discovery#confirm-keepalive"
    assert bad.conclusions == ()
    stop = await autopilot(bad, answers={"confirm-keepalive": "lease-race"})
    assert stop.reason == StopReason.CONCLUSION
    assert [s.ref for s in bad.active_path] == [
        "triage#start",
        "p0-1-discovery#lease-health",
        "p0-1-discovery#etcd-health",
        "p0-1-discovery#keepalive-code",
        "p0-1-discovery#confirm-keepalive",
        "p0-1-discovery#lease-race",
    ]
    assert [c.rules for c in bad.conclusions] == [("R1",)]
    verdicts = [r.result.verdict.value for s in bad.active_path for r in bad.results_at(s)]
    # leases expired; etcd itself is healthy; KeepAlive per watcher in the Go source (a heuristic)
    assert verdicts == ["fail", "ok", "warn"]

    # The healthy walk leaves the lease branch and asks for the probe's variables.
    assert good.results_at(good.active_path[1])[0].result.verdict.value == "ok"
    assert good.ref == "p0-1-discovery#probe-flapping"
    assert {v.name for v in missing.needed} == {"health_url", "probe_timeout_s"}
    assert "health_url: Full URL of the instance's health endpoint" in missing.message
    assert good.conclusions == ()
