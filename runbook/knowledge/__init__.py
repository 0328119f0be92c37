"""The knowledge base: rules, incident postmortems, causes and governance records.

Loaded from ``incidents/`` (``rules/``, ``p0/``, ``causes/``, ``governance/``); ``drills/`` is
the drill scenarios' and skipped. See ``docs/knowledge-format.md``.
"""

from runbook.knowledge.links import validate_links
from runbook.knowledge.loader import load_knowledge, load_record
from runbook.knowledge.model import (
    IncidentRecord,
    KnowledgeBase,
    PostmortemAction,
    Record,
    RecordOrigin,
    Rule,
    RuleCheck,
    rule_sort_key,
)

__all__ = [
    "IncidentRecord",
    "KnowledgeBase",
    "PostmortemAction",
    "Record",
    "RecordOrigin",
    "Rule",
    "RuleCheck",
    "load_knowledge",
    "load_record",
    "rule_sort_key",
    "validate_links",
]
