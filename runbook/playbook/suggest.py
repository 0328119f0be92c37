"""Which playbook to start from, given the symptoms a responder sees.

Symptoms are the ``symptoms`` lists in the playbooks' front matter. A playbook scores one point
per chosen symptom it lists; ``triage`` lists the common ones and wins ties, because it routes
on. With nothing chosen, ``triage`` (if loaded) is the suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable

from runbook.playbook.library import Library

TRIAGE = "triage"


def all_symptoms(library: Library) -> list[str]:
    """Every symptom named by any playbook, in first-seen order, without duplicates."""
    seen: dict[str, None] = {}
    for pb in sorted(library.playbooks.values(), key=lambda p: (p.id != TRIAGE, p.id)):
        for symptom in pb.symptoms:
            seen.setdefault(symptom.strip(), None)
    return list(seen)


def suggest_playbooks(library: Library, symptoms: Iterable[str]) -> list[tuple[str, int]]:
    """Playbook ids with their scores, best first (``triage`` first on a tie)."""
    chosen = {s.strip().lower() for s in symptoms if s.strip()}
    scored = []
    for pb in library.playbooks.values():
        score = sum(1 for s in pb.symptoms if s.strip().lower() in chosen)
        scored.append((pb.id, score))
    scored.sort(key=lambda item: (-item[1], item[0] != TRIAGE, item[0]))
    return scored
