"""Everything the tool knows, loaded once: playbooks, the knowledge base, drill scenarios.

The CLI, the walk engine, the UI and the drills all start here, so they agree on what is
loaded and on what is wrong with it. Loading never raises for bad content: problems are
collected as ``path:line`` errors next to whatever did load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook.config import Settings, load_settings
from runbook.errors import PlaybookError
from runbook.playbook.library import Library, load_library
from runbook.playbook.validate import registry_param_validator, validate_library


@dataclass
class Content:
    library: Library
    knowledge: Any = None
    """``runbook.knowledge.KnowledgeBase`` (rules, incidents, causes, governance)."""
    scenarios: dict[str, Any] = field(default_factory=dict)
    """Drill scenarios by id."""
    errors: list[PlaybookError] = field(default_factory=list)

    def known_rules(self) -> frozenset[str] | None:
        if self.knowledge is None:
            return None
        rules = self.knowledge.rule_ids()
        return frozenset(rules) if rules else None


def load_content(
    settings: Settings | None = None,
    *,
    extra_playbooks: Sequence[Path] = (),
    extra_incidents: Sequence[Path] = (),
    validate: bool = True,
) -> Content:
    """Load playbooks, knowledge and scenarios from the configured directories (plus extras)."""
    settings = settings or load_settings()
    library = load_library([*settings.playbook_dirs, *extra_playbooks])
    incident_dirs = [*settings.incident_dirs, *extra_incidents]
    content = Content(library=library)
    from runbook.drill.scenarios import load_scenarios
    from runbook.knowledge import load_knowledge, validate_links

    content.knowledge, errors = load_knowledge(incident_dirs)
    if validate:
        errors += validate_library(
            library, known_rules=content.known_rules(), param_validator=registry_param_validator()
        )
        errors += validate_links(content.knowledge, library)
    else:
        errors += library.errors
    content.scenarios, scenario_errors = load_scenarios(incident_dirs, library, content.knowledge)
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
