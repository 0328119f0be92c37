"""The one sort order for rule ids (``R2`` before ``R10``), wherever rules are listed.

Playbook validation, the knowledge base, the record's similar-incident reasons and the
postmortem all print lists of rule ids; sorting them one way everywhere keeps a document and
the error message that points into it in the same order. Its own module at the bottom of the
layers, so that ``playbook``, ``knowledge`` and ``record`` can share it without importing
each other.
"""

from __future__ import annotations


def rule_sort_key(rule_id: str) -> tuple[str, int, str]:
    """R2 before R10: prefix, then number (an id without digits sorts before its numbered kin)."""
    prefix = rule_id.rstrip("0123456789")
    digits = rule_id[len(prefix) :]
    return (prefix, int(digits) if digits else -1, rule_id)
