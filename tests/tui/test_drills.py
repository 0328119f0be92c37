"""A drill in the terminal UI: pick a scenario, walk it in replay along the best path, get scored."""

from __future__ import annotations

from runbook.drill.scoring import optimal_path
from runbook.playbook.model import NodeKind
from runbook.record.repo import get_incident, timeline
from runbook.tui.screens.drill_result import DrillResultScreen
from runbook.tui.screens.drills import DrillsScreen
from tests.tui.pilot import record, wait_for, walk_shown

SCENARIO = "r8-histogram-buckets"


async def test_replay_drill_walked_by_keys_scores_full(make, settings):
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DrillsScreen) and app.screen.content is not None)
        drills = app.screen
        ids = sorted(drills.content.scenarios)
        drills.query_one("#drill-list").highlighted = ids.index(SCENARIO)
        await pilot.press("enter")
        walk = await walk_shown(app, pilot, loaded=lambda engine: engine.node is not None)
        engine = walk.engine
        scenario = drills.content.scenarios[SCENARIO]
        best = optimal_path(engine.library, scenario.start_ref(engine.library), scenario.truth)
        for i, ref in enumerate(best[:-1]):
            assert engine.ref == ref
            node = engine.node
            if node.kind is NodeKind.CHECK:
                await pilot.press("r")
                await wait_for(pilot, lambda: engine.suggestion is not None, timeout=30)
                assert engine.suggestion.target == best[i + 1], "the recorded verdict points along the best path"
                await pilot.press("s")
            else:
                index = next(n for n, c in enumerate(node.choices, 1) if c.ref == best[i + 1])
                await pilot.press(str(index))
            await wait_for(pilot, lambda want=best[i + 1]: engine.ref == want)
        assert engine.at_conclusion
        await wait_for(pilot, lambda: any("scored" in e.summary for e in _events(settings, walk.incident_id)))
        await wait_for(pilot, lambda: isinstance(app.screen, DrillResultScreen))  # the score, on a screen
        assert app.screen.text.startswith(f"# Drill {SCENARIO}: 100/100")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is walk)
    events = _events(settings, walk.incident_id)
    assert any(e.summary.startswith(f"drill {SCENARIO} scored 100/100") for e in events), [e.summary for e in events]
    with record(settings) as s:
        assert get_incident(walk.incident_id, session=s).is_drill


def _events(settings, incident_id):
    with record(settings) as s:
        return timeline(incident_id, session=s)
