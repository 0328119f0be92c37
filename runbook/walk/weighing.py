"""The four groups a responder reads first: implicated, latent, unlikely, not examined.

A ranked list of every rule with "possible" next to rules whose own checks said ``ok`` sends a
responder to the wrong place. The evidence of ``runbook.walk.ranking`` is weighed instead:

- **implicated**: evidence for the rule (a ``fail`` or ``warn`` leads to it) and a symptom the
  responder gave points at it;
- **latent**: evidence for the rule, but no given symptom points at it: a real property of the
  service (true every day, perhaps), not yet the cause of this incident;
- **unlikely**: no evidence for, and a check whose ``fail`` would have led to the rule said
  ``ok``: that check is the evidence against;
- **not examined**: no check could reach the rule; the line says what would examine it (the
  variables a check block needs, or the check that came back ``unknown`` and why), or which
  finding stopped where a person decides among several rules (an ``open`` bearing: it singles
  none of them out).

Within implicated and latent, the strongest evidence comes first (fail before warn, a verdict
that reaches a conclusion before one that stops where a person decides). ``runbook diagnose``
prints these groups, and the UI shows a sweep's results through ``sweep_weighing``. Pure
functions: no network, no storage.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from runbook.checks.base import Verdict
from runbook.playbook.library import Library
from runbook.playbook.model import Node
from runbook.playbook.validate import template_variables
from runbook.rule_ids import rule_sort_key
from runbook.walk.ranking import PathStep, Results, RuleEvidence, evidence_for, reachable_rules, verdict_path
from runbook.walk.state import BlockResult
from runbook.walk.suggest import verdict_target
from runbook.walk.variables import present


class Group(StrEnum):
    IMPLICATED = "implicated"
    LATENT = "latent"
    UNLIKELY = "unlikely"
    NOT_EXAMINED = "not examined"


FOR = ("supports", "possible")


@dataclass(frozen=True)
class Unexamined:
    """A check block that would have examined a rule and did not."""

    ref: str
    index: int
    check_type: str
    needs: tuple[str, ...] = ()
    """Variables the block needs that were not given (the endpoint names)."""
    reason: str = ""
    """Why it did not tell: the missing variables, or the ``unknown`` result's summary."""


@dataclass(frozen=True)
class WeighedRule:
    rule: str
    group: Group
    evidence: tuple[RuleEvidence, ...] = ()
    """For implicated and latent: the evidence for; for unlikely: the evidence against."""
    against: tuple[RuleEvidence, ...] = ()
    """For implicated and latent: the ``ok`` verdicts that count against it, shown beside."""
    symptoms: tuple[str, ...] = ()
    """The given symptoms that point at the rule."""
    unexamined: tuple[Unexamined, ...] = ()
    """For not examined: the blocks that would have examined it (empty: no check leads to it);
    for unlikely: further blocks leading to it that did not tell (the evidence against is partial)."""
    path: tuple[PathStep, ...] = ()

    @property
    def needs(self) -> tuple[str, ...]:
        """Every variable that would let a check examine the rule."""
        return tuple(dict.fromkeys(n for u in self.unexamined for n in u.needs))


@dataclass(frozen=True)
class Weighing:
    implicated: tuple[WeighedRule, ...]
    latent: tuple[WeighedRule, ...]
    unlikely: tuple[WeighedRule, ...]
    not_examined: tuple[WeighedRule, ...]
    symptoms: tuple[str, ...] = ()
    """The symptoms the tie was made with (given or recorded)."""

    def groups(self) -> tuple[tuple[Group, tuple[WeighedRule, ...]], ...]:
        return (
            (Group.IMPLICATED, self.implicated),
            (Group.LATENT, self.latent),
            (Group.UNLIKELY, self.unlikely),
            (Group.NOT_EXAMINED, self.not_examined),
        )

    def rule(self, rule: str) -> WeighedRule | None:
        return next((w for _, ws in self.groups() for w in ws if w.rule == rule), None)


def library_rules(library: Library) -> set[str]:
    """Every rule a conclusion of the library names."""
    return {
        r for pb in library.playbooks.values() for n in pb.nodes.values() if n.conclusion for r in n.conclusion.rules
    }


def all_blocks(library: Library) -> list[tuple[str, int]]:
    return [(n.ref, i) for pb in library.playbooks.values() for n in pb.nodes.values() for i in range(len(n.checks))]


def weigh(
    library: Library,
    results: Results,
    *,
    tied: Mapping[str, Sequence[str]] | None = None,
    symptoms: Sequence[str] = (),
    variables: Mapping[str, Any] | None = None,
    blocks: Iterable[tuple[str, int]] | None = None,
    rules: Collection[str] | None = None,
    paths_for: int = 3,
) -> Weighing:
    """Weigh the evidence of ``results`` for ``rules`` (default: every rule of the library).

    ``tied``: rule -> the given symptoms that point at it (``SymptomTie.tie``). ``blocks``: the
    check blocks that could have run (default: all of the library's), which say what would
    examine a rule no check reached; ``variables``: what was given, to name what is missing.
    The first ``paths_for`` rules of implicated, then latent, get the path the verdicts take.
    """
    tied = tied or {}
    by_rule: dict[str, list[RuleEvidence]] = {}
    for ev in evidence_for(library, results):
        by_rule.setdefault(ev.rule, []).append(ev)
    universe = set(rules) if rules is not None else library_rules(library)
    block_list = list(blocks) if blocks is not None else all_blocks(library)
    found: list[WeighedRule] = []
    for rule in sorted(universe | {r for r, evs in by_rule.items() if any(e.bearing in FOR for e in evs)}):
        evs = by_rule.get(rule, [])
        pro = tuple(sorted((e for e in evs if e.bearing in FOR), key=_strength))
        con = tuple(e for e in evs if e.bearing == "against")
        if pro:
            group = Group.IMPLICATED if rule in tied else Group.LATENT
            found.append(WeighedRule(rule, group, pro, con, tuple(tied.get(rule, ()))))
        elif con:
            # blocks that would also have examined it and did not tell are named beside
            missing = _unexamined(library, rule, results, block_list, variables)
            found.append(WeighedRule(rule, Group.UNLIKELY, con, symptoms=tuple(tied.get(rule, ())), unexamined=missing))
        else:
            undecided = tuple(_undecided(e) for e in evs if e.bearing == "open")
            missing = undecided + _unexamined(library, rule, results, block_list, variables)
            found.append(WeighedRule(rule, Group.NOT_EXAMINED, symptoms=tuple(tied.get(rule, ())), unexamined=missing))
    ordered = {g: [w for w in found if w.group == g] for g in Group}
    for g in (Group.IMPLICATED, Group.LATENT):
        ordered[g].sort(
            key=lambda w: (_strength(w.evidence[0])[:2], -len(w.evidence), len(w.against), rule_sort_key(w.rule))
        )
    for g in (Group.UNLIKELY, Group.NOT_EXAMINED):
        ordered[g].sort(key=lambda w: rule_sort_key(w.rule))
    budget = paths_for
    for g in (Group.IMPLICATED, Group.LATENT):
        with_path = []
        for w in ordered[g]:
            if budget > 0:
                budget -= 1
                w = _with_path(library, w, results)
            with_path.append(w)
        ordered[g] = with_path
    return Weighing(
        tuple(ordered[Group.IMPLICATED]),
        tuple(ordered[Group.LATENT]),
        tuple(ordered[Group.UNLIKELY]),
        tuple(ordered[Group.NOT_EXAMINED]),
        tuple(symptoms),
    )


def _strength(e: RuleEvidence) -> tuple[int, int, str, int]:
    """Sort key, strongest first: fail before warn, a reached conclusion before a decision left open."""
    return (-Verdict(e.verdict).weight, FOR.index(e.bearing) if e.bearing in FOR else 2, e.ref, e.index)


def _with_path(library: Library, w: WeighedRule, results: Results) -> WeighedRule:
    via = w.evidence[0].ref if w.evidence else None
    return WeighedRule(
        w.rule,
        w.group,
        w.evidence,
        w.against,
        w.symptoms,
        w.unexamined,
        verdict_path(library, w.rule, results, via=via),
    )


def _undecided(e: RuleEvidence) -> Unexamined:
    """A finding that stops where a person decides among several rules, this one included."""
    where = e.explanation.split("verdicts lead to ", 1)[-1]
    return Unexamined(e.ref, e.index, e.check_type, (), f"{e.verdict.upper()} leads to {where}")


def _unexamined(
    library: Library,
    rule: str,
    results: Results,
    blocks: Sequence[tuple[str, int]],
    variables: Mapping[str, Any] | None,
) -> tuple[Unexamined, ...]:
    """The blocks whose ``fail`` leads towards ``rule`` and that did not tell: not run (with the
    variables they lack) or ``unknown`` (with why). Blocks that use no variable are not swept
    (their params name no endpoint of this incident), so they are not listed either."""
    out: list[Unexamined] = []
    for ref, i in blocks:
        node = library.node(ref)
        block = node.checks[i]
        target = verdict_target(node, block, Verdict.FAIL)
        if target is None or rule not in reachable_rules(library, target):
            continue
        br = results.get((ref, i))
        if br is not None and br.verdict != Verdict.UNKNOWN:
            continue
        names = sorted(template_variables(block.params))
        if br is None and not names:
            continue
        # A walk records a block skipped for want of variables as "unknown (not run)": name them.
        needs = tuple(n for n in names if variables is not None and not present(variables, n))
        if needs:
            reason = f"needs {', '.join(needs)}"
        else:
            reason = f"unknown: {br.result.summary}" if br is not None else "not run"
        out.append(Unexamined(ref, i, block.check_type, needs, reason))
    return tuple(out)


def sweep_weighing(
    library: Library,
    node: Node,
    results: Sequence[BlockResult],
    *,
    tied: Mapping[str, Sequence[str]] | None = None,
    symptoms: Sequence[str] = (),
    variables: Mapping[str, Any] | None = None,
) -> Weighing:
    """A sweep node's results in the same groups as ``runbook diagnose`` (what the UI renders).

    The rules weighed are those the node's ``fail`` and ``warn`` verdicts can lead to; the
    blocks that did not run say what would examine the rest.
    """
    rules: set[str] = set()
    for block in node.checks:
        for v in (Verdict.FAIL, Verdict.WARN):
            target = verdict_target(node, block, v)
            if target is not None:
                rules |= reachable_rules(library, target)
    return weigh(
        library,
        {(r.ref, r.index): r for r in results},
        tied=tied,
        symptoms=symptoms,
        variables=variables,
        blocks=[(node.ref, i) for i in range(len(node.checks))],
        rules=rules,
        paths_for=0,
    )
