"""Cross-link validation of the knowledge base, and against the playbook library.

Records link to each other by id (an incident's rules, a rule's incident and causes) and to
playbook nodes (a rule's conclusions). A rule and the incident it came from name each other; a
later incident (a team's postmortem) may name the rule again as its root cause. A link that
points nowhere is found here, at ``runbook validate`` time, not by a responder in the middle of
an outage. The playbook library is passed in (duck-typed: ``.playbooks[id].nodes[node_id].conclusion.rules``), so this
module imports nothing from the playbook package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from runbook.errors import PlaybookError
from runbook.knowledge.model import KnowledgeBase, Record, Rule

ParamValidator = Callable[[str, Mapping[str, Any]], list[str]]


# What the link check reads of a playbook library, as protocols: the knowledge base does not
# import the playbook package (a ``runbook.playbook.Library`` fits).
class _Conclusion(Protocol):
    @property
    def rules(self) -> tuple[str, ...]: ...


class _Node(Protocol):
    @property
    def conclusion(self) -> _Conclusion | None: ...


class _Playbook(Protocol):
    @property
    def nodes(self) -> Mapping[str, _Node]: ...


class PlaybookLibrary(Protocol):
    """The playbooks a rule's ``conclusions`` point into, by id."""

    @property
    def playbooks(self) -> Mapping[str, _Playbook]: ...


def validate_links(
    kb: KnowledgeBase,
    library: PlaybookLibrary | None = None,
    *,
    param_validator: ParamValidator | None = None,
    check_params: bool = True,
) -> list[PlaybookError]:
    """Every broken link, as ``path:line: what is wrong, and what to do``.

    Each rule's ``checks`` are validated against the check registry (``param_validator``, by
    default the registry's own) unless ``check_params`` is false.
    """
    errors: list[PlaybookError] = []
    if param_validator is None and check_params:
        param_validator = _registry_validator()

    def err(rec: Record, key: str, problem: str) -> None:
        errors.append(PlaybookError(str(rec.path), rec.line_of(key), problem))

    cause_ids = set(kb.causes)
    for rule in kb.rules.values():
        inc = kb.incidents.get(rule.incident)
        if inc is None:
            err(
                rule,
                "incident",
                f"rule {rule.id} names incident '{rule.incident}', which is not in the knowledge base; known: {_known(kb.incidents)}",
            )
        elif rule.id not in inc.rules:
            err(
                rule,
                "incident",
                f"rule {rule.id} names incident {inc.id}, but {inc.id} does not list {rule.id} under 'rules'; add it there",
            )
        for cause in rule.causes:
            if cause not in cause_ids:
                err(
                    rule,
                    "causes",
                    f"rule {rule.id} names cause '{cause}', which is not in incidents/causes/; known: {_known(kb.causes)}",
                )
        for check in rule.checks:
            if param_validator is not None:
                for problem in param_validator(check.type, check.params):
                    err(rule, "checks", f"rule {rule.id}: check '{check.type}': {problem}")
        if library is not None:
            errors += _conclusion_links(rule, library)

    for inc in kb.incidents.values():
        for rid in inc.rules:
            named = kb.rules.get(rid)
            if named is None:
                err(
                    inc,
                    "rules",
                    f"incident {inc.id} names rule '{rid}', which is not in incidents/rules/; known: {_known(kb.rules)}",
                )
            elif named.incident != inc.id and not _recurrence(kb, rid):
                err(
                    inc,
                    "rules",
                    f"incident {inc.id} lists rule {rid}, but {rid} says it comes from '{named.incident}'; make them agree",
                )
        for cause in inc.causes:
            if cause not in cause_ids:
                err(
                    inc,
                    "causes",
                    f"incident {inc.id} names cause '{cause}', which is not in incidents/causes/; known: {_known(kb.causes)}",
                )
        if library is not None and inc.playbook and inc.playbook not in library.playbooks:
            err(
                inc,
                "playbook",
                f"incident {inc.id} names playbook '{inc.playbook}', which is not loaded; known: {_known(library.playbooks)}",
            )

    for rec in [*kb.causes.values(), *kb.governance.values()]:
        for rid in rec.rules:
            if rid not in kb.rules:
                err(
                    rec,
                    "rules",
                    f"{rec.id} names rule '{rid}', which is not in incidents/rules/; known: {_known(kb.rules)}",
                )
        for iid in rec.incidents:
            if iid not in kb.incidents:
                err(
                    rec,
                    "incidents",
                    f"{rec.id} names incident '{iid}', which is not in incidents/p0/; known: {_known(kb.incidents)}",
                )
    return errors


def _recurrence(kb: KnowledgeBase, rule_id: str) -> bool:
    """An incident may name a rule that came from another incident (a team's postmortem of a
    recurrence) when that rule is anchored: its own incident exists and lists it back."""
    origin = kb.incidents.get(kb.rules[rule_id].incident)
    return origin is not None and rule_id in origin.rules


def _registry_validator() -> ParamValidator:
    from runbook.checks.registry import validate_params

    return validate_params


def _conclusion_links(rule: Rule, library: PlaybookLibrary) -> list[PlaybookError]:
    out: list[PlaybookError] = []
    line = rule.line_of("conclusions")
    for ref in rule.conclusions:
        playbook_id, sep, node_id = ref.partition("#")
        if not sep or not node_id:
            out.append(
                PlaybookError(str(rule.path), line, f"conclusion '{ref}' is not a node reference; write playbook#node")
            )
            continue
        playbook = library.playbooks.get(playbook_id)
        if playbook is None:
            out.append(
                PlaybookError(
                    str(rule.path),
                    line,
                    f"conclusion '{ref}': no playbook '{playbook_id}'; known: {_known(library.playbooks)}",
                )
            )
            continue
        node = playbook.nodes.get(node_id)
        if node is None:
            out.append(
                PlaybookError(
                    str(rule.path), line, f"conclusion '{ref}': playbook '{playbook_id}' has no node '{node_id}'"
                )
            )
            continue
        if node.conclusion is None:
            out.append(
                PlaybookError(
                    str(rule.path),
                    line,
                    f"conclusion '{ref}' is not a conclusion node; link a node with a conclusion block",
                )
            )
        elif rule.id not in node.conclusion.rules:
            out.append(
                PlaybookError(
                    str(rule.path),
                    line,
                    f"conclusion '{ref}' does not name {rule.id} in its rules; add {rule.id} there or drop the link",
                )
            )
    return out


def _known(mapping: Mapping[str, Any]) -> str:
    return ", ".join(sorted(mapping)) or "none"
