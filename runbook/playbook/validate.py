"""Validation of a loaded library: each rule its own error, all errors reported.

Every message reads ``path:line: what is wrong, and what to do``. The checks against the
knowledge base (known rule ids) and the check registry (types and params) are passed in, so
this module stays free of storage and network code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

import jinja2
import jinja2.meta
import networkx as nx

from runbook.errors import PlaybookError
from runbook.playbook.graph import without_loops
from runbook.playbook.library import Library
from runbook.playbook.model import CheckBlock, Node, NodeKind, Playbook
from runbook.rule_ids import rule_sort_key

#: (check_type, params) -> problems; see ``registry_param_validator``.
ParamValidator = Callable[[str, Mapping[str, Any]], list[str]]
#: Where a rule reports a problem: ``err(line, message)``.
_Report = Callable[[int, str], None]

_jinja = jinja2.Environment()


@lru_cache(maxsize=4096)
def _string_variables(value: str) -> frozenset[str]:
    # the same param strings ("{{ etcd_url }}") recur across a library: parse each once
    return frozenset(jinja2.meta.find_undeclared_variables(_jinja.parse(value)))


@lru_cache(maxsize=4096)
def _compiled(value: str) -> jinja2.Template:
    return _jinja.from_string(value)


def template_variables(value: Any) -> set[str]:
    """Names used as ``{{ variable }}`` in a param value (strings, nested lists and dicts)."""
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:
            return set()
        return set(_string_variables(value))
    if isinstance(value, Mapping):
        return set().union(*(template_variables(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(template_variables(v) for v in value)) if value else set()
    return set()


def validate_library(
    lib: Library,
    *,
    known_rules: Iterable[str] | None = None,
    param_validator: ParamValidator | None = None,
) -> list[PlaybookError]:
    """Every problem in the library: parse errors first, then the rules, file by file."""
    errors = list(lib.errors)
    rules = frozenset(known_rules) if known_rules is not None else None
    entries = _entry_points(lib)
    for playbook in lib.playbooks.values():
        errors += _validate_playbook(playbook, lib, rules, param_validator, entries.get(playbook.id, set()))
    errors += _cycles(lib)
    return sorted(errors, key=lambda e: (e.path, e.line))


def _validate_playbook(
    pb: Playbook,
    lib: Library,
    rules: frozenset[str] | None,
    param_validator: ParamValidator | None,
    entries: set[str],
) -> list[PlaybookError]:
    out: list[PlaybookError] = []
    path = str(pb.path)

    def err(line: int, problem: str) -> None:
        out.append(PlaybookError(path, line, problem))

    if pb.start and pb.start not in pb.nodes:
        err(
            _fm_line(pb, "start"),
            f"start node '{pb.start}' is not a node of '{pb.id}'; set 'start' to one of: {_list(pb.nodes)}",
        )
    declared = {v.name for v in pb.variables}
    for node in pb.nodes.values():
        _links(node, pb, lib, err)
        _way_out(node, err, rules)
        for block in node.checks:
            _check_block(block, node, pb, declared, err, param_validator)
            _verdicts_that_conclude(block, node, lib, err)
    _reachability(pb, lib, entries, err)
    return out


def _links(node: Node, pb: Playbook, lib: Library, err: _Report) -> None:
    for choice in node.choices:
        target_pb = lib.playbooks.get(choice.playbook)
        if target_pb is None:
            err(
                choice.line,
                f"choice links to playbook '{choice.playbook}', which is not loaded; "
                f"link to one of: {_list(lib.playbooks)}",
            )
        elif choice.node not in target_pb.nodes:
            where = f"'{pb.id}'" if choice.local else f"playbook '{choice.playbook}'"
            err(
                choice.line,
                f"choice links to '{choice.node}', which is not a node of {where}; "
                f"link to one of: {_list(target_pb.nodes)}",
            )


def _way_out(node: Node, err: _Report, rules: frozenset[str] | None) -> None:
    if node.kind is NodeKind.CONCLUSION:
        if node.choices:
            err(
                node.choices[0].line,
                f"conclusion node '{node.id}' has choices; a conclusion ends the walk, "
                "so move the choices to a question node or remove them",
            )
        concl = node.conclusion
        if concl is not None:
            if not concl.rules and not concl.unexplained:
                err(concl.line, f"conclusion node '{node.id}' names no rule; add rules: [R1] (a known rule id)")
            if rules is not None:
                for rule in concl.rules:
                    if rule not in rules:
                        err(
                            concl.line,
                            f"conclusion names unknown rule '{rule}'; known rules: {_list(sorted(rules, key=rule_sort_key))}",
                        )
    elif not node.choices:
        err(
            node.line,
            f"node '{node.id}' has no choices and no conclusion (a dead end); "
            "add choices ('- [label](#node-id)') or a conclusion block",
        )


def _check_block(
    block: CheckBlock,
    node: Node,
    pb: Playbook,
    declared: set[str],
    err: _Report,
    param_validator: ParamValidator | None,
) -> None:
    try:
        used = template_variables(block.params)
    except jinja2.TemplateSyntaxError as exc:
        err(
            block.line,
            f"check '{block.check_type}': bad template in params ({exc.message}); write variables as {{{{ name }}}}",
        )
        used = set()
    for name in sorted(used - declared):
        err(
            block.line,
            f"check '{block.check_type}' uses undeclared variable '{name}'; "
            "declare it under 'variables' in the front matter",
        )
    for verdict, target in block.verdicts.items():
        if node.choice_for(target) is None:
            err(
                block.line,
                f"verdict '{verdict}' points to '{target}', which is not a choice of node '{node.id}'; "
                f"point it to one of: {_list(c.node if c.local else c.ref for c in node.choices)}",
            )
    if param_validator is not None and not used - declared:
        params = _with_examples(block.params, pb)
        for problem in param_validator(block.check_type, params):
            err(block.line, f"check block: {problem}; see 'runbook checks' for each type's parameters")


#: Verdicts that may not lead straight to a conclusion naming a rule, and why (the fix follows).
_NOT_CONCLUSIVE = {
    "warn": "a warn is a heuristic or a marginal figure, and never concludes a rule on autopilot",
    "unknown": "an unknown measured nothing, so it cannot conclude a rule",
}


def _verdicts_that_conclude(block: CheckBlock, node: Node, lib: Library, err: Callable[[int, str], None]) -> None:
    """``warn`` and ``unknown`` must not map straight to a conclusion that names a rule.

    The autopilot follows a verdict without asking; a heuristic or a marginal figure would then
    be recorded as the root cause. Routing the verdict to a question lets a person confirm.
    """
    for verdict, why in _NOT_CONCLUSIVE.items():
        target = block.verdicts.get(verdict)
        choice = node.choice_for(target) if target else None
        target_pb = lib.playbooks.get(choice.playbook) if choice else None
        end = target_pb.nodes.get(choice.node) if choice and target_pb else None
        if end is None or end.conclusion is None or end.conclusion.unexplained:
            continue
        err(
            block.line,
            f"verdict '{verdict}' points straight to conclusion '{target}' "
            f"[{', '.join(end.conclusion.rules)}]; {why}: point it to a question node that asks "
            "a person to confirm (and links to the conclusion), or to a further check",
        )


def _with_examples(value: Any, pb: Playbook) -> Any:
    """Params with each variable replaced by its declared example (for schema validation)."""
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        examples = {v.name: v.example if v.example is not None else "example" for v in pb.variables}
        rendered = _compiled(value).render(**examples)
        return _coerce(rendered)
    if isinstance(value, Mapping):
        return {k: _with_examples(v, pb) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_examples(v, pb) for v in value]
    return value


def _coerce(text: str) -> Any:
    """A rendered scalar read as YAML would read it ("3" -> 3), so numeric params validate."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (int, float, bool, str)) else text


def _entry_points(lib: Library) -> dict[str, set[str]]:
    """Per playbook, the nodes other playbooks link into (triage -> incident playbook)."""
    entries: dict[str, set[str]] = {}
    for u, v in lib.graph.edges():
        pu, pv = u.partition("#")[0], v.partition("#")[0]
        if pu != pv:
            entries.setdefault(pv, set()).add(v)
    return entries


def _reachability(pb: Playbook, lib: Library, entries: set[str], err: _Report) -> None:
    """Every node must be reachable from the start or from a node other playbooks link into.

    A path that leaves the playbook and comes back re-enters through such a link, so searching
    the playbook's own subgraph from those entry points is enough (and keeps this linear).
    """
    if pb.start not in pb.nodes:
        return
    g = lib.graph.subgraph(node.ref for node in pb.nodes.values())
    reached: set[str] = set()
    for entry in {f"{pb.id}#{pb.start}", *entries}:
        if entry in g and entry not in reached:
            reached |= {entry} | nx.descendants(g, entry)
    for node in pb.nodes.values():
        if node.ref not in reached:
            err(
                node.line,
                f"node '{node.id}' is not reachable from the start node '{pb.start}'; "
                "link to it from a choice or remove it",
            )


def _cycles(lib: Library) -> list[PlaybookError]:
    out = []
    g = without_loops(lib.graph)
    for component in nx.strongly_connected_components(g):
        if len(component) == 1:
            (n,) = component
            if not g.has_edge(n, n):
                continue
        sub = g.subgraph(component)
        cycle = nx.find_cycle(sub)
        u, v = cycle[-1][0], cycle[-1][1]
        pb = lib.playbooks[g.nodes[u]["playbook"]]
        path = " -> ".join(
            [e[0].split("#", 1)[1] if e[0].startswith(pb.id + "#") else e[0] for e in cycle]
            + [v.split("#", 1)[1] if v.startswith(pb.id + "#") else v]
        )
        line = g.edges[u, v].get("line", 1)
        out.append(
            PlaybookError(
                str(pb.path),
                line,
                f"cycle {path}; if it is deliberate, mark the edge back "
                'as a loop with the link title "loop"; otherwise remove it',
            )
        )
    return out


def _fm_line(pb: Playbook, key: str) -> int:
    try:
        for i, line in enumerate(pb.path.read_text(encoding="utf-8").splitlines()[:200]):
            if line.startswith(f"{key}:"):
                return i + 1
    except OSError:
        pass
    return 1


def _list(items: Iterable[str]) -> str:
    items = list(items)
    return ", ".join(items) if items else "(none)"


def registry_param_validator() -> ParamValidator:
    """Validate check types and params against the check registry (imported on first use: a
    playbook can be parsed without loading the check catalog)."""
    from runbook.checks.registry import validate_params

    return validate_params
