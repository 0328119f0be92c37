"""No import cycle inside any package (imports inside functions and type-only imports included).

The seams issue named four cycles (``parsers/prom_*``, ``cardinality``/``_tsdb_status``,
``drill/scenarios``/``validate``, ``record/db``/``schema``); this keeps them and any new one out.
The layers between packages are import-linter's job (``tests/test_gates.py``).
"""

from __future__ import annotations

import collections

import grimp


def _sibling_cycles(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    by_package: dict[str, list[str]] = collections.defaultdict(list)
    for module in graph.modules:
        if module.startswith("runbook.") and module.count(".") >= 2:
            by_package[module.rsplit(".", 1)[0]].append(module)
    found = []
    for modules in by_package.values():
        for a in sorted(modules):
            for b in sorted(modules):
                if a < b and graph.chain_exists(importer=a, imported=b) and graph.chain_exists(importer=b, imported=a):
                    found.append((a, b))
    return found


def test_no_module_cycles_inside_packages():
    graph = grimp.build_graph("runbook", cache_dir=None)
    assert _sibling_cycles(graph) == []


def test_the_check_finds_a_cycle():
    graph = grimp.build_graph("runbook", cache_dir=None)
    graph.add_import(importer="runbook.record.schema", imported="runbook.record.db")
    graph.add_import(importer="runbook.record.db", imported="runbook.record.schema")
    assert ("runbook.record.db", "runbook.record.schema") in _sibling_cycles(graph)
