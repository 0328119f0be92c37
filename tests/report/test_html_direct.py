"""The HTML export is rendered from the context (``postmortem.html.j2``), not by re-parsing the
Markdown; these tests hold it to the same content: the words of the page are, in order, the words
markdown-it shows for the Markdown document, and hostile text stays text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from runbook.record import repo
from runbook.report import build_context, render_postmortem
from runbook.report.html import to_html
from tests.report.fixture_incident import NOW, build_fixture

HOSTILE = "<script>alert(1)</script> # not a heading | *bold* _em_ `code` [link](javascript:x) &amp; {{ jinja }}"


_BLOCKS = {"p", "li", "ul", "ol", "td", "th", "tr", "table", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "br"}


class _Text(HTMLParser):
    """The visible text of a page's ``<main>``, and every element's tag and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_main = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "main":
            self._in_main = True
        if tag in _BLOCKS:
            self.words.append(" ")  # a cell, item or paragraph boundary separates words, however laid out

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self._in_main = False
        if tag in _BLOCKS:
            self.words.append(" ")

    def handle_data(self, data: str) -> None:
        if self._in_main:
            self.words.append(data)


def page_text(page: str) -> str:
    p = _Text()
    p.feed(page)
    return " ".join("".join(p.words).split())


def page_tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    p = _Text()
    p.feed(page)
    return p.tags


def _ctx(session, knowledge, *, hostile: bool = False):
    iid = build_fixture(session)
    if hostile:
        inc = repo.get_incident(iid, session=session)
        inc.title = HOSTILE
        inc.summary = f"{HOSTILE}\n\nsecond paragraph\n- not a list"
        inc.went_well = HOSTILE
        session.add(inc)
        session.commit()
        repo.add_event(iid, "note", summary=HOSTILE, session=session, author="<b>eve</b>")
        repo.add_finding(iid, HOSTILE, session=session, tags=["went_wrong"], author="eve")
        repo.add_action_item(iid, HOSTILE, session=session, owner="<i>x</i>")
    return build_context(iid, session=session, knowledge=knowledge, now=NOW)


@pytest.mark.parametrize("hostile", [False, True], ids=["fixture", "hostile"])
def test_the_page_reads_what_the_markdown_reads(session, knowledge, hostile):
    """Every section, event, finding, action item and narrative text, in order: the text of the
    direct page equals the text of markdown-it's rendering of the Markdown export."""
    ctx = _ctx(session, knowledge, hostile=hostile)
    md = render_postmortem(ctx, fmt="md")
    direct = render_postmortem(ctx, fmt="html")
    via_markdown = to_html(md, title="t")
    assert page_text(direct) == page_text(via_markdown)
    for event in ctx.timeline:  # and not vacuously: the record's lines are there
        assert " ".join(event.text.split()) in page_text(direct)


@pytest.mark.parametrize("hostile", [False, True], ids=["fixture", "hostile"])
def test_headings_and_links_are_those_of_the_markdown_page(session, knowledge, hostile):
    ctx = _ctx(session, knowledge, hostile=hostile)
    direct = page_tags(render_postmortem(ctx, fmt="html"))
    via_markdown = page_tags(to_html(render_postmortem(ctx, fmt="md"), title="t"))

    def anchors(tags):
        return [(t, a.get("id")) for t, a in tags if t in ("h1", "h2", "h3", "h4", "h5", "h6")]

    def links(tags):
        return [a.get("href") for t, a in tags if t == "a"]

    assert anchors(direct) == anchors(via_markdown)
    assert links(direct) == links(via_markdown)
    assert len(anchors(direct)) > 20


def test_a_hostile_title_and_notes_stay_text(session, knowledge):
    ctx = _ctx(session, knowledge, hostile=True)
    page = render_postmortem(ctx, fmt="html")
    assert "<script>" not in page and "<b>eve</b>" not in page and "<i>x</i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript' not in page
    tags = {t for t, _ in page_tags(page)}
    assert "script" not in tags and "b" not in tags and "i" not in tags
    # The Markdown metacharacters are printed as typed, not interpreted.
    text = page_text(page)
    assert "# not a heading | *bold* _em_ `code` [link](javascript:x) &amp; {{ jinja }}" in text
    assert page.count("<h1") == 1


def test_a_team_markdown_template_is_made_into_a_page_by_markdown_it(session, knowledge, tmp_path):
    (tmp_path / "mine.md.j2").write_text("# {{ header.title }}\n\nTeam words.\n", encoding="utf-8")
    ctx = _ctx(session, knowledge)
    page = render_postmortem(ctx, fmt="html", template=tmp_path / "mine.md.j2")
    assert "<p>Team words.</p>" in page and "Diagnosis path" not in page
