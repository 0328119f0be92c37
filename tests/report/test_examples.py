"""The three P0 records rendered through the shipped template: the committed worked examples
in docs/examples/ must be what the code produces today (regenerate with RUNBOOK_REGEN_GOLDENS=1)."""

from __future__ import annotations

import pytest

from runbook.report import render_postmortem
from runbook.report.from_knowledge import context_from_kb
from runbook.report.links import KnowledgeLinks
from tests.report.conftest import REPO, compare_or_write
from tests.report.mdread import headings, section_texts, tables
from tests.report.test_golden import SECTIONS

EXAMPLES = REPO / "docs" / "examples"


@pytest.mark.parametrize("kb_id", ["P0-1", "P0-2", "P0-3"])
def test_worked_example_is_up_to_date(kb_id, knowledge, library):
    ctx = context_from_kb(kb_id, knowledge=knowledge, library=library, links=KnowledgeLinks("../../incidents"))
    md = render_postmortem(ctx)
    compare_or_write(EXAMPLES / f"{kb_id}.md", md)
    assert [h for _, h in headings(md)][1:] == SECTIONS
    for t in tables(md):
        assert len(set(t.raw_cells)) == 1, f"{kb_id}: table at line {t.line}: {t.raw_cells}"
    text = section_texts(md)
    record_rules = knowledge.incidents[kb_id].rules
    # every rule of the record is a root cause with its anti-pattern and fix, and a lesson with a link
    for rid in record_rules:
        assert f"### {rid}: {knowledge.rules[rid].title}" in md
        assert f"[{rid}: {knowledge.rules[rid].title}](../../incidents/rules/{rid}.md)" in md
    assert md.count("#### Anti-pattern") == md.count("#### Fix") == len(record_rules)
    # the diagnosis path reaches a conclusion for every rule, through the record's playbook
    for rid in record_rules:
        assert f"rules: {rid}" in text["Diagnosis path"] or f", {rid}" in text["Diagnosis path"]
    assert "Nothing tagged yet" not in md  # the records have all three lists
    assert (EXAMPLES / ".." / ".." / "incidents" / "rules" / f"{record_rules[0]}.md").resolve().is_file()
