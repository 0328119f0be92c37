"""Drill scenarios load, cover every incident and rule, and are validated with path:line errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbook.drill.drill_scenario import NO_LAB
from runbook.drill.lab.plan import LAB_SCENARIOS
from runbook.drill.scenarios import load_scenarios, parse_scenario
from runbook.playbook.model import UNEXPLAINED
from runbook.services import build_services


@pytest.fixture(scope="module")
def content():
    return build_services().content


def test_shipped_scenarios_cover_every_incident_and_rule(content):
    scenarios = content.scenarios
    assert {"p0-1", "p0-2", "p0-3"} <= set(scenarios)
    assert {s.incident for s in scenarios.values()} == {"P0-1", "P0-2", "P0-3"}
    truths = {r for s in scenarios.values() for r in s.truth}
    assert truths == {f"R{i}" for i in range(1, 13)} | {UNEXPLAINED}
    for s in scenarios.values():
        assert s.briefing and s.hints and s.start_ref(content.library) in content.library.graph
        if s.truth == (UNEXPLAINED,):  # a red herring: none of the twelve, replayed from a healthy service
            assert s.lab == NO_LAB and s.replay == "healthy-service", s.id
            continue
        assert s.lab in LAB_SCENARIOS
        assert set(s.truth) <= set(LAB_SCENARIOS[s.lab].rules), s.id


def test_shipped_scenarios_validate_structurally(content):
    """No problem at all: a recording without a result for a check on the path fails here."""
    assert [e.message for e in content.errors if "/drills/" in e.path] == []


LIB_OK = """---
id: {id}
title: A drill
incident: P0-1
truth: [R3]
playbook: triage
lab: p0-1
hints: [look at DNS]
---

The briefing.
"""


@pytest.fixture()
def drills_dir(tmp_path, content):
    d = tmp_path / "drills"
    (d / "recordings").mkdir(parents=True)
    src = next(p for p in content.scenarios.values() if p.replay == "p0-1").path.parent / "recordings" / "p0-1.json"
    (d / "recordings" / "p0-1.json").write_text(src.read_text())
    return d


def _load(tmp, content):
    return load_scenarios([tmp], content.library, content.knowledge)


def test_a_good_scenario_loads(drills_dir, content):
    (drills_dir / "ok.md").write_text(LIB_OK.format(id="ok"))
    scenarios, errors = _load(drills_dir.parent, content)
    assert errors == [] and scenarios["ok"].truth == ("R3",) and scenarios["ok"].briefing == "The briefing."


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda t: t.replace("truth: [R3]", "truth: [R99]"),
            ":5: truth names unknown rule 'R99'; known rules: R1, R2, R3, R4, R5",
        ),
        (lambda t: t.replace("playbook: triage", "playbook: nowhere"), ":6: start playbook 'nowhere' is not loaded"),
        (lambda t: t.replace("playbook: triage", "playbook: triage#nope"), ":6: playbook 'triage' has no node 'nope'"),
        (lambda t: t.replace("lab: p0-1", "lab: p0-9"), ":7: unknown lab scenario 'p0-9'; known: p0-1, p0-2, p0-3"),
        (
            lambda t: t.replace("incident: P0-1", "incident: P0-7"),
            ":4: unknown incident 'P0-7'; known: P0-1, P0-2, P0-3",
        ),
        (lambda t: t.replace("id: bad", "id: Bad_Id"), ":2: front matter: id 'Bad_Id' is not valid"),
        (
            lambda t: t.replace("lab: p0-1\n", "lab: p0-1\ncolour: red\n"),
            ":8: front matter: unknown key 'colour'; known keys: id, title, incident, truth, playbook, lab",
        ),
        (lambda t: t.replace("title: A drill\n", ""), ":1: front matter: 'title' is missing; add 'title: ...'"),
        (lambda t: t.replace("hints: [look at DNS]", "hints: 3"), ":8: front matter: 'hints' must be a list"),
        (lambda t: t.replace("The briefing.", ""), ":10: the briefing is empty"),
        (lambda t: t.replace("truth: [R3]", "truth: [R3"), ":6: front matter: invalid YAML"),
        (lambda t: t.replace("---\nid", "id"), ":1: no front matter"),
        (lambda t: t.replace("lab: p0-1\n", "lab: p0-1\nreplay: p0-2\n"), ":8: no replay recording 'p0-2'"),
    ],
)
def test_invalid_scenarios_report_path_and_line(drills_dir, content, edit, expected):
    path = drills_dir / "bad.md"
    path.write_text(edit(LIB_OK.format(id="bad")))
    _, errors = _load(drills_dir.parent, content)
    messages = [e.message for e in errors]
    assert any(
        m.startswith(str(path) + expected.split(" ")[0]) and expected.split(":", 2)[2].strip() in m for m in messages
    ), messages


def test_unreachable_truth_and_missing_recorded_check(drills_dir, content):
    (drills_dir / "far.md").write_text(
        LIB_OK.format(id="far").replace("playbook: triage", "playbook: p0-3-observability#label-explosion")
    )
    rec = json.loads((drills_dir / "recordings" / "p0-1.json").read_text())
    rec["by_block"] = {k: v for k, v in rec["by_block"].items() if "dns" not in v["check_type"]}
    rec["by_type"].pop("dns_rr_effectiveness")
    (drills_dir / "recordings" / "p0-1.json").write_text(json.dumps(rec))
    (drills_dir / "gap.md").write_text(LIB_OK.format(id="gap"))
    _, errors = _load(drills_dir.parent, content)
    messages = sorted(e.message for e in errors)
    assert messages == [
        f"{drills_dir / 'far.md'}:5: truth rule 'R3' is not concluded on any path from p0-3-observability#label-explosion; "
        "pick a start upstream of a conclusion naming it",
        f"{drills_dir / 'gap.md'}:7: replay recording 'p0-1' has no result for check 'dns_rr_effectiveness' "
        "(node p0-1-discovery#dns-rotation) on the shortest path; record it with 'runbook drill record p0-1'",
    ]


def test_duplicate_ids_keep_the_first(drills_dir, content):
    (drills_dir / "a.md").write_text(LIB_OK.format(id="same"))
    (drills_dir / "b.md").write_text(LIB_OK.format(id="same"))
    scenarios, errors = _load(drills_dir.parent, content)
    assert scenarios["same"].path.name == "a.md"
    assert [e.message for e in errors] == [
        f"{drills_dir / 'b.md'}:1: drill id 'same' is already used by {drills_dir / 'a.md'}; give this drill its own id"
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.text(max_size=400) | st.builds(lambda a, b: f"---\n{a}\n---\n{b}", st.text(max_size=200), st.text(max_size=100))
)
def test_parser_never_raises_on_garbage(tmp_path, text):
    scenario, errors = parse_scenario(tmp_path / "x.md", text)
    assert (scenario is None) == bool(errors)
    for e in errors:
        assert e.message.startswith(f"{tmp_path / 'x.md'}:") and e.line >= 1


def test_a_corrupt_recording_is_a_located_error(drills_dir, content):
    (drills_dir / "recordings" / "p0-1.json").write_text('{"name": "p0-1", "by_block": {"x": {"verdict": 1}}}')
    (drills_dir / "ok.md").write_text(LIB_OK.format(id="ok"))
    _, errors = _load(drills_dir.parent, content)
    assert len(errors) == 1
    assert errors[0].message.startswith(
        f"{drills_dir / 'ok.md'}:7: {drills_dir / 'recordings' / 'p0-1.json'}:1: unreadable recording ("
    )
    assert errors[0].message.endswith("record it again with 'runbook drill record p0-1'")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
KEYS = (
    "name",
    "recorded_at",
    "variables",
    "by_block",
    "by_type",
    "check_type",
    "verdict",
    "summary",
    "started_at",
    "duration_s",
    "evidence",
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    JSON
    | st.dictionaries(st.sampled_from(KEYS), JSON | st.dictionaries(st.text(max_size=5), JSON, max_size=3), max_size=6)
)
def test_any_json_recording_loads_or_fails_cleanly(tmp_path, data):
    from runbook.drill.recording import load_recording
    from runbook.errors import RunbookError

    (tmp_path / "r.json").write_text(json.dumps(data))
    try:
        rec = load_recording("r", [tmp_path])
    except RunbookError as exc:
        assert exc.message.startswith(f"{tmp_path / 'r.json'}:1: unreadable recording")
    else:
        assert rec.name == str(data["name"])
