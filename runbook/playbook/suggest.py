"""Which playbook to start from, given the symptoms a responder sees.

Symptoms are the ``symptoms`` lists in the playbooks' front matter. A playbook scores one point
per chosen symptom it lists; ``triage`` lists the common ones and wins ties, because it routes
on. With nothing chosen, ``triage`` (if loaded) is the suggestion.

Triage and the P0 playbooks name the same symptom in their own words ("requests time out or
breakers flap", "requests time out and breakers flap"). The start form shows each once: phrases
whose content words mostly overlap are one symptom (:func:`symptom_groups`), shown in its first
wording, and choosing it counts for every playbook that lists any of its wordings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from runbook.playbook.library import Library
from runbook.playbook.model import Choice, Node

TRIAGE = "triage"

#: Two wordings are one symptom when this share of the shorter one's content words is in the other.
SAME_SYMPTOM = 0.6
_STOP = frozenset(
    {"a", "an", "and", "are", "about", "be", "do", "does", "for", "from", "go", "have", "in", "is", "it"}
    | {"its", "no", "not", "of", "on", "one", "or", "out", "over", "that", "the", "their", "to", "up"}
    | {"when", "which", "while", "with", "without"}
)


def content_words(text: str) -> frozenset[str]:
    """Lower-case words without stop words, a plural ``s`` dropped (``breakers`` ~ ``breaker``)."""
    words = re.findall(r"[a-z0-9_/]+", text.lower())
    return frozenset(
        w[:-1] if len(w) > 2 and w.endswith("s") and not w.endswith("ss") else w for w in words if w not in _STOP
    )


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def symptom_groups(library: Library) -> dict[str, tuple[str, ...]]:
    """Each symptom as shown (its first wording, triage's first) -> every wording of it."""
    groups: dict[str, list[str]] = {}
    words: dict[str, frozenset[str]] = {}
    for pb in sorted(library.playbooks.values(), key=lambda p: (p.id != TRIAGE, p.id)):
        for symptom in (s.strip() for s in pb.symptoms):
            mine = content_words(symptom)
            shown = next((k for k, w in words.items() if _overlap(mine, w) >= SAME_SYMPTOM), None)
            if shown is None:
                groups[symptom], words[symptom] = [symptom], mine
            elif symptom not in groups[shown]:
                groups[shown].append(symptom)
    return {k: tuple(v) for k, v in groups.items()}


def all_symptoms(library: Library) -> list[str]:
    """Every wording of a symptom any playbook names, in first-seen order, without duplicates."""
    seen: dict[str, None] = {}
    for pb in sorted(library.playbooks.values(), key=lambda p: (p.id != TRIAGE, p.id)):
        for symptom in pb.symptoms:
            seen.setdefault(symptom.strip(), None)
    return list(seen)


def shown_symptoms(library: Library) -> list[str]:
    """The symptoms a responder picks from: each once (near-duplicate wordings merged)."""
    return list(symptom_groups(library))


def matching_choice(node: Node, symptoms: Sequence[str]) -> Choice | None:
    """The choice of ``node`` (triage's first question) that best matches the ticked symptoms,
    or None when none shares most of a symptom's content words."""
    best: tuple[float, int] = (0.0, -1)
    for i, choice in enumerate(node.choices):
        label = content_words(choice.label)
        score = max((_overlap(content_words(s), label) for s in symptoms), default=0.0)
        if score > best[0]:
            best = (score, i)
    return node.choices[best[1]] if best[0] >= SAME_SYMPTOM else None


def suggest_playbooks(library: Library, symptoms: Iterable[str]) -> list[tuple[str, int]]:
    """Playbook ids with their scores, best first (``triage`` first on a tie)."""
    groups = symptom_groups(library)
    chosen = {w.lower() for s in symptoms if s.strip() for w in groups.get(s.strip(), (s.strip(),))}
    scored = []
    for pb in library.playbooks.values():
        score = sum(1 for s in pb.symptoms if s.strip().lower() in chosen)
        scored.append((pb.id, score))
    scored.sort(key=lambda item: (-item[1], item[0] != TRIAGE, item[0]))
    return scored
