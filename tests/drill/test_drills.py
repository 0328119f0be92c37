"""Drills end to end on the walk engine: replay and live, scored, recorded as drills.

Every scenario, driven headless along its shortest path in replay, reaches its true rule
with a full score; one scenario per incident does the same live against the lab; a wrong
path scores lower; the history ranks runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys

import pytest

from runbook.checks.registry import all_checks
from runbook.config import load_settings
from runbook.drill.history import drill_history, leaderboard
from runbook.drill.recording import load_recording
from runbook.drill.scenarios import recording_dirs
from runbook.drill.scoring import checks_on_path, concluded_rules, scenario_path
from runbook.drill.session import LIVE, REPLAY, DrillError, run_drill, run_drill_along
from runbook.record import repo
from runbook.services import build_services

SETTINGS = dataclasses.replace(load_settings(), author="tester")
CONTENT = build_services(SETTINGS).content
DIRS = recording_dirs(SETTINGS.incident_dirs)


@pytest.fixture()
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'record.db'}"


def factory_for(db_url):
    engines = []

    services = build_services(SETTINGS, db_url=db_url, content=CONTENT)

    def factory(runner, observer):
        engines.append(services.walk_engine(runner=runner, observer=observer))
        return engines[-1]

    factory.engines = engines
    return factory


def _runnable(scenario, best) -> list[tuple[str, int, str]]:
    """Checks on the path whose variables the recording gives (a block with a missing optional
    variable, e.g. the TSDB view without prometheus_url, is skipped, not run)."""
    from runbook.walk.variables import block_variables, present

    given = {**load_recording(scenario.replay, DIRS).variables, **scenario.variables}
    return [
        (ref, i, t)
        for ref, i, t in checks_on_path(CONTENT.library, best)
        if all(present(given, v) for v in block_variables([CONTENT.library.node(ref).checks[i]]))
    ]


@pytest.mark.parametrize("scenario_id", sorted(CONTENT.scenarios))
def test_replay_along_the_shortest_path_scores_full(scenario_id, db_url):
    scenario = CONTENT.scenarios[scenario_id]
    best = scenario_path(CONTENT.library, scenario)
    factory = factory_for(db_url)
    run = asyncio.run(run_drill_along(scenario, factory, best, mode=REPLAY, recording_dirs=DIRS))
    assert run.score.total == 100, run.score
    assert run.score.found == tuple(sorted(scenario.truth)) and run.path == tuple(best)
    assert run.score.checks_run == len(_runnable(scenario, best))
    engine = factory.engines[0]
    assert set(scenario.truth) <= set(concluded_rules(engine.conclusions[-1].rules))
    incident = repo.get_incident(run.incident_id, session=engine.session)
    assert incident.is_drill and incident.title == f"Drill: {scenario.title}"
    # replayed checks never touched the network but are recorded like live ones
    assert repo.list_incidents(session=engine.session) == []  # drills stay out of real-incident lists


@pytest.mark.parametrize("scenario_id", sorted(CONTENT.scenarios))
def test_replay_autopilot_reaches_the_truth_from_the_recorded_verdicts(scenario_id, db_url):
    """Only questions are answered (from the shortest path); every check node is decided by the
    recorded verdicts, so the playbooks' verdict mapping and the lab's faults agree."""
    from runbook.playbook.model import NodeKind

    scenario = CONTENT.scenarios[scenario_id]
    best = scenario_path(CONTENT.library, scenario)
    answers: dict[str, list[str]] = {}  # a node visited twice (triage after mitigation) answers in turn
    for i, ref in enumerate(best[:-1]):
        if CONTENT.library.node(ref).kind == NodeKind.QUESTION:
            answers.setdefault(ref, []).append(best[i + 1])
    run = asyncio.run(run_drill(scenario, factory_for(db_url), auto=True, answers=answers, recording_dirs=DIRS))
    expected = "unexplained" if scenario.truth == ("unexplained",) else "conclusion"
    assert run.stop_reason == expected and run.score.total == 100, (run.path, run.score)


@pytest.mark.parametrize("scenario_id", ["r3-dns-fixed-order", "r8-histogram-buckets", "r11-trace-header"])
def test_live_against_the_lab_along_the_shortest_path_scores_full(scenario_id, lab_dir, db_url):
    scenario = CONTENT.scenarios[scenario_id]
    best = scenario_path(CONTENT.library, scenario)
    unregistered = [t for _ref, _i, t in checks_on_path(CONTENT.library, best) if t not in all_checks()]
    assert unregistered == [], f"checks on the path are not registered: {unregistered}"
    run = asyncio.run(run_drill_along(scenario, factory_for(db_url), best, mode=LIVE, lab_directory=lab_dir))
    assert run.score.total == 100, run.score
    assert run.mode == "live" and run.score.checks_run >= 1


def test_live_autopilot_follows_the_lab_verdicts_to_the_truth(lab_dir, db_url):
    """Only the first question is answered: the real checks' verdicts against the lab do the rest."""
    scenario = CONTENT.scenarios["r3-dns-fixed-order"]
    run = asyncio.run(
        run_drill(
            scenario,
            factory_for(db_url),
            mode=LIVE,
            auto=True,
            lab_directory=lab_dir,
            answers={"triage#start": "p0-1-discovery#dns-rotation"},
        )
    )
    assert run.stop_reason == "conclusion" and run.score.found == ("R3",) and run.score.total == 100


def test_live_without_the_lab_is_a_clear_error(tmp_path, db_url):
    with pytest.raises(
        DrillError,
        match=r"runs live against lab scenario 'p0-1', which is not running; "
        r"start it with 'runbook lab up p0-1'",
    ):
        asyncio.run(
            run_drill(CONTENT.scenarios["r1-lease-expiry"], factory_for(db_url), mode=LIVE, lab_directory=tmp_path)
        )


def test_a_wrong_path_scores_lower_and_the_history_ranks_it_below(db_url):
    scenario = CONTENT.scenarios["r3-dns-fixed-order"]
    factory = factory_for(db_url)
    best = scenario_path(CONTENT.library, scenario)
    good = asyncio.run(run_drill_along(scenario, factory, best, recording_dirs=DIRS))
    wrong_path = ["triage#start", "p0-1-discovery#conn-leak", "p0-1-discovery#sync-pool-leak"]
    wrong = asyncio.run(run_drill_along(scenario, factory, wrong_path, recording_dirs=DIRS))
    detour = [
        "triage#start",
        "triage#by-incident",
        "p0-1-discovery#start",
        "p0-1-discovery#dns-rotation",
        "p0-1-discovery#dns-fixed-order",
    ]
    slow = asyncio.run(run_drill_along(scenario, factory, detour, recording_dirs=DIRS, hints_taken=1))
    assert wrong.score.total < slow.score.total < good.score.total == 100
    assert wrong.score.wrong == (("R5",),) and slow.score.path == pytest.approx(0.5)
    board = leaderboard(drill_history(session=factory.engines[0].session, scenario=scenario.id))
    assert [e.incident_id for e in board] == [good.incident_id, slow.incident_id, wrong.incident_id]
    assert board[0].responder == "tester" and board[0].mode == "replay"


def test_autopilot_stops_at_the_first_question_without_answers(db_url):
    run = asyncio.run(
        run_drill(CONTENT.scenarios["r3-dns-fixed-order"], factory_for(db_url), auto=True, recording_dirs=DIRS)
    )
    assert run.stop_reason == "question" and run.stop_ref == "triage#start"
    assert run.score.total == 0 and run.score.missed == ("R3",)


def _cli(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "runbook", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_cli_list_run_history_show(tmp_path):
    env = {**os.environ, "RUNBOOK_DB": f"sqlite:///{tmp_path / 'r.db'}", "RUNBOOK_AUTHOR": "ana"}
    listed = json.loads(_cli("drill", "list", "--json", env=env).stdout)
    assert {r["id"] for r in listed} == set(CONTENT.scenarios) and "truth" not in listed[0]
    ok = _cli(
        "drill",
        "run",
        "r3-dns-fixed-order",
        "--replay",
        "--auto",
        "--choose",
        "start=p0-1-discovery#dns-rotation",
        "--json",
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["score"]["total"] == 100 and data["conclusions"] == [["R3"]]
    bad = _cli(
        "drill", "run", "r3-dns-fixed-order", "--auto", "--choose", "start=p0-1-discovery#conn-leak", "--quiet", env=env
    )
    assert bad.returncode == 1 and "wrong R5" in bad.stdout
    hist = _cli("drill", "history", "r3-dns-fixed-order", env=env)
    lines = hist.stdout.splitlines()
    assert lines[0].split()[:3] == ["1.", "100", "r3-dns-fixed-order"] and "ana" in lines[0] and len(lines) == 2
    reveal = _cli("drill", "show", "r3-dns-fixed-order", "--reveal", env=env)
    assert "truth: R3" in reveal.stdout and "p0-1-discovery#dns-fixed-order" in reveal.stdout
    spun = _cli("drill", "random", "--auto", "--json", env=env)
    assert json.loads(spun.stdout)["scenario"] in CONTENT.scenarios and spun.returncode in (0, 1)
    missing = _cli("drill", "run", "nope", env=env)
    assert missing.returncode == 3 and "no drill scenario 'nope'; known scenarios: p0-1" in missing.stderr


def test_console_drill_with_a_hint_and_an_undo(db_url):
    from runbook.drill.console import run_console

    answers = iter(["h", "6", "u", "3", "1"])  # hint, wrong branch, undo, DNS branch, its first choice
    out: list[str] = []
    scenario = CONTENT.scenarios["r3-dns-fixed-order"]
    run = asyncio.run(
        run_console(
            scenario,
            factory_for(db_url),
            mode=REPLAY,
            recording_dirs=DIRS,
            read=lambda prompt: next(answers),
            write=out.append,
        )
    )
    assert any(line.startswith("hint 1: ") for line in out)
    assert run.score.found == ("R3",) and run.score.hints_taken == 1
    assert run.path[:2] == ("triage#start", "p0-1-discovery#conn-leak")  # the undone step still counts
    assert 0 < run.score.total < 100
    # the hint and the checks (the undone branch's two too) come from the record, not from the loop
    assert run.score.checks_run == 3
    events = repo.timeline(run.incident_id, session=build_services(SETTINGS, db_url=db_url).session())
    assert [e.summary for e in events if "drill_hint" in e.payload] == ["hint 1 taken"]


def test_facilitator_report_shows_truth_and_path_side_by_side(db_url):
    from runbook.drill.report import drill_report, format_report

    scenario = CONTENT.scenarios["r3-dns-fixed-order"]
    factory = factory_for(db_url)
    wrong = ["triage#start", "p0-1-discovery#conn-leak", "p0-1-discovery#sync-pool-leak"]
    run = asyncio.run(run_drill_along(scenario, factory, wrong, recording_dirs=DIRS))
    session = factory.engines[0].session
    assert repo.get_incident(run.incident_id, session=session).status == "closed"
    report = drill_report(run.incident_id, session=session, content=CONTENT)
    text = format_report(report)
    assert "**Truth:** R3. **Found:** none. **Missed:** R3. **Wrong:** R5." in text
    assert "| 2 | `p0-1-discovery#conn-leak` ≠ | `p0-1-discovery#dns-rotation` |" in text
    assert "**Score: 0/100**" in text
