"""Scoring is a pure function of the path taken against the networkx shortest path."""

from __future__ import annotations

import networkx as nx
import pytest

from runbook.drill.scoring import DrillPath, Score, checks_on_path, optimal_path, score
from runbook.errors import RunbookError
from runbook.playbook.library import load_library
from runbook.services import build_services


@pytest.fixture(scope="module")
def library():
    return build_services().content.library


def test_optimal_path_is_the_networkx_shortest_path(library):
    path = optimal_path(library, "triage#start", ["R3"])
    assert path[0] == "triage#start" and library.node(path[-1]).conclusion.rules == ("R3",)
    conclusions = [n for n, d in library.graph.nodes(data=True) if "R3" in (d.get("rules") or [])]
    best = min(
        nx.shortest_path_length(library.graph, "triage#start", c)
        for c in conclusions
        if nx.has_path(library.graph, "triage#start", c)
    )
    assert len(path) - 1 == best


def test_unreachable_truth_is_a_clear_error(library):
    with pytest.raises(RunbookError, match=r"truth rule 'R99' is not concluded on any path from triage#start"):
        optimal_path(library, "triage#start", ["R99"])


def _walk(refs, conclusions, checks=1, hints=0, seconds=30.0):
    return DrillPath(
        refs=tuple(refs),
        conclusions=tuple(tuple(c) for c in conclusions),
        checks_run=checks,
        hints_taken=hints,
        seconds_to_diagnosis=seconds,
    )


OPT = ["triage#start", "p#check", "p#r3"]


def test_the_shortest_path_scores_full():
    s = score(_walk(OPT, [["R3"]]), ["R3"], OPT, 1, 600)
    assert s.total == 100 and s.full and s.found == ("R3",) and s.missed == () and s.wrong == ()
    assert (s.steps_taken, s.optimal_steps) == (2, 2)


def test_a_detour_scores_lower_than_the_shortest_path():
    detour = ["triage#start", "p#other", "p#check", "p#r3"]
    s = score(_walk(detour, [["R3"]], checks=2), ["R3"], OPT, 1, 600)
    assert s.path == pytest.approx(2 / 3, abs=1e-3) and s.checks == 0.5
    assert s.total == pytest.approx(50 + 25 * 2 / 3 + 15 + 5, abs=0.1)


def test_a_wrong_diagnosis_scores_nothing():
    s = score(_walk(["triage#start", "p#x", "p#r1"], [["R1"]]), ["R3"], OPT, 1, 600)
    assert s.total == 0 and s.wrong == (("R1",),) and s.missed == ("R3",)


def test_a_wrong_turn_before_the_right_conclusion_costs_a_quarter_of_the_root_cause():
    refs = ["triage#start", "p#x", "p#r1", "triage#start", "p#check", "p#r3"]
    s = score(_walk(refs, [["R1"], ["R3"]], checks=2), ["R3"], OPT, 1, 600)
    assert s.root_cause == 0.75 and 0 < s.total < 100


def test_hints_cost_five_points_each():
    assert score(_walk(OPT, [["R3"]], hints=2), ["R3"], OPT, 1, 600).total == 90


def test_time_is_full_up_to_par_and_zero_at_four_times_par():
    def at(t):
        return score(_walk(OPT, [["R3"]], seconds=t), ["R3"], OPT, 1, 100).time

    assert at(100) == 1.0 and at(250) == 0.5 and at(400) == 0.0 and at(1000) == 0.0


def test_partial_diagnosis_of_two_truths():
    s = score(_walk(OPT, [["R3"]], seconds=None), ["R3", "R5"], OPT, 1, 600)
    assert s.root_cause == 0.5 and s.missed == ("R5",) and s.time == 0.0


def test_score_round_trips_through_json_shapes():
    s = score(_walk(OPT, [["R1"], ["R3"]]), ["R3"], OPT, 1, 600)
    assert Score.from_dict(s.to_dict()) == s


def test_two_truths_continue_from_triage(tmp_path):
    (tmp_path / "triage.md").write_text("""---
id: triage
title: Triage
start: start
---
# T
## Start {#start}
- [A](#a)
- [B](#b)
## A {#a}
```conclusion
rules: [R1]
fix: fix a
```
## B {#b}
- [deeper](#c)
## C {#c}
```conclusion
rules: [R2]
fix: fix b
```
""")
    lib = load_library([tmp_path])
    assert not lib.errors, lib.errors
    path = optimal_path(lib, "triage#start", ["R2", "R1"])
    # both orders cost the same from triage: the truth's order is kept, then back to triage's start
    assert path == ["triage#start", "triage#b", "triage#c", "triage#start", "triage#a"]
    # from a start deeper in, the rule reachable from there comes first
    assert optimal_path(lib, "triage#b", ["R1", "R2"]) == ["triage#b", "triage#c", "triage#start", "triage#a"]
    assert checks_on_path(lib, path) == []
