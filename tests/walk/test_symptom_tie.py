"""The tie from symptoms to rules is data that matches the playbooks, and the walk's hold rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from runbook.playbook.suggest import all_symptoms
from runbook.walk.state import WalkStep
from runbook.walk.symptom_tie import SymptomTie, UnknownSymptom, is_survey, sweep_hold


def test_every_rule_symptom_is_a_playbook_phrase_and_every_phrase_points_at_a_rule(shipped_library, knowledge):
    """A phrase a rule lists that no playbook offers could never be chosen; a playbook phrase no
    rule lists would leave every finding latent whoever picked it."""
    offered = {s.lower() for s in all_symptoms(shipped_library)}
    tie = SymptomTie.from_knowledge(knowledge)
    assert sorted(p for p in tie.phrases if p.lower() not in offered) == []
    assert sorted(p for p in offered if p not in {q.lower() for q in tie.phrases}) == []
    assert tie.rules_by_symptom["latency dashboards look wrong"] == ("R8",)
    assert set(knowledge.rules) == {r for rules in tie.rules_by_symptom.values() for r in rules}


def test_tie_names_the_given_symptoms_per_rule_and_refuses_a_phrase_it_does_not_know():
    tie = SymptomTie({"A thing": ("R1", "R2"), "other": ("R2",)})
    assert tie.tie(["a  THING", "other", " "]) == {"R1": ("A thing",), "R2": ("A thing", "other")}
    with pytest.raises(UnknownSymptom) as err:
        tie.tie(["nope"])
    assert err.value.message == "unknown symptom 'nope'; the rule records name these: A thing; other"


def _step(seq: int, ref: str, automatic: bool) -> WalkStep:
    pb, _, node = ref.partition("#")
    return WalkStep(seq, seq, pb, node, datetime.now(UTC), automatic=automatic)


def test_only_triage_sweep_is_a_survey_and_the_hold_needs_an_automatic_route_from_it(shipped_library):
    lib = shipped_library
    surveys = [n.ref for pb in lib.playbooks.values() for n in pb.nodes.values() if is_survey(n)]
    assert surveys == ["triage#sweep"]
    target = "p0-2-breaking#static-buckets"
    swept = [
        _step(1, "triage#start", False),
        _step(2, "triage#sweep", True),
        _step(3, "p0-2-breaking#histogram-buckets", False),
    ]
    held = sweep_hold(lib, swept, target, set())
    assert held is not None and "no symptom of the incident points at R8" in held
    assert sweep_hold(lib, swept, target, {"R8"}) is None
    # a person chose the latency branch: the symptom picked the route, nothing to hold
    chosen = [_step(1, "triage#start", False), _step(2, "p0-2-breaking#histogram-buckets", False)]
    assert sweep_hold(lib, chosen, target, set()) is None
    # a person took over after the sweep (answered a node in between): not held either
    answered = [
        _step(1, "triage#start", False),
        _step(2, "triage#sweep", True),
        _step(3, "p0-2-breaking#start", False),
        _step(4, "p0-2-breaking#histogram-buckets", False),
    ]
    assert sweep_hold(lib, answered, target, set()) is None
    # a node that is not a conclusion is never held
    assert sweep_hold(lib, swept, "p0-2-breaking#histogram-buckets", set()) is None
