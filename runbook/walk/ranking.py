"""How a sweep of verdicts bears on each rule, and the playbook path those verdicts would take.

The method (also in ``docs/walk.md``):

1. A check block's verdict points at a choice of its node (the playbook's ``verdicts`` map).
2. From that choice the verdicts are *followed*: at a check node whose blocks ran, the walk goes
   where the node's suggestion points (``runbook.walk.suggest``); it stops at a conclusion, or
   at a node where no verdict decides (a question, an unmapped or contested verdict, checks
   that did not run).
3. Evidence for a rule, per block result:
   - **supports**: following the verdict ends at a conclusion naming the rule;
   - **possible**: following ends at an undecided node from which a conclusion naming the rule
     is reachable (a person would still have to choose);
   - **against**: the verdict is ``ok`` and the block's ``fail`` would have led to the rule
     (when the ok branch cannot lead there too).
4. Rules rank by (strongest supporting verdict, how many blocks support at that strength,
   strongest "possible" verdict, how many "possible", fewest "against"), with verdict strength
   fail 3 > warn 2 > ok 1 (``Verdict.weight``). ``unknown`` bears on nothing.

Pure functions over the library and a map of block results: no network, no storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx

from runbook.checks.base import Verdict
from runbook.playbook.graph import shortest_path_to_rule, without_loops
from runbook.playbook.library import Library
from runbook.playbook.model import Node, NodeKind
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
    """``supports``, ``possible`` or ``against``."""
    explanation: str


@dataclass(frozen=True)
class PathStep:
    """One node on the path the verdicts would take towards a rule."""

    ref: str
    title: str
    kind: str
    how: str
    """``verdict fail`` (the checks chose), ``choose`` (a person would pick this branch), ``conclusion``."""


@dataclass(frozen=True)
class RuleRank:
    rule: str
    status: str
    """``implicated`` (fail/warn lead to it), ``consistent`` (only ok leads to it), ``possible``,
    ``cleared`` (only evidence against)."""
    score: tuple[int, int, int, int, int]
    evidence: tuple[RuleEvidence, ...]
    path: tuple[PathStep, ...] = ()


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


_ACYCLIC: dict[int, nx.DiGraph] = {}


def _acyclic(library: Library) -> nx.DiGraph:
    key = id(library.graph)
    if key not in _ACYCLIC:
        _ACYCLIC[key] = without_loops(library.graph)
    return _ACYCLIC[key]


def evidence_for(library: Library, results: Results) -> list[RuleEvidence]:
    """Every (rule, block) bearing, by the method in the module docstring."""
    out: list[RuleEvidence] = []
    for (ref, i), br in sorted(results.items()):
        v = br.verdict
        if v == Verdict.UNKNOWN:
            continue
        node = library.node(ref)
        block = node.checks[i]
        what = f"{ref} check {i + 1} ({block.check_type}) says {v.value}"
        led: set[str] = set()
        target = verdict_target(node, block, v)
        if target is not None:
            f = follow(library, target, results)
            end = library.node(f.end)
            if f.determined and end.conclusion:
                led = set(end.conclusion.rules)
                via = " -> ".join(f.trail)
                out += [
                    RuleEvidence(r, ref, i, block.check_type, v.value, "supports", f"{what}; verdicts lead to {via}")
                    for r in sorted(led)
                ]
            else:
                led = reachable_rules(library, f.end)
                out += [
                    RuleEvidence(
                        r,
                        ref,
                        i,
                        block.check_type,
                        v.value,
                        "possible",
                        f"{what}; verdicts lead to {f.end}, where a person decides; {r} is reachable from there",
                    )
                    for r in sorted(led)
                ]
        if v == Verdict.OK:
            fail_target = verdict_target(node, block, Verdict.FAIL)
            if fail_target is not None:
                would = reachable_rules(library, fail_target) - led
                out += [
                    RuleEvidence(
                        r,
                        ref,
                        i,
                        block.check_type,
                        v.value,
                        "against",
                        f"{what}; a fail would have pointed towards {r}",
                    )
                    for r in sorted(would)
                ]
    return out


def rank_rules(library: Library, results: Results, *, paths_for: int = 3) -> list[RuleRank]:
    """Rules with any evidence, strongest first; the first ``paths_for`` get their path."""
    by_rule: dict[str, list[RuleEvidence]] = {}
    for ev in evidence_for(library, results):
        by_rule.setdefault(ev.rule, []).append(ev)
    ranks = []
    for rule, evs in by_rule.items():
        w = {b: [Verdict(e.verdict).weight for e in evs if e.bearing == b] for b in ("supports", "possible", "against")}
        top_s, top_p = max(w["supports"], default=0), max(w["possible"], default=0)
        score = (top_s, w["supports"].count(top_s) if top_s else 0, top_p, len(w["possible"]), -len(w["against"]))
        if top_s >= Verdict.WARN.weight:
            status = "implicated"
        elif top_s:
            status = "consistent"
        elif top_p:
            status = "possible"
        else:
            status = "cleared"
        ranks.append(RuleRank(rule, status, score, tuple(evs)))
    ranks.sort(key=lambda r: (tuple(-x for x in r.score), r.rule))
    return [
        RuleRank(r.rule, r.status, r.score, r.evidence, verdict_path(library, r.rule, results, via=_strongest_ref(r)))
        if i < paths_for and r.status != "cleared"
        else r
        for i, r in enumerate(ranks)
    ]


def _strongest_ref(rank: RuleRank) -> str | None:
    """The node of the strongest supporting (else possible) evidence: the path goes through it."""
    for bearing in ("supports", "possible"):
        evs = [e for e in rank.evidence if e.bearing == bearing]
        if evs:
            return max(evs, key=lambda e: Verdict(e.verdict).weight).ref
    return None


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
