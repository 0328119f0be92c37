"""Which choice a node's check verdicts suggest (the rule of ``docs/playbook-format.md``).

The block with the most severe verdict decides (fail, then warn, then ok; ties go to the first
block). ``unknown`` suggests a choice only when every block is unknown: a check that could not
measure must never outvote one that did. Pure functions, shared by the engine, the autopilot
and ``runbook diagnose``.
"""

from __future__ import annotations

from collections.abc import Sequence

from runbook.checks.base import Verdict
from runbook.playbook.model import CheckBlock, Node
from runbook.walk.state import BlockResult, Suggestion


def verdict_target(node: Node, block: CheckBlock, verdict: Verdict | str) -> str | None:
    """``playbook#node`` that ``block`` maps ``verdict`` to (None when unmapped or dangling)."""
    written = block.verdicts.get(Verdict(verdict).value)
    if not written:
        return None
    choice = node.choice_for(written)
    if choice is not None:
        return choice.ref
    # A validated playbook maps verdicts to choices only; accept a bare global ref anyway.
    return written if "#" in written else None


def suggest(node: Node, results: Sequence[BlockResult]) -> Suggestion | None:
    """The suggested choice from the node's latest block results, or None."""
    if not results:
        return None
    measured = [r for r in results if r.verdict != Verdict.UNKNOWN]
    if measured:
        top = max(r.verdict.weight for r in measured)
        deciders = [r for r in measured if r.verdict.weight == top]
    elif len(results) == len(node.checks):
        deciders = list(results)
    else:
        return None  # some blocks have not run yet: nothing to say
    first = min(deciders, key=lambda r: r.index)
    if first.target is None:
        return None
    choice = node.choice_for(first.target)
    others = {r.target for r in deciders if r.target is not None} - {first.target}
    label = choice.label if choice else first.target
    reason = f"check {first.index + 1} ({first.result.check_type}) says {first.verdict.value}"
    if others:
        reason += f"; equally severe verdicts point to {', '.join(sorted(others))}"
    return Suggestion(
        target=first.target,
        label=label,
        verdict=first.verdict,
        block=first.index,
        contested=bool(others),
        reason=reason,
    )


def all_unknown(results: Sequence[BlockResult]) -> bool:
    return bool(results) and all(r.verdict == Verdict.UNKNOWN for r in results)
