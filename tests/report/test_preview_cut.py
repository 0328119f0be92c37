"""A preview reads only the first events (``build_context(max_events=)``): the same lines as the
whole document's first ones, the same header, and the count of what it left out."""

from __future__ import annotations

import dataclasses

from runbook.report import build_context, render_postmortem
from tests.report.fixture_incident import NOW, build_fixture


def test_the_first_events_and_the_count_of_the_rest(session, knowledge):
    iid = build_fixture(session)
    whole = build_context(iid, session=session, knowledge=knowledge, now=NOW)
    cut = build_context(iid, session=session, knowledge=knowledge, now=NOW, max_events=5)
    assert cut.timeline == whole.timeline[:5]
    assert cut.timeline_omitted == len(whole.timeline) - 5 > 0
    assert cut.header == whole.header  # authors from the whole record, not the first five events
    assert dataclasses.replace(cut, timeline=whole.timeline, timeline_omitted=0) == whole
    md = render_postmortem(cut)
    assert f"_{len(whole.timeline) - 5} more events are in the record and not shown here" in md
    assert md.count("\n| 2026-") == 5
    assert "more events" not in render_postmortem(whole)
    html = render_postmortem(cut, fmt="html")
    assert f"{len(whole.timeline) - 5} more events are in the record and not shown here" in html


def test_no_cut_when_the_record_is_short(session, knowledge):
    iid = build_fixture(session)
    whole = build_context(iid, session=session, knowledge=knowledge, now=NOW)
    roomy = build_context(iid, session=session, knowledge=knowledge, now=NOW, max_events=10_000)
    assert roomy == whole and roomy.timeline_omitted == 0
