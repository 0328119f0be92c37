"""The red herrings' replay (``healthy-service``) is what real servers measure today: a healthy
prometheus_client service and an idle Go process give every sweep check the stored verdict."""

from __future__ import annotations

import asyncio

from runbook.config import shipped_playbooks_dir
from runbook.drill.recording import load_recording
from runbook.playbook.library import load_library
from tests.drill.record_healthy import NAME, RECORDINGS, record


def test_healthy_recording_is_reproduced_by_real_servers():
    stored = load_recording(NAME, [RECORDINGS])
    fresh = asyncio.run(record(load_library([shipped_playbooks_dir()])))
    assert {k: r.verdict.value for k, r in fresh.by_block.items()} == {
        k: r.verdict.value for k, r in stored.by_block.items()
    }
    sweep = [stored.by_block[f"triage#sweep#{i}"].verdict.value for i in range(4)]
    assert sweep == ["ok", "ok", "ok", "ok"]
