"""An incident with nothing written yet: every section is there, inviting writing, in blameless words."""

from __future__ import annotations

import re

from runbook.record import repo
from runbook.report import build_context, render_postmortem
from tests.report.fixture_incident import NOW, at
from tests.report.mdread import headings, section_texts
from tests.report.test_golden import SECTIONS

BLAME = re.compile(
    r"\b(blame\w*|fault\w*|mistake\w*|careless\w*|negligen\w*|should have|human error|"
    r"failed to|culprit|responsible for|guilty|sloppy|forgot)\b",
    re.IGNORECASE,
)


def test_empty_incident_renders_every_section_with_an_invitation(session):
    inc = repo.create_incident(
        session=session, title="Checkout latency", author="sam", started_at=at(0), detected_at=at(3)
    )
    md = render_postmortem(build_context(inc.id, session=session, now=NOW))
    assert [h for _, h in headings(md)][1:] == SECTIONS
    text = section_texts(md)
    assert text["Summary"].startswith("Not written yet:")
    assert text["Detection"].startswith("The incident was opened in the record at 2026-03-14 02:13:00")
    assert text["What went wrong"].endswith("Describe systems and conditions, not people.")
    assert text["Root causes"].startswith("No rule was concluded yet.")
    assert text["Action items"].startswith("No action items yet.")
    assert not BLAME.findall(md), BLAME.findall(md)


def test_tool_wording_in_a_walked_incident_is_blameless(session, knowledge):
    from tests.report.fixture_incident import build_fixture

    iid = build_fixture(session)
    ctx = build_context(iid, session=session, knowledge=knowledge, now=NOW)
    md = render_postmortem(ctx)
    # Everything outside the quoted knowledge base (root causes) and user notes is the tool's own text.
    text = section_texts(md)
    own = "\n".join(v for k, v in text.items() if k not in ("Root causes", "Lessons", "Contributing factors"))
    assert not BLAME.findall(own), BLAME.findall(own)
