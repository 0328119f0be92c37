"""A postmortem reads the same wherever it is opened (#18): written in one directory from a third
one as working directory, read from another, every link resolves, and no export carries a path
of the machine that wrote it."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from runbook.cli import main
from runbook.record.db import connect, open_session
from tests.report.conftest import REPO
from tests.report.fixture_incident import build_fixture
from tests.report.mdread import parser

KNOWLEDGE_URL = "https://git.example.com/sre/runbook/-/blob/main/incidents"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for var in ("RUNBOOK_DB", "RUNBOOK_PLAYBOOKS", "RUNBOOK_INCIDENTS", "RUNBOOK_TEMPLATES", "RUNBOOK_KNOWLEDGE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RUNBOOK_CONFIG", str(tmp_path / "no-config.toml"))
    url = f"sqlite:///{tmp_path / 'record.db'}"
    engine = connect(url)
    with open_session(engine) as s:
        build_fixture(s)
    engine.dispose()
    return url


def _slug(text: str) -> str:
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def markdown_links(md: str) -> tuple[list[str], set[str]]:
    """Every link target of the document, and the anchors its headings have on a Git host
    (GitHub's slugs, ``-1`` for a repeated heading), read by a Markdown parser."""
    tokens = parser().parse(md)
    hrefs: list[str] = []
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            text = "".join(c.content for c in tokens[i + 1].children or () if c.type in ("text", "code_inline"))
            base = _slug(text)
            n = seen.get(base, 0)
            seen[base] = n + 1
            anchors.add(base if n == 0 else f"{base}-{n}")
        for child in tok.children or ():
            if child.type == "link_open":
                hrefs.append(str(child.attrGet("href")))
    return hrefs, anchors


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "href" and tag == "a":
                self.hrefs.append(value or "")
            if name == "id" and value:
                self.ids.add(value)


def html_links(page: str) -> tuple[list[str], set[str]]:
    p = _Page()
    p.feed(page)
    return p.hrefs, p.ids


def assert_resolved(hrefs: list[str], anchors: set[str], *, base_url: str = "") -> int:
    """Each target is an anchor of the same document or a knowledge record under ``base_url``."""
    assert hrefs, "the document has no links to check"
    for href in hrefs:
        if href.startswith("#"):
            assert href[1:] in anchors, f"{href}: no such anchor in the document"
        else:
            assert base_url and href.startswith(base_url + "/"), f"{href}: neither an anchor nor under knowledge_url"
            assert (REPO / "incidents" / href[len(base_url) + 1 :]).is_file(), f"{href}: no such knowledge record"
    return len(hrefs)


def _export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: str, argv: list[str], name: str) -> Path:
    """Export from an unrelated working directory into ``written/``, then move the file to ``moved/``."""
    elsewhere = tmp_path / "elsewhere" / "cwd"
    elsewhere.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(elsewhere)
    out = tmp_path / "written" / "deep" / name
    assert main([*argv, "--db", db, "-o", str(out)]) == 0
    moved = tmp_path / "moved" / name
    moved.parent.mkdir(exist_ok=True)
    shutil.move(out, moved)
    return moved


@pytest.mark.parametrize("argv", [["export", "2"], ["export", "--kb", "P0-1"]], ids=["incident", "kb"])
def test_embedded_links_resolve_after_the_file_moved(db, tmp_path, monkeypatch, capsys, argv):
    md = _export(tmp_path, monkeypatch, db, argv, "pm.md").read_text(encoding="utf-8")
    hrefs, anchors = markdown_links(md)
    assert assert_resolved(hrefs, anchors) >= 3
    assert "## Appendix: knowledge referenced" in md and "#### Fix" in md.split("knowledge referenced")[1]
    page = _export(tmp_path, monkeypatch, db, argv, "pm.html").read_text(encoding="utf-8")
    hrefs, ids = html_links(page)
    assert assert_resolved(hrefs, ids) >= 3
    assert any(h.startswith("#rule-r1-") for h in hrefs)


def test_links_under_knowledge_url_name_existing_records(db, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RUNBOOK_KNOWLEDGE_URL", KNOWLEDGE_URL + "/")
    md = _export(tmp_path, monkeypatch, db, ["export", "2"], "pm.md").read_text(encoding="utf-8")
    hrefs, anchors = markdown_links(md)
    assert assert_resolved(hrefs, anchors, base_url=KNOWLEDGE_URL) >= 3
    assert f"{KNOWLEDGE_URL}/rules/R1.md" in hrefs and f"{KNOWLEDGE_URL}/causes/C3.md" in hrefs
    assert "knowledge referenced" not in md  # linked, not embedded
    page = _export(tmp_path, monkeypatch, db, ["export", "2"], "pm.html").read_text(encoding="utf-8")
    hrefs, ids = html_links(page)
    assert assert_resolved(hrefs, ids, base_url=KNOWLEDGE_URL) >= 3


def test_knowledge_url_from_the_config_file(db, tmp_path, monkeypatch, capsys):
    config = tmp_path / "config.toml"
    config.write_text(f'knowledge_url = "{KNOWLEDGE_URL}"\n', encoding="utf-8")
    monkeypatch.setenv("RUNBOOK_CONFIG", str(config))
    assert main(["export", "2", "--db", db]) == 0
    assert f"]({KNOWLEDGE_URL}/rules/R1.md)" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
@pytest.mark.parametrize("argv", [["export", "2"], ["export", "--kb", "P0-2"]], ids=["incident", "kb"])
def test_no_export_names_a_path_of_the_machine(db, tmp_path, monkeypatch, capsys, fmt, argv):
    out = _export(tmp_path, monkeypatch, db, [*argv, "--format", fmt], f"pm.{fmt}")
    text = out.read_text(encoding="utf-8")
    machine = {str(tmp_path), str(Path.home()), str(REPO), str(REPO.parent), "/tmp/", "../"}
    found = [p for p in machine if p in text]
    assert found == [], f"{out.name} names {found}"


@pytest.mark.parametrize("kb_id", ["P0-1", "P0-2", "P0-3"])
def test_every_knowledge_record_example_resolves_embedded(kb_id, knowledge, library):
    from runbook.report import render_postmortem
    from runbook.report.from_knowledge import context_from_kb

    ctx = context_from_kb(kb_id, knowledge=knowledge, library=library)
    assert {r.record_id for r in ctx.references} >= set(knowledge.incidents[kb_id].rules)
    assert assert_resolved(*markdown_links(render_postmortem(ctx))) >= len(knowledge.incidents[kb_id].rules) * 2
    assert assert_resolved(*html_links(render_postmortem(ctx, fmt="html"))) >= 2
