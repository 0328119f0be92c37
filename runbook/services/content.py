"""Everything the tool knows, loaded once: playbooks, the knowledge base, drill scenarios.

The CLI, the walk engine, the UI and the drills all take it from ``Services.content``, so they
agree on what is loaded and on what is wrong with it. Loading never raises for bad content:
problems are collected as ``path:line`` errors next to whatever did load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from runbook.config import Settings
from runbook.drill.scenarios import DrillScenario, load_scenarios
from runbook.errors import PlaybookError
from runbook.knowledge import KnowledgeBase, load_knowledge, validate_links
from runbook.playbook.library import Library, load_library, override_errors
from runbook.playbook.validate import registry_param_validator, validate_library


@dataclass
class Content:
    """What was loaded from the playbook and incident directories, and what is wrong with it."""

    library: Library
    knowledge: KnowledgeBase
    """Rules, incidents, causes, governance records."""
    scenarios: dict[str, DrillScenario] = field(default_factory=dict)
    """Drill scenarios by id."""
    errors: list[PlaybookError] = field(default_factory=list)

    def known_rules(self) -> frozenset[str] | None:
        rules = self.knowledge.rule_ids()
        return frozenset(rules) if rules else None


def load_content(
    settings: Settings,
    *,
    extra_playbooks: Sequence[Path] = (),
    extra_incidents: Sequence[Path] = (),
    validate: bool = True,
) -> Content:
    """Load playbooks, knowledge and scenarios from the configured directories (plus extras).

    Each directory is a layer over the ones before it (shipped, config, environment, extras):
    a later one's playbook or record replaces an earlier one's with the same id.
    """
    library = load_library([*settings.playbook_dirs, *extra_playbooks])
    incident_dirs = [*settings.incident_dirs, *extra_incidents]
    knowledge, errors = load_knowledge(incident_dirs)
    content = Content(library=library, knowledge=knowledge)
    if validate:
        errors += validate_library(
            library, known_rules=content.known_rules(), param_validator=registry_param_validator()
        )
        errors += validate_links(knowledge, library)
        rule_links = [
            (str(rule.path), rule.line_of("conclusions"), ref)
            for rule in knowledge.rules.values()
            for ref in rule.conclusions
        ]
        errors += override_errors(library, rule_links)
    else:
        errors += library.errors
    content.scenarios, scenario_errors = load_scenarios(incident_dirs, library, knowledge)
    errors += scenario_errors
    content.errors = _dedupe(errors)
    return content


def _dedupe(errors: list[PlaybookError]) -> list[PlaybookError]:
    seen: set[str] = set()
    out = []
    for e in sorted(errors, key=lambda e: (e.path, e.line, e.problem)):
        if e.message not in seen:
            seen.add(e.message)
            out.append(e)
    return out
