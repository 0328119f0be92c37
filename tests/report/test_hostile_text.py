"""User text that looks like Markdown, HTML or Jinja stays in its section and reads as text."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook.record import repo
from runbook.report import build_context, render_postmortem
from runbook.report.escape import md_block, md_cell, md_code, md_fence, md_inline
from tests.report.fixture_incident import NOW, at
from tests.report.mdread import all_tokens, headings, parser, section_texts, tables

HOSTILE = [
    "# heading injected",
    "## Root causes",
    "a | b | c",
    "```\ncode fence\n```",
    "`backticks` and ``double``",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{ 7*7 }} {% if true %}jinja{% endif %} {{ ''.__class__ }}",
    "[link](javascript:alert(1)) ![img](http://x/y.png)",
    "**bold** _em_ ~~strike~~ &amp; &lt;tag&gt;",
    "1. numbered\n- bullet\n> quote\n---\n===",
    "    indented code\n\ttab",
    "trailing backslash \\",
    "| --- | --- |",
]


def _flat(s: str) -> str:
    return " ".join(s.split())


@pytest.fixture
def hostile_md(session) -> str:
    inc = repo.create_incident(
        session=session,
        title="Hostile <b>title</b> | # {{ x }}",
        severity="P2",
        service="svc | `x`",
        author="eve",
        started_at=at(0),
        detected_at=at(1),
    )
    joined = "\n\n".join(HOSTILE)
    repo.update_incident(inc.id, session=session, summary=joined, impact=joined, trigger=joined, resolution=joined)
    for n, text in enumerate(HOSTILE):
        repo.add_finding(
            inc.id, text, session=session, tags=["went_well", "went_wrong", "lucky"], author="eve", at=at(2 + n)
        )
        repo.add_action_item(inc.id, text, session=session, owner=text, due=date(2026, 4, 1), rule="R1", author="eve")
        repo.add_event(inc.id, "note", session=session, summary=text, author="eve", at=at(30 + n))
    ctx = build_context(inc.id, session=session, now=NOW)
    return render_postmortem(ctx)


SECTIONS = [
    "Summary",
    "Impact",
    "Detection",
    "Trigger",
    "Resolution",
    "Timeline",
    "Diagnosis path",
    "Root causes",
    "Contributing factors",
    "What went well",
    "What went wrong",
    "Where we got lucky",
    "Action items",
    "Similar past incidents",
    "Lessons",
    "Appendix: evidence",
]


def test_structure_survives_hostile_notes(hostile_md):
    assert [h for _, h in headings(hostile_md, max_level=6)] == [
        "Postmortem: Hostile <b>title</b> | # {{ x }}",
        *SECTIONS,
    ]
    for t in tables(hostile_md):
        assert len(set(t.raw_cells)) == 1, f"table at line {t.line}: {t.raw_cells}"


@pytest.mark.parametrize(
    "section",
    [
        "Summary",
        "Impact",
        "Trigger",
        "Resolution",
        "What went well",
        "What went wrong",
        "Where we got lucky",
        "Action items",
        "Timeline",
    ],
)
def test_each_hostile_string_reads_as_text_in_its_section(hostile_md, section):
    text = _flat(section_texts(hostile_md)[section])
    for hostile in HOSTILE:
        assert _flat(hostile) in text, f"{hostile!r} not shown as text in {section}"


def test_no_raw_html_even_where_html_is_allowed(hostile_md):
    # GitHub renders inline HTML; our escaping must leave none for it to render.
    kinds = {t.type for t in all_tokens(hostile_md, html=True)}
    assert not kinds & {"html_inline", "html_block", "link_open", "image", "fence", "code_block", "s_open"}


def test_html_export_escapes_everything(session, hostile_md):
    from runbook.report.html import to_html

    page = to_html(hostile_md, title="t <script>")
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<title>t &lt;script&gt;</title>" in page


# ---- properties of the escaping functions ---------------------------------------------------

# Any text, and text made mostly of the characters Markdown and HTML care about.
_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=80),
    st.text(alphabet="\\`*_[]<>#|~&!-+=.)0123456789 \n\tabc:/()\"'{}%", max_size=60),
)


@settings(max_examples=300, deadline=None)
@given(_text)
def test_inline_escape_renders_exactly_the_text(s):
    want = _flat(re.sub(r"[\x00-\x08\x0e-\x1f\x7f]", "", s))
    tokens = parser(html=True).parse(md_inline(s))
    if not want:
        assert tokens == []
        return
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    kids = tokens[1].children
    assert all(k.type in ("text", "softbreak") for k in kids), [k.type for k in kids]
    assert _flat("".join(k.content for k in kids)) == want


@settings(max_examples=200, deadline=None)
@given(_text)
def test_block_escape_makes_only_paragraphs(s):
    types = {t.type for t in parser(html=True).parse(md_block(s))}
    assert types <= {"paragraph_open", "inline", "paragraph_close"}


@settings(max_examples=200, deadline=None)
@given(st.lists(_text, min_size=1, max_size=4))
def test_cells_and_code_cells_keep_the_row_shape(cells):
    row = "| " + " | ".join(md_cell(c) for c in cells) + " |"
    code_row = "| " + " | ".join(md_code(c, cell=True) or "x" for c in cells) + " |"
    head = "| " + " | ".join("h" for _ in cells) + " |\n|" + "---|" * len(cells)
    for body in (row, code_row):
        tokens = parser().parse(head + "\n" + body + "\n")
        assert sum(1 for t in tokens if t.type == "td_open") == len(cells)


@settings(max_examples=100, deadline=None)
@given(_text)
def test_fence_holds_any_text(s):
    tokens = parser().parse(md_fence(s) + "\nafter\n")
    assert tokens[0].type == "fence"
    assert tokens[-2].content == "after"
