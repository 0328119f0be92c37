"""How a drill is scored: pure functions over the path a responder took.

The yardstick is the playbooks themselves: the optimal walk is the networkx shortest path from
the scenario's start to a conclusion naming each truth rule (after a conclusion, a further
cause is looked for from triage's start). The score, out of 100:

- root cause, 50: the share of truth rules concluded, minus a quarter per conclusion that
  names none of them (a wrong diagnosis costs more than a missing one is worth);
- path, 25: optimal moves / moves taken (undone moves count: they were taken);
- time, 15: full up to the scenario's par time to diagnosis, then falling linearly to zero at
  four times par; nothing when the diagnosis is incomplete;
- checks, 10: checks on the optimal path / checks run (1 when no more were run);
- minus 5 per hint taken. The total is clamped to 0..100.

Not every incident is one of the rules. A scenario whose truth is ``unexplained`` is solved by
reaching an unexplained terminal (escalating with the evidence) and concluding no rule. When
the truth is a rule, an honest "cause unknown" (an unexplained terminal, no rule concluded)
earns a fifth of the root-cause part, while a confident wrong rule earns nothing and costs a
quarter: guessing is worse than saying "I do not know". A scenario with a ``mitigation`` node
scores time to mitigation (entering that node) instead of time to diagnosis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from runbook.errors import RunbookError
from runbook.playbook.model import UNEXPLAINED

WEIGHTS = {"root_cause": 50.0, "path": 25.0, "time": 15.0, "checks": 10.0}
HINT_PENALTY = 5.0
WRONG_CONCLUSION_PENALTY = 0.25
#: Share of the root-cause part for an honest "cause unknown" when the truth was a rule.
HONEST_UNKNOWN_CREDIT = 0.2


def concluded_rules(rules: Sequence[str]) -> tuple[str, ...]:
    """What a reached conclusion concluded, for scoring: its rules, or ``unexplained`` for the
    unexplained terminal (the only conclusion that names no rule)."""
    return tuple(rules) or (UNEXPLAINED,)


def scenario_path(library: Any, scenario: Any) -> list[str]:
    """The yardstick walk of a scenario: through its mitigation node first when it names one."""
    import networkx as nx

    start = scenario.start_ref(library)
    if not scenario.mitigation:
        return optimal_path(library, start, scenario.truth)
    try:
        first = list(nx.shortest_path(library.graph, start, scenario.mitigation))
    except (nx.NetworkXNoPath, nx.NodeNotFound) as exc:
        raise RunbookError(
            f"mitigation node {scenario.mitigation!r} is not reachable from {start}; "
            "name a node downstream of the start (e.g. triage#rollback)"
        ) from exc
    return first + optimal_path(library, scenario.mitigation, scenario.truth)[1:]


def optimal_path(library: Any, start: str, truth: Sequence[str], triage: str = "triage") -> list[str]:
    """The shortest walk (node refs) from ``start`` that concludes every truth rule.

    The first segment starts at ``start``; each further rule is looked for from triage's start
    node (what ``continue from triage`` does), taking first the rule whose own segment saves
    the most. Raises RunbookError when a rule is not concluded downstream of its start.
    """
    from runbook.playbook.graph import shortest_path_to_rule

    g = library.graph
    again = f"{triage}#{library.playbooks[triage].start}" if triage in library.playbooks else start

    def unreachable(frm: str, rule: str) -> RunbookError:
        return RunbookError(
            f"truth rule {rule!r} is not concluded on any path from {frm}; "
            "pick a start upstream of a conclusion naming it"
        )

    remaining = list(dict.fromkeys(truth))
    if not remaining:
        raise RunbookError("a drill needs at least one truth rule")
    firsts = {r: shortest_path_to_rule(g, start, r) for r in remaining}
    agains = {r: shortest_path_to_rule(g, again, r) for r in remaining} if len(remaining) > 1 else {}
    found = {r: p for r, p in firsts.items() if p is not None}
    candidates = [r for r in remaining if r in found]
    if not candidates:
        raise unreachable(start, remaining[0])
    # A rule only reachable from the start must come first; otherwise the one whose own segment
    # saves the most over looking for it from triage (ties keep the truth's order).
    first = min(candidates, key=lambda r: len(found[r]) - len(agains.get(r) or [0] * 10_000))
    path = list(found[first])
    for rule in remaining:
        if rule != first and not _concluded(g, path, rule):
            again_path = agains[rule]
            if again_path is None:
                raise unreachable(again, rule)
            path += again_path
    return path


def _concluded(g: Any, path: Sequence[str], rule: str) -> bool:
    if rule == UNEXPLAINED:
        return any(g.nodes[r].get("unexplained") for r in path if r in g)
    return any(rule in (g.nodes[r].get("rules") or ()) for r in path if r in g)


def checks_on_path(library: Any, path: Sequence[str]) -> list[tuple[str, int, str]]:
    """(node ref, block index, check type) of every check block along ``path``."""
    out = []
    for ref in path:
        node = library.node(ref)
        out += [(ref, i, block.check_type) for i, block in enumerate(node.checks)]
    return out


@dataclass(frozen=True)
class DrillPath:
    """What the responder did, as far as scoring cares."""

    refs: tuple[str, ...]
    """Every node visited, in order (undone visits included)."""
    conclusions: tuple[tuple[str, ...], ...]
    """Rules of each conclusion reached, in order."""
    checks_run: int
    hints_taken: int
    seconds_to_diagnosis: float | None
    """From the first step to the conclusion that completed the truth; None if never completed."""
    seconds_to_mitigation: float | None = None
    """From the first step to entering the scenario's mitigation node; None if never reached."""


@dataclass(frozen=True)
class Score:
    total: float
    root_cause: float
    path: float
    time: float
    checks: float
    found: tuple[str, ...]
    missed: tuple[str, ...]
    wrong: tuple[tuple[str, ...], ...]
    steps_taken: int
    optimal_steps: int
    checks_run: int
    optimal_checks: int
    hints_taken: int
    seconds_to_diagnosis: float | None
    par_s: float
    honest_unknown: bool = False
    """The truth was a rule; the walk declared the cause unknown and concluded no wrong rule."""
    seconds_to_mitigation: float | None = None
    mitigation_par_s: float | None = None
    """Set when the time part scored time to mitigation."""

    @property
    def full(self) -> bool:
        return self.total >= 100.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Score:
        data = dict(data)
        for key in ("found", "missed"):
            data[key] = tuple(data.get(key) or ())
        data["wrong"] = tuple(tuple(w) for w in data.get("wrong") or ())
        return cls(**data)


def score(
    walk: DrillPath,
    truth: Sequence[str],
    optimal: Sequence[str],
    optimal_checks: int,
    par_s: float,
    *,
    mitigation_par_s: float | None = None,
) -> Score:
    truth_set = set(truth)
    concluded = {r for rules in walk.conclusions for r in rules}
    found = tuple(sorted(truth_set & concluded))
    missed = tuple(sorted(truth_set - concluded))
    unknown = (UNEXPLAINED,)
    wrong = tuple(rules for rules in walk.conclusions if not truth_set & set(rules) and tuple(rules) != unknown)
    root = max(0.0, len(found) / len(truth_set) - WRONG_CONCLUSION_PENALTY * len(wrong))
    # "Cause unknown" when a rule was the truth: not found, but not the confident wrong answer either.
    honest = not found and not wrong and unknown in {tuple(r) for r in walk.conclusions}
    if honest:
        root = HONEST_UNKNOWN_CREDIT
    steps = max(len(walk.refs) - 1, 0)
    best = max(len(optimal) - 1, 0)
    path_part = 1.0 if steps <= best else (best / steps if steps else 0.0)
    if not found:
        path_part = 0.0  # an efficient walk to the wrong place is not efficient
    t = walk.seconds_to_diagnosis
    if mitigation_par_s is not None:
        # The scenario scores how fast the damage was stopped, found or not.
        t, missed_time, par = walk.seconds_to_mitigation, False, mitigation_par_s
    else:
        missed_time, par = bool(missed), par_s
    if missed_time or t is None:
        time_part = 0.0
    elif t <= par:
        time_part = 1.0
    else:
        time_part = max(0.0, 1.0 - (t - par) / (3.0 * par))
    checks_part = 1.0 if walk.checks_run <= optimal_checks else optimal_checks / walk.checks_run
    if not found:
        checks_part = 0.0
    raw = (
        WEIGHTS["root_cause"] * root
        + WEIGHTS["path"] * path_part
        + WEIGHTS["time"] * time_part
        + WEIGHTS["checks"] * checks_part
        - HINT_PENALTY * walk.hints_taken
    )
    return Score(
        total=round(min(100.0, max(0.0, raw)), 1),
        root_cause=round(root, 3),
        path=round(path_part, 3),
        time=round(time_part, 3),
        checks=round(checks_part, 3),
        found=found,
        missed=missed,
        wrong=wrong,
        steps_taken=steps,
        optimal_steps=best,
        checks_run=walk.checks_run,
        optimal_checks=optimal_checks,
        hints_taken=walk.hints_taken,
        seconds_to_diagnosis=None if walk.seconds_to_diagnosis is None else round(walk.seconds_to_diagnosis, 3),
        par_s=par_s,
        honest_unknown=honest,
        seconds_to_mitigation=None if walk.seconds_to_mitigation is None else round(walk.seconds_to_mitigation, 3),
        mitigation_par_s=mitigation_par_s,
    )
