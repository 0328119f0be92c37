"""A ``warn`` never concludes a rule on autopilot, and the unexplained terminal is its own stop.

The playbook here is written the way a team's unvalidated playbook might be (``warn`` mapped
straight to a conclusion), and the checks' verdicts come from a runner that returns them
without a network: what is tested is the autopilot's decision, not a check.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from runbook.checks.base import CheckResult, Verdict
from runbook.playbook.library import load_library
from runbook.playbook.validate import validate_library
from runbook.walk.autopilot import autopilot
from runbook.walk.state import StopReason

PLAYBOOK = """---
id: trust
title: Trust
start: measure
variables:
  - name: metrics_url
    description: a metrics page
    example: http://127.0.0.1:1/metrics
---

## Measure {#measure}

```check
type: label_cardinality
params:
  metrics_url: "{{ metrics_url }}"
verdicts:
  fail: explosion
  warn: explosion
  ok: unexplained
  unknown: unexplained
```

- [Over budget](#explosion)
- [Nothing found](#unexplained)

## Labels explode {#explosion}

```conclusion
rules: [R12]
fix: bound the labels
```

## Cause unknown {#unexplained}

```conclusion
kind: unexplained
rules: []
escalate: service owner
fix: escalate with the evidence
```
"""


@pytest.fixture
def library(tmp_path: Path):
    (tmp_path / "trust.md").write_text(PLAYBOOK)
    lib = load_library([tmp_path])
    assert not lib.errors, lib.errors
    return lib


def runner_giving(verdict: str):
    async def run(check_type, params, *, timeout_s=None, observer=None, key=None):
        return CheckResult(
            check_type=check_type,
            verdict=Verdict(verdict),
            summary=f"{verdict} by design",
            figures={},
            thresholds={},
            evidence=(),
            started_at=datetime.now(UTC),
            duration_s=0.0,
            params=dict(params),
        )

    return run


async def walk(make_engine, library, verdict: str):
    engine = make_engine(library, runner=runner_giving(verdict))
    engine.create_incident("trust", variables={"metrics_url": "http://127.0.0.1:1/metrics"})
    engine.start("trust")
    return engine, await autopilot(engine)


async def test_warn_mapped_to_a_conclusion_stops_and_suggests(make_engine, library):
    engine, stop = await walk(make_engine, library, "warn")
    assert stop.reason == StopReason.UNDECIDED and stop.exit_code == 1
    assert stop.ref == "trust#measure" and engine.conclusions == ()
    assert stop.detail == (
        "suggested: Over budget (check 1 (label_cardinality) says warn); a warn never concludes a rule on autopilot: "
        "confirm it with --choose"
    )
    assert engine.suggestion is not None and engine.suggestion.target == "trust#explosion"


async def test_fail_still_concludes_the_rule(make_engine, library):
    engine, stop = await walk(make_engine, library, "fail")
    assert stop.reason == StopReason.CONCLUSION and stop.exit_code == 0
    assert [c.rules for c in engine.conclusions] == [("R12",)]


@pytest.mark.parametrize("verdict", ["ok", "unknown"])
async def test_no_finding_reaches_the_unexplained_terminal(make_engine, library, verdict):
    engine, stop = await walk(make_engine, library, verdict)
    assert stop.reason == StopReason.UNEXPLAINED and stop.exit_code == 4
    assert stop.ref == "trust#unexplained"
    assert stop.detail == "Cause unknown: no rule explains it; escalate to service owner with the evidence"
    assert [c.rules for c in engine.conclusions] == [()]


def test_validation_rejects_the_warn_to_conclusion_map(library):
    path = library.playbooks["trust"].path
    assert [e.message for e in validate_library(library, known_rules={"R12"})] == [
        f"{path}:13: verdict 'warn' points straight to conclusion 'explosion' [R12]; a warn is a heuristic "
        "or a marginal figure, and never concludes a rule on autopilot: point it to a question node that "
        "asks a person to confirm (and links to the conclusion), or to a further check"
    ]
