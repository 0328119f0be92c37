"""``runbook diagnose`` on the fault lab: each faulty scenario implicates exactly its rules (#19).

The lab's P0-2 and P0-3 scenarios (real processes on 127.0.0.1; P0-1 needs etcd and NSD) are
diagnosed with every symptom the rule records know, so the symptoms tie every rule and only
the evidence decides: the implicated rules must be exactly the scenario's. Without a symptom,
the same findings are latent and nothing is implicated.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from runbook.cli import main
from runbook.drill.lab import LAB_SCENARIOS, lab_down, lab_up
from runbook.record.db import connect, open_session
from runbook.walk.diagnose import diagnose
from runbook.walk.symptom_tie import SymptomTie

SCENARIOS = ("p0-2", "p0-3")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    directory = tmp_path_factory.mktemp("lab-diagnose")
    state = lab_up(list(SCENARIOS), fast=True, directory=directory)
    try:
        yield state
    finally:
        lab_down(directory=directory)


@pytest.fixture(scope="module")
def tie(knowledge) -> SymptomTie:
    return SymptomTie.from_knowledge(knowledge)


async def test_p0_2_implicates_exactly_its_rules(lab, shipped_library, tie, db_url):
    variables = lab.variables("p0-2")
    every, none = await asyncio.gather(
        diagnose(shipped_library, variables, session=open_session(connect(db_url)), tie=tie, symptoms=tie.phrases),
        diagnose(shipped_library, variables, session=open_session(connect(db_url)), tie=tie),
    )
    expected = sorted(LAB_SCENARIOS["p0-2"].rules)
    assert sorted(w.rule for w in every.weighing.implicated) == expected == ["R6", "R7", "R8"]
    assert every.weighing.latent == ()
    assert all(w.evidence[0].verdict == "fail" for w in every.weighing.implicated)
    assert none.weighing.implicated == ()
    assert sorted(w.rule for w in none.weighing.latent) == expected


def test_p0_3_through_the_cli_implicates_exactly_its_rules(lab, tie, monkeypatch, db_url, capsys):
    monkeypatch.setenv("RUNBOOK_DB", db_url)
    args = ["diagnose", "--json", "--quiet"]
    args += [a for name, value in lab.variables("p0-3").items() for a in ("--var", f"{name}={value}")]
    args += [a for phrase in tie.phrases for a in ("--symptom", phrase)]
    code = main(args)
    data = json.loads(capsys.readouterr().out)
    implicated = sorted((w["rule"] for w in data["groups"]["implicated"]), key=lambda r: int(r[1:]))
    assert implicated == list(LAB_SCENARIOS["p0-3"].rules) == ["R9", "R10", "R11", "R12"]
    assert code == 1
    assert data["groups"]["latent"] == []
    for w in data["groups"]["implicated"]:
        assert w["symptoms"] and w["evidence"][0]["verdict"] == "fail", w
