"""Property tests for splitting record files: any text gives a Document or a DocumentError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from runbook.knowledge.document import DocumentError, parse_document

_markdownish = st.lists(
    st.sampled_from(
        [
            "---",
            "# T",
            "## A",
            "## B",
            "### c",
            "id: x",
            "title: y",
            "- a",
            "```go",
            "```",
            "| a | b |",
            "|---|---|",
            "text",
            "",
            "key: [",
            "\t",
            "{#x}",
        ]
    ),
    max_size=30,
).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), _markdownish))
def test_any_text_splits_or_fails_cleanly(text):
    try:
        doc = parse_document(text)
    except DocumentError as exc:
        assert exc.line >= 1 and exc.problem
        return
    assert isinstance(doc.meta, dict)
    n_lines = len(text.splitlines()) + 1
    for section in doc.sections:
        assert 1 <= section.line <= n_lines
        assert section.title == section.title.strip()
    for key, line in doc.key_lines.items():
        assert key in doc.meta and 2 <= line <= n_lines


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet="abcdefghij klm", min_size=1, max_size=12).map(str.strip).filter(bool),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    st.lists(st.text(alphabet="xyz .", max_size=30), min_size=6, max_size=6),
)
def test_sections_round_trip(titles, bodies):
    text = "---\nid: X\ntitle: T\n---\n\n# X\n\n" + "".join(
        f"## {t}\n\n{b.strip() or 'p'}\n\n" for t, b in zip(titles, bodies, strict=False)
    )
    doc = parse_document(text)
    assert [s.title for s in doc.sections] == titles
    for section, body in zip(doc.sections, bodies, strict=False):
        assert section.markdown == (body.strip() or "p")
        assert text.splitlines()[section.line - 1] == f"## {section.title}"
