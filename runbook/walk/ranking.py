"""How each verdict of a sweep bears on each rule, and the playbook path the verdicts would take.

The method (also in ``docs/walk.md``):

1. A check block's verdict points at a choice of its node (the playbook's ``verdicts`` map).
2. From that choice the verdicts are *followed*: at a check node whose blocks ran, the walk goes
   where the node's suggestion points (``runbook.walk.suggest``); it stops at a conclusion, or
   at a node where no verdict decides (a question, an unmapped or contested verdict, checks
   that did not run). A choice marked as a loop leads nowhere new (it goes back to decide again).
3. Bearing of a block result on a rule:
   - **supports**: a ``fail`` or ``warn`` whose following ends at a conclusion naming the rule;
   - **possible**: a ``fail`` or ``warn`` whose following ends at an undecided node from which
     the rule is the only one a person could still conclude (``open_rules``: not past check
     nodes that were measured, whose own verdicts speak for the rules beyond them), e.g. a
     "confirm" question;
   - **open**: the same, but a person could still conclude several rules from there: the
     finding singles none of them out, so it is evidence for none;
   - **against**: an ``ok`` where the block's ``fail`` would have led towards the rule (and the
     ok branch cannot lead there too).
   An ``ok`` is never evidence *for* a rule, and ``unknown`` bears on nothing.

``runbook.walk.weighing`` turns these into the groups ``runbook diagnose`` prints. Pure
functions over the library and a map of block results: no network, no storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx

from runbook.checks.base import CheckResult, Verdict
from runbook.playbook.graph import shortest_path_to_rule, without_loops
from runbook.playbook.library import Library
from runbook.playbook.model import Node, NodeKind
from runbook.rule_ids import rule_sort_key
from runbook.walk.state import BlockResult
from runbook.walk.suggest import suggest, verdict_target

MAX_FOLLOW = 40

#: (node ref, block index) -> result of that block in the sweep.
Results = Mapping[tuple[str, int], BlockResult]


@dataclass(frozen=True)
class RuleEvidence:
    """How one block's verdict bears on one rule."""

    rule: str
    ref: str
    index: int
    check_type: str
    verdict: str
    bearing: str
    """``supports``, ``possible``, ``open`` or ``against``."""
    explanation: str
    figure: str = ""
    """The result's key figures (``name=value ...``): what the line cites."""
    summary: str = ""
    """The check's own one-line summary."""


@dataclass(frozen=True)
class PathStep:
    """One node on the path the verdicts would take towards a rule."""

    ref: str
    title: str
    kind: str
    how: str
    """``verdict fail`` (the checks chose), ``choose`` (a person would pick this branch), ``conclusion``."""


@dataclass(frozen=True)
class _Followed:
    end: str
    determined: bool
    trail: tuple[str, ...]


def node_results(node: Node, results: Results) -> list[BlockResult]:
    return [results[(node.ref, i)] for i in range(len(node.checks)) if (node.ref, i) in results]


def follow(library: Library, start: str, results: Results) -> _Followed:
    """Follow verdicts from ``start`` until a conclusion or a node where nothing decides."""
    ref, trail, seen = start, [start], {start}
    for _ in range(MAX_FOLLOW):
        node = library.node(ref)
        if node.kind == NodeKind.CONCLUSION:
            return _Followed(ref, True, tuple(trail))
        if node.kind != NodeKind.CHECK:
            break
        s = suggest(node, node_results(node, results))
        if s is None or s.contested or s.target in seen:
            break
        ref = s.target
        trail.append(ref)
        seen.add(ref)
    return _Followed(ref, False, tuple(trail))


def reachable_rules(library: Library, ref: str) -> set[str]:
    """Rules of the conclusions reachable from ``ref`` (deliberate loops back are not followed:
    "re-check" edges would make every earlier rule reachable from everywhere)."""
    g = _acyclic(library)
    if ref not in g:
        return set()
    out: set[str] = set()
    for n in nx.descendants(g, ref) | {ref}:
        out.update(g.nodes[n].get("rules") or ())
    return out


def open_rules(library: Library, ref: str, measured: set[str]) -> set[str]:
    """Rules a person could still conclude from ``ref`` without another check deciding: the
    walk from ``ref`` does not go past check nodes that were measured (their own verdicts bear
    on the rules beyond them), nor along deliberate loops."""
    g = _acyclic(library)
    if ref not in g:
        return set()
    out: set[str] = set(g.nodes[ref].get("rules") or ())
    todo, seen = [ref], {ref}
    while todo:
        for n in g.successors(todo.pop()):
            if n in seen or n in measured:
                continue
            seen.add(n)
            out.update(g.nodes[n].get("rules") or ())
            todo.append(n)
    return out


_ACYCLIC: dict[int, nx.DiGraph[str]] = {}


def _acyclic(library: Library) -> nx.DiGraph[str]:
    key = id(library.graph)
    if key not in _ACYCLIC:
        _ACYCLIC[key] = without_loops(library.graph)
    return _ACYCLIC[key]


KEY_FIGURES = 3


def _leads_nowhere(node: Node, target: str) -> bool:
    # A loop choice goes back to decide again ("nothing stands out: pick a symptom"):
    # every rule is reachable from there, so it says nothing about any of them.
    choice = node.choice_for(target)
    return choice is not None and choice.loop


def evidence_for(library: Library, results: Results) -> list[RuleEvidence]:
    """Every (rule, block) bearing, by the method in the module docstring."""
    out: list[RuleEvidence] = []
    measured = {ref for ref, _ in results}
    for (ref, i), br in sorted(results.items()):
        v = br.verdict
        if v == Verdict.UNKNOWN:
            continue
        node = library.node(ref)
        block = node.checks[i]
        what = f"{ref} check {i + 1} ({block.check_type}) says {v.value}"

        led: set[str] = set()
        target = verdict_target(node, block, v)
        if target is not None and not _leads_nowhere(node, target):
            f = follow(library, target, results)
            end = library.node(f.end)
            if f.determined and end.conclusion:
                led = set(end.conclusion.rules)
                if v != Verdict.OK:
                    via = " -> ".join(f.trail)
                    out += [_evidence(r, br, "supports", f"{what}; verdicts lead to {via}") for r in sorted(led)]
            else:
                led = reachable_rules(library, f.end)
                left = open_rules(library, f.end, measured)
                if v != Verdict.OK and len(left) == 1:
                    (r,) = left
                    out.append(
                        _evidence(r, br, "possible", f"{what}; verdicts lead to {f.end}, where a person confirms {r}")
                    )
                elif v != Verdict.OK:
                    among = ", ".join(sorted(left, key=rule_sort_key))
                    why = f"{what}; verdicts lead to {f.end}, where a person decides among {among}"
                    out += [_evidence(r, br, "open", why) for r in sorted(left)]
        if v == Verdict.OK:
            fail_target = verdict_target(node, block, Verdict.FAIL)
            if fail_target is not None:
                would = reachable_rules(library, fail_target) - led
                out += [
                    _evidence(r, br, "against", f"{what}; a fail would have pointed towards {r}") for r in sorted(would)
                ]
    return out


def _evidence(rule: str, br: BlockResult, bearing: str, explanation: str) -> RuleEvidence:
    r = br.result
    return RuleEvidence(
        rule, br.ref, br.index, r.check_type, r.verdict.value, bearing, explanation, _figures(r), r.summary
    )


def _figures(result: CheckResult) -> str:
    return " ".join([f"{k}={v}" for k, v in result.figures.items() if v is not None][:KEY_FIGURES])


def path_start(library: Library, rule: str, triage: str = "triage") -> str | None:
    """Where a responder would start towards ``rule``: triage if it reaches it, else its playbook."""
    g = library.graph
    candidates = []
    if triage in library.playbooks:
        candidates.append(f"{triage}#{library.playbooks[triage].start}")
    candidates += [
        f"{pb.id}#{pb.start}"
        for pb in library.playbooks.values()
        if any(n.conclusion and rule in n.conclusion.rules for n in pb.nodes.values())
    ]
    return next((c for c in candidates if shortest_path_to_rule(g, c, rule)), None)


def verdict_path(
    library: Library, rule: str, results: Results, *, via: str | None = None, triage: str = "triage"
) -> tuple[PathStep, ...]:
    """The path from the start towards ``rule``: verdicts decide where they can, and where they
    cannot, the branch on the shortest way to ``via`` (the node holding the evidence), then to
    the rule, is taken (marked ``choose``)."""
    ref = path_start(library, rule, triage)
    g = _acyclic(library)
    if via is not None and (ref is None or via not in g or not nx.has_path(g, ref, via)):
        via = None
    steps: list[PathStep] = []
    seen: set[str] = set()
    while ref is not None and len(steps) < MAX_FOLLOW:
        node = library.node(ref)
        if node.kind == NodeKind.CONCLUSION:
            steps.append(PathStep(ref, node.title, node.kind.value, "conclusion"))
            break
        seen.add(ref)
        if ref == via:
            via = None
        s = suggest(node, node_results(node, results)) if node.checks else None
        if s is not None and not s.contested and s.target not in seen:
            steps.append(PathStep(ref, node.title, node.kind.value, f"verdict {s.verdict.value}"))
            ref = s.target
            continue
        way = nx.shortest_path(g, ref, via) if via is not None else shortest_path_to_rule(g, ref, rule)
        if not way or len(way) < 2:
            steps.append(PathStep(ref, node.title, node.kind.value, f"{rule} not reachable from here"))
            break
        steps.append(PathStep(ref, node.title, node.kind.value, "choose"))
        ref = way[1]
    return tuple(steps)
