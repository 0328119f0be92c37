"""Make a replay recording by running every playbook check the lab can answer, live.

Every check block of every playbook whose variables the lab scenario supplies is run against
the lab, concurrently, exactly as a walk would run it (same rendering and validation of the
params); blocks the lab cannot answer are left out, and replay answers them ``unknown``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from runbook.checks.base import CheckResult, Verdict
from runbook.drill.recording import Recording, now_iso


async def record_lab(name: str, variables: Mapping[str, str], library: Any, *, observer: Any = None) -> Recording:
    from runbook.checks.runner import run_check
    from runbook.errors import RunbookError
    from runbook.walk.variables import block_variables, prepare_params, present

    plan: list[tuple[str, str, dict[str, Any], float | None]] = []
    for playbook in library.playbooks.values():
        for node in playbook.nodes.values():
            for i, block in enumerate(node.checks):
                if not all(present(variables, v) for v in block_variables([block])):
                    continue
                try:
                    params = prepare_params(block, variables)
                except RunbookError:
                    continue
                plan.append((f"{node.ref}#{i}", block.check_type, params, block.timeout_s))
    results = await asyncio.gather(
        *(run_check(t, p, timeout_s=timeout, observer=observer, key=key) for key, t, p, timeout in plan)
    )
    by_block = {key: r for (key, *_), r in zip(plan, results, strict=True)}
    by_type: dict[str, CheckResult] = {}
    for r in by_block.values():
        if r.check_type not in by_type or (
            by_type[r.check_type].verdict == Verdict.UNKNOWN and r.verdict != Verdict.UNKNOWN
        ):
            by_type[r.check_type] = r
    return Recording(name=name, recorded_at=now_iso(), variables=dict(variables), by_block=by_block, by_type=by_type)
