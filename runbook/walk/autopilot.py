"""Autopilot: walk on by the checks' verdicts until a person is needed.

At a check node it runs the checks (unless the node already has every result, e.g. after a
resume) and takes the suggested choice, recorded as ``automatic``. It stops:

- at a conclusion (``conclusion``), or at the unexplained terminal (``unexplained``: no rule
  explains the incident; the cause is declared unknown and escalated with the evidence);
- at a question only a person can answer (``question``), unless ``answers`` holds one;
- when the verdicts suggest nothing definite (``undecided``): the deciding verdict is not
  mapped to a choice, or equally severe verdicts of several blocks point to different choices;
- when every check came back ``unknown`` and the playbook maps ``unknown`` to nothing
  (``unknown``): nothing was measured, so nothing is decided;
- when a ``warn`` suggests a conclusion that names a rule (``undecided``): a warn is a
  heuristic or a marginal figure, so a person confirms it (validation rejects such a verdict
  map; this guards playbooks loaded without validation);
- after ``max_steps`` moves (``step_limit``), in case verdicts keep a deliberate loop turning.

``answers`` are choices given in advance (``runbook walk --choose NODE=CHOICE``): they are a
person's decisions, so they are recorded as not automatic, and they win over a suggestion.
Each answer is used once: a node visited again (a deliberate loop) takes the node's next
answer if several were given, else it is a stop like any unanswered node.
With ``follow=False`` the autopilot runs checks but takes no suggestion (a headless walk
without ``--auto``): only answers move it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runbook.checks.base import Verdict
from runbook.playbook.model import Node, NodeKind
from runbook.walk.engine import WalkEngine
from runbook.walk.state import StopReason
from runbook.walk.suggest import all_unknown
from runbook.walk.symptom_tie import incident_tied_rules, sweep_hold

DEFAULT_MAX_STEPS = 50


@dataclass(frozen=True)
class AutopilotStop:
    """Where and why the autopilot stopped."""

    reason: StopReason
    ref: str
    detail: str
    moves: int
    """Choices taken during this run (automatic or answered)."""

    @property
    def exit_code(self) -> int:
        return self.reason.exit_code


def answer_for(node: Node, answers: dict[str, list[str]]) -> str | None:
    """Take the next pre-given answer for ``node`` (keyed by ``playbook#node`` or bare node id)."""
    for key in (node.ref, node.id):
        queue = answers.get(key)
        if queue:
            return queue.pop(0)
    return None


def _names_a_rule(node: Node | None) -> bool:
    return bool(node and node.conclusion and not node.conclusion.unexplained)


async def autopilot(
    engine: WalkEngine,
    *,
    answers: Mapping[str, str | Sequence[str]] | None = None,
    follow: bool = True,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> AutopilotStop:
    """Walk from the current node until a stop; returns why it stopped."""
    queues: dict[str, list[str]] = {k: [v] if isinstance(v, str) else list(v) for k, v in (answers or {}).items()}
    moves = 0
    while True:
        node = engine.node
        if node is None:
            raise ValueError("autopilot needs a started walk")
        if node.kind == NodeKind.CONCLUSION:
            if node.conclusion is not None and node.conclusion.unexplained:
                detail = f"{node.title}: no rule explains it; escalate to {node.conclusion.escalate} with the evidence"
                return AutopilotStop(StopReason.UNEXPLAINED, node.ref, detail, moves)
            rules = ", ".join(node.conclusion.rules) if node.conclusion else ""
            return AutopilotStop(StopReason.CONCLUSION, node.ref, f"{node.title} [{rules}]", moves)
        if moves >= max_steps:
            return AutopilotStop(StopReason.STEP_LIMIT, node.ref, f"stopped after {moves} moves", moves)
        answer = answer_for(node, queues)
        if node.kind == NodeKind.QUESTION:
            if answer is None:
                return AutopilotStop(StopReason.QUESTION, node.ref, node.title, moves)
            engine.choose(answer)
            moves += 1
            continue
        if engine.needs_checks:
            await engine.run_checks(automatic=follow)
        if answer is not None:
            engine.choose(answer)
            moves += 1
            continue
        suggestion = engine.suggestion
        if suggestion is None:
            if all_unknown(engine.results):
                reasons = "; ".join(r.result.summary for r in engine.results)
                return AutopilotStop(StopReason.UNKNOWN, node.ref, f"every check is unknown: {reasons}", moves)
            verdicts = ", ".join(f"{r.result.check_type}={r.verdict.value}" for r in engine.results)
            return AutopilotStop(StopReason.UNDECIDED, node.ref, f"verdicts suggest no choice ({verdicts})", moves)
        if suggestion.contested:
            return AutopilotStop(StopReason.UNDECIDED, node.ref, suggestion.reason, moves)
        if suggestion.verdict == Verdict.WARN and _names_a_rule(engine.node_at(suggestion.target)):
            return AutopilotStop(
                StopReason.UNDECIDED,
                node.ref,
                f"suggested: {suggestion.label} ({suggestion.reason}); a warn never concludes a rule "
                "on autopilot: confirm it with --choose",
                moves,
            )
        if not follow:
            return AutopilotStop(
                StopReason.UNDECIDED,
                node.ref,
                f"suggested: {suggestion.label} ({suggestion.reason}); run with --auto to follow",
                moves,
            )
        # A sweep's finding no symptom points at is a latent risk: a person says it is the cause.
        tied = incident_tied_rules(engine.knowledge, engine.incident_id, session=engine.session)
        held = sweep_hold(engine.library, engine.active_path, suggestion.target, tied)
        if held is not None:
            detail = f"suggested: {suggestion.label} ({suggestion.reason}); {held}: confirm it with --choose"
            return AutopilotStop(StopReason.UNDECIDED, node.ref, detail, moves)
        engine.choose(suggestion.target, automatic=True)
        moves += 1
