"""Diagnose everything at once: run every check the given variables allow, weigh the rules.

A first answer to "what is wrong?" in the time of the slowest check: every check block in the
library whose variables are all supplied runs concurrently (identical type + rendered params
run once and serve every block that asks for them), the results are recorded as an incident
like any walk, ``runbook.walk.ranking`` says how each verdict bears on each rule, and
``runbook.walk.weighing`` sorts the rules into implicated (tied to the symptoms given), latent,
unlikely and not examined, with the playbook path the verdicts would take.

Blocks without any ``{{ variable }}`` are not swept: their params name no endpoint of this
incident (they are examples, or local paths), so running them would measure something else.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from runbook.checks.base import CheckResult
from runbook.checks.registry import get_check
from runbook.errors import RunbookError
from runbook.playbook.library import Library
from runbook.playbook.validate import template_variables
from runbook.record import repo
from runbook.record.incidents import open_incident
from runbook.record.models import EventKind
from runbook.walk.engine import CheckRunner
from runbook.walk.state import BlockResult
from runbook.walk.suggest import verdict_target
from runbook.walk.symptom_tie import SymptomTie, record_symptoms
from runbook.walk.variables import prepare_params, present
from runbook.walk.weighing import Weighing, weigh


@dataclass(frozen=True)
class SweepCheck:
    """One distinct check to run, and every block (``playbook#node``, index) it stands for."""

    check_type: str
    params: dict[str, Any]
    timeout_s: float | None
    blocks: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class SkippedBlock:
    ref: str
    index: int
    check_type: str
    reason: str


@dataclass(frozen=True)
class Diagnosis:
    incident_id: int | None
    checks: tuple[tuple[SweepCheck, CheckResult], ...]
    skipped: tuple[SkippedBlock, ...]
    weighing: Weighing


def plan_sweep(library: Library, variables: Mapping[str, Any]) -> tuple[list[SweepCheck], list[SkippedBlock]]:
    """The distinct checks the variables allow, and the blocks left out (with why)."""
    merged: dict[tuple[str, str], SweepCheck] = {}
    skipped: list[SkippedBlock] = []
    for pb in sorted(library.playbooks.values(), key=lambda p: p.id):
        for node in pb.nodes.values():
            for i, block in enumerate(node.checks):
                names = template_variables(block.params)
                missing = sorted(n for n in names if not present(variables, n))
                if not names or missing:
                    why = "uses no variable" if not names else f"needs {', '.join(missing)}"
                    skipped.append(SkippedBlock(node.ref, i, block.check_type, why))
                    continue
                try:
                    params = prepare_params(block, variables)
                except RunbookError as exc:
                    skipped.append(SkippedBlock(node.ref, i, block.check_type, exc.message))
                    continue
                key = (block.check_type, json.dumps(params, sort_keys=True, default=str))
                prev = merged.get(key)
                timeout = (
                    block.timeout_s if prev is None else _longest(prev.timeout_s, block.timeout_s, block.check_type)
                )
                blocks = (prev.blocks if prev else ()) + ((node.ref, i),)
                merged[key] = SweepCheck(block.check_type, params, timeout, blocks)
    return list(merged.values()), skipped


def _longest(a: float | None, b: float | None, check_type: str) -> float | None:
    # The same check asked for by two blocks gets the longer of their deadlines.
    if a is None and b is None:
        return None
    default = get_check(check_type).default_timeout_s
    return max(a if a is not None else default, b if b is not None else default)


async def diagnose(
    library: Library,
    variables: Mapping[str, Any],
    *,
    session: Session | None = None,
    runner: CheckRunner | None = None,
    observer: Any = None,
    title: str | None = None,
    author: str | None = None,
    paths_for: int = 3,
    symptoms: Sequence[str] = (),
    tie: SymptomTie | None = None,
    incident_id: int | None = None,
) -> Diagnosis:
    """Sweep, record (when ``session`` is given) and weigh.

    ``incident_id``: record into this open incident instead of opening a new one (a second
    sweep of the same incident, after a fix or with more variables).

    ``symptoms`` are what the responder sees (phrases of the rule records, ``tie``): a finding
    is implicated only when one of them points at its rule, else it is latent. Into an existing
    incident, the symptoms recorded for it count too (those given now are recorded).
    """
    from runbook.checks.runner import run_check

    runner = runner or run_check
    tie = tie or SymptomTie({})
    tied = tie.tie(symptoms)  # an unknown phrase fails before any check runs
    new_symptoms = tuple(symptoms)
    sweep, skipped = plan_sweep(library, variables)
    if not sweep:
        raise RunbookError("no check can run with the variables given; " + _hint(skipped))
    iid = None
    if session is not None and incident_id is not None:
        iid = repo.get_incident(incident_id, session=session).id
        if iid is not None:
            recorded = tie.recorded(iid, session=session)
            new_symptoms = tuple(s for s in symptoms if s not in recorded)
            symptoms = recorded + new_symptoms
            tied = tie.tie(symptoms)
    elif session is not None:
        names = ", ".join(sorted(k for k in variables if present(variables, k)))
        # secrets are split off there: used by this sweep, never recorded
        iid = open_incident(session=session, title=title or f"diagnose: {names}", variables=variables, author=author).id
    if session is not None and iid is not None:
        repo.add_event(
            iid,
            EventKind.NOTE.value,
            session=session,
            author=author,
            summary=f"diagnose: {len(sweep)} checks run at once ({len(skipped)} blocks skipped)",
        )
        if new_symptoms:
            record_symptoms(iid, list(new_symptoms), session=session, author=author)

    async def one(i: int, check: SweepCheck) -> CheckResult:
        result = await runner(
            check.check_type, check.params, timeout_s=check.timeout_s, observer=observer, key=f"sweep#{i}"
        )
        if session is not None and iid is not None:
            ref, _ = check.blocks[0]
            pb, _, node = ref.partition("#")
            repo.add_check_result(
                iid, result, session=session, playbook_id=pb, node_id=node, automatic=True, author=author
            )
        return result

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(i, c)) for i, c in enumerate(sweep)]
    ran = [(c, t.result()) for c, t in zip(sweep, tasks, strict=True)]
    results: dict[tuple[str, int], BlockResult] = {}
    for check, result in ran:
        for ref, i in check.blocks:
            node = library.node(ref)
            results[(ref, i)] = BlockResult(ref, i, result, verdict_target(node, node.checks[i], result.verdict))
    weighing = weigh(library, results, tied=tied, symptoms=tuple(symptoms), variables=variables, paths_for=paths_for)
    if session is not None and iid is not None:
        groups = {g.value: [w.rule for w in ws] for g, ws in weighing.groups()}
        line = "; ".join(f"{g}: {', '.join(rules)}" for g, rules in groups.items() if rules and g != "not examined")
        repo.add_event(
            iid,
            EventKind.NOTE.value,
            session=session,
            author=author,
            summary=f"diagnose: {line or 'no rule has evidence for or against'}",
            payload={"groups": groups},
        )
    return Diagnosis(iid, tuple(ran), tuple(skipped), weighing)


def _hint(skipped: list[SkippedBlock]) -> str:
    wanted = sorted(
        {n.strip() for s in skipped if s.reason.startswith("needs ") for n in s.reason[len("needs ") :].split(",")}
    )
    return f"variables the checks use: {', '.join(wanted)}" if wanted else "the library has no check blocks"
