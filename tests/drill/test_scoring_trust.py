"""Scoring for issue #13: a correct escalation is the answer of a red herring, an honest
"cause unknown" beats a confident wrong rule, and a mitigation drill scores time to mitigation."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from runbook.config import load_settings
from runbook.drill.scenarios import recording_dirs
from runbook.drill.scoring import HONEST_UNKNOWN_CREDIT, DrillPath, Score, concluded_rules, scenario_path, score
from runbook.drill.session import REPLAY, run_drill, run_drill_along
from runbook.playbook.model import UNEXPLAINED
from runbook.services import build_services

SETTINGS = dataclasses.replace(load_settings(), author="tester")
CONTENT = build_services(SETTINGS).content
DIRS = recording_dirs(SETTINGS.incident_dirs)
OPTIMAL = ["a", "b", "c"]


def walk(*conclusions: tuple[str, ...], refs=OPTIMAL, t=100.0, mitigated=None) -> DrillPath:
    return DrillPath(
        refs=tuple(refs),
        conclusions=conclusions,
        checks_run=1,
        hints_taken=0,
        seconds_to_diagnosis=t,
        seconds_to_mitigation=mitigated,
    )


def test_unexplained_conclusions_count_as_the_escalation():
    assert concluded_rules(()) == (UNEXPLAINED,) and concluded_rules(("R3",)) == ("R3",)


def test_a_correct_escalation_scores_full():
    s = score(walk((UNEXPLAINED,)), [UNEXPLAINED], OPTIMAL, 1, 600)
    assert s.total == 100 and s.found == (UNEXPLAINED,) and s.wrong == ()


def test_a_rule_concluded_on_a_red_herring_is_wrong():
    s = score(walk(("R8",), t=None), [UNEXPLAINED], OPTIMAL, 1, 600)
    assert s.total == 0 and s.wrong == (("R8",),) and s.missed == (UNEXPLAINED,)


def test_an_honest_unknown_scores_more_than_a_confident_wrong_rule():
    honest = score(walk((UNEXPLAINED,), t=None), ["R3"], OPTIMAL, 1, 600)
    wrong = score(walk(("R5",), t=None), ["R3"], OPTIMAL, 1, 600)
    assert honest.honest_unknown and honest.root_cause == HONEST_UNKNOWN_CREDIT and honest.total == 10
    assert not wrong.honest_unknown and wrong.root_cause == 0 and wrong.total == 0
    # an escalation followed by a wrong rule is a wrong rule
    both = score(walk((UNEXPLAINED,), ("R5",), t=None), ["R3"], OPTIMAL, 1, 600)
    assert not both.honest_unknown and both.total == 0


def test_time_to_mitigation_replaces_time_to_diagnosis_when_the_scenario_names_one():
    fast = score(walk(("R12",), t=900, mitigated=60), ["R12"], OPTIMAL, 1, 600, mitigation_par_s=120)
    slow = score(walk(("R12",), t=10, mitigated=240), ["R12"], OPTIMAL, 1, 600, mitigation_par_s=120)
    never = score(walk(("R12",), t=10), ["R12"], OPTIMAL, 1, 600, mitigation_par_s=120)
    assert (fast.time, fast.total) == (1.0, 100)
    assert slow.time == pytest.approx(1 - 120 / 360, abs=1e-3) and slow.seconds_to_mitigation == 240
    assert never.time == 0 and never.total == 85
    assert (never.par_s, never.mitigation_par_s) == (600, 120)


def test_old_scores_still_load():
    data = score(walk(("R3",)), ["R3"], OPTIMAL, 1, 600).to_dict()
    for key in ("honest_unknown", "seconds_to_mitigation", "mitigation_par_s"):
        data.pop(key)
    assert Score.from_dict(data).total == 100


@pytest.fixture()
def factory(tmp_path):
    services = build_services(SETTINGS, db_url=f"sqlite:///{tmp_path / 'record.db'}", content=CONTENT)
    return lambda runner, observer: services.walk_engine(runner=runner, observer=observer)


def test_red_herring_on_autopilot_escalates_and_scores_full(factory):
    """The healthy recording's sweep finds nothing: the autopilot ends at the escalation."""
    scenario = CONTENT.scenarios["rh-database-down"]
    run = asyncio.run(run_drill(scenario, factory, auto=True, recording_dirs=DIRS))
    assert run.stop_reason == "unexplained" and run.path == ("triage#sweep", "triage#unexplained")
    assert run.score.total == 100 and run.conclusions == ((UNEXPLAINED,),)


def test_red_herring_forced_into_a_rule_scores_nothing(factory):
    scenario = CONTENT.scenarios["rh-database-down"]
    forced = ["triage#sweep", "p0-2-breaking#histogram-buckets", "p0-2-breaking#static-buckets"]
    run = asyncio.run(run_drill_along(scenario, factory, forced, mode=REPLAY, recording_dirs=DIRS))
    assert run.score.wrong == (("R8",),) and run.score.total == 0


def test_honest_escalation_on_a_rule_drill_beats_the_wrong_rule(factory):
    scenario = CONTENT.scenarios["r3-dns-fixed-order"]
    honest = ["triage#start", "triage#unexplained"]
    wrong = ["triage#start", "p0-1-discovery#conn-leak", "p0-1-discovery#sync-pool-leak"]
    h = asyncio.run(run_drill_along(scenario, factory, honest, mode=REPLAY, recording_dirs=DIRS))
    w = asyncio.run(run_drill_along(scenario, factory, wrong, mode=REPLAY, recording_dirs=DIRS))
    assert h.score.honest_unknown and h.score.total == 10
    assert w.score.wrong == (("R5",),) and w.score.total == 0


def test_mitigation_drill_yardstick_goes_through_the_rollback(factory):
    scenario = CONTENT.scenarios["p0-3-bad-release"]
    best = scenario_path(CONTENT.library, scenario)
    assert best[:3] == ["triage#start", "triage#changes", "triage#rollback"]
    assert best[-1] == "p0-3-observability#label-explosion"
    run = asyncio.run(run_drill_along(scenario, factory, best, mode=REPLAY, recording_dirs=DIRS))
    assert run.score.total == 100 and run.score.seconds_to_mitigation is not None
    # diagnosing without stopping the damage first loses the whole time part
    skip = ["triage#start", "p0-3-observability#cardinality", "p0-3-observability#label-explosion"]
    late = asyncio.run(run_drill_along(scenario, factory, skip, mode=REPLAY, recording_dirs=DIRS))
    assert late.score.found == ("R12",) and late.score.time == 0 and late.score.total == 85
