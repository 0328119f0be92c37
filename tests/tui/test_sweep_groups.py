"""Triage's sweep in the UI shows its findings in diagnose's groups (#19): a finding no recorded
symptom points at is latent, never presented as the cause."""

from __future__ import annotations

from textual.widgets import Static

from tests.fixtures.metrics_targets import bad_histogram_registry
from tests.tui.pilot import wait_for
from tests.tui.test_start_form import _start_walk


async def test_sweep_findings_are_grouped_and_a_latent_one_is_not_the_cause(make, metrics_target):
    target = metrics_target(bad_histogram_registry())
    app = make()
    async with app.run_test(size=(120, 35)) as pilot:
        walk = await _start_walk(pilot, app, "latency dashboard looks odd", "triage", {"metrics_url": target.url})
        assert walk.engine is not None
        walk._call(lambda engine: engine.choose("sweep"))
        await wait_for(pilot, lambda: walk.engine is not None and walk.engine.ref == "triage#sweep")
        assert not walk.query_one("#weighing", Static).display or not str(walk.query_one("#weighing").content)
        await pilot.press("r")
        await wait_for(pilot, lambda: walk.engine is not None and len(walk.engine.results) > 1, timeout=60)
        await wait_for(
            pilot, lambda: "latent (evidence for" in str(walk.query_one("#weighing", Static).content), timeout=30
        )
        lines = str(walk.query_one("#weighing", Static).content).splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("latent (evidence for"))
        latent = [line for line in lines[start + 1 :] if line.startswith("  ")]
        assert any(line.strip().startswith("R8") for line in latent), lines
        assert not any(line.startswith("implicated (") for line in lines), lines
        assert "nothing is implicated" in lines
