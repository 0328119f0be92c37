"""The rendering fast paths give exactly what the slow, obvious versions gave, and stay safe.

- ``timeline_rows`` and ``diagnosis_items`` (built in Python) == the Jinja loops they replaced, for any text;
- ``md_inline_many`` (one pass over all cells) == ``md_inline`` cell by cell;
- the chained-replace escaping == the one-regex definition of what is escaped;
- cached environments still see a team template rewritten within the same timestamp;
- the filter reads only timeline lines, so it opens no way around the sandbox.
"""

from __future__ import annotations

import os
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook.report import TemplateError, render_postmortem
from runbook.report.context import Citation, DiagnosisStep, Note, TimelineEntry
from runbook.report.escape import _CONTROL, _FOLDED, _escape_chars, md_inline, md_inline_many
from runbook.report.from_knowledge import context_from_kb
from runbook.report.render import _OTHER_WHITESPACE, _tidy, make_environment

#: The loop the shipped template had before ``timeline_rows`` (kept in its comment).
LOOP = (
    "{% for t in timeline %}\n"
    "| {{ t.at | cell }} | {{ t.author | cell }}{% if t.automatic %} (auto){% endif %} | {% if t.undone %}~~"
    "{{ t.text | cell }}~~ (undone){% else %}{{ t.text | cell }}{% endif %} | {% if t.citation %}"
    "{{ t.citation.check_type | code_cell }} **{{ t.citation.verdict | cell }}**{% if t.citation.key_figure %} "
    "{{ t.citation.key_figure | code_cell }}{% endif %}, {% endif %}{{ t.source | cell }} |\n"
    "{% endfor %}"
)
HOSTILE = st.text(alphabet=st.sampled_from(list("\\`*_[]<>#|~&!-+=1.)( \n\r\tab_é{}%\x00")), max_size=25)
CITATIONS = st.none() | st.builds(Citation, HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE)
LINES = st.builds(
    TimelineEntry,
    at=HOSTILE,
    kind=st.just("note"),
    author=HOSTILE,
    text=HOSTILE,
    source=HOSTILE,
    citation=CITATIONS,
    automatic=st.booleans(),
    undone=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES, max_size=4))
def test_timeline_rows_equal_the_template_loop(lines):
    env = make_environment()
    loop = env.from_string(LOOP).render(timeline=tuple(lines))
    fast = env.from_string("{{ timeline | timeline_rows }}\n").render(timeline=tuple(lines))
    assert fast == (loop if lines else "\n")


_ONE_REGEX = re.compile(r"[\\`*\[\]<>#|~&]|(?<![^\W_])_|_(?![^\W_])")


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("\\`*[]<>#|~&_ a1é-ß")) | st.characters(), max_size=30))
def test_escaping_equals_the_one_regex_definition(text):
    assert _escape_chars(text) == _ONE_REGEX.sub(r"\\\g<0>", text)


@pytest.fixture(scope="module")
def ctx(knowledge):
    return context_from_kb("P0-3", knowledge=knowledge)


def test_the_filter_reads_only_timeline_lines(tmp_path, ctx):
    path = tmp_path / "team.md.j2"
    path.write_text("{{ [header] | timeline_rows }}\n", encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        render_postmortem(ctx, template=path)
    assert info.value.message == (
        f"{path}:1: template failed: TypeError: timeline_rows takes the timeline's lines, not Header"
    )


def test_a_rewritten_team_template_is_used_even_with_the_same_mtime(tmp_path, ctx):
    path = tmp_path / "team.md.j2"
    path.write_text("first {{ header.ref }}\n", encoding="utf-8")
    stamp = os.stat(path).st_mtime_ns
    assert render_postmortem(ctx, template=path) == "first P0-3\n"
    path.write_text("second {{ header.ref }}\n", encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))  # as if rewritten within the file system's timestamp granularity
    assert render_postmortem(ctx, template=path) == "second P0-3\n"


#: The loop the shipped template had before ``diagnosis_items`` (kept in its comment).
DIAGNOSIS_LOOP = """{% for s in diagnosis %}
{% set node = s.playbook_id ~ "#" ~ s.node_id %}
- {% if s.undone %}~~Step {{ s.seq }}: {{ node | code }}~~ (undone: kept for the record, not part of the path){% else %}Step {{ s.seq }}: {{ node | code }}{% endif %}{% if s.entered %} at {{ s.entered }}{% endif %}{% if s.author %} ({{ s.author }}){% endif +%}
{% for c in s.verdicts %}
  - check {{ c.check_type | code }}: **{{ c.verdict }}**{% if c.key_figure %} ({{ c.key_figure | code }}){% endif %}{% if c.summary %}: {{ c.summary }}{% endif +%}
{% endfor %}
{% for n in s.notes %}
  - {{ n.text }}{% if n.author %} ({{ n.author }}){% endif %}{% if s.undone %}: written before the undo, still evidence{% endif +%}
{% endfor %}
{% if s.conclusion or s.rules %}
  - {% if s.undone %}conclusion reached, then taken back{% else %}conclusion reached{% endif %}: {{ s.conclusion }}{% if s.rules %} (rules: {{ s.rules | join(", ") }}){% endif +%}
{% endif %}
{% if s.choice %}
  - {% if s.automatic %}the check verdict chose{% else %}the responder chose{% endif %} "{{ s.choice }}"{% if s.next_node_id %}, next {{ s.next_node_id | code }}{% endif +%}
{% endif %}
{% endfor %}
"""
STEPS = st.builds(
    DiagnosisStep,
    seq=st.integers(1, 99),
    playbook_id=HOSTILE,
    node_id=HOSTILE,
    entered=HOSTILE,
    choice=HOSTILE,
    next_node_id=HOSTILE,
    automatic=st.booleans(),
    author=HOSTILE,
    undone=st.booleans(),
    verdicts=st.lists(st.builds(Citation, HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE), max_size=2).map(tuple),
    conclusion=HOSTILE,
    rules=st.lists(HOSTILE, max_size=2).map(tuple),
    notes=st.lists(st.builds(Note, HOSTILE, HOSTILE, HOSTILE), max_size=2).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(STEPS, max_size=3))
def test_diagnosis_items_equal_the_template_loop(steps):
    env = make_environment()
    loop = env.from_string(DIAGNOSIS_LOOP).render(diagnosis=tuple(steps))
    fast = env.from_string("{{ diagnosis | diagnosis_items }}\n").render(diagnosis=tuple(steps))
    assert fast == (loop if steps else "\n")


@settings(max_examples=500, deadline=None)
@given(st.lists(HOSTILE | st.characters().map(str), max_size=8))
def test_bulk_escaping_equals_one_cell_at_a_time(texts):
    assert md_inline_many(texts) == [md_inline(t) for t in texts]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("`*_[]<>#|~&-+=1.) ab")), max_size=20), max_size=8))
def test_bulk_escaping_of_single_line_cells(texts):
    """The fast path (no cell needs folding) against ``md_inline`` one by one."""
    texts = [" ".join(t.split()) for t in texts]
    assert md_inline_many(texts) == [md_inline(t) for t in texts]


NOTES_LOOP = (
    "{% for n in items %}\n"
    "- {{ n.text }}{% if n.author or n.at %} ({{ n.author }}{% if n.author and n.at %}, {% endif %}"
    "{{ n.at }}){% endif +%}\n"
    "{% endfor %}"
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.builds(Note, HOSTILE, HOSTILE, HOSTILE), max_size=4))
def test_note_items_equal_the_template_loop(notes):
    env = make_environment()
    loop = env.from_string(NOTES_LOOP).render(items=tuple(notes))
    fast = env.from_string("{{ items | note_items }}\n").render(items=tuple(notes))
    assert fast == (loop if notes else "\n")


def _tidy_line_by_line(text: str) -> str:
    """``_tidy``'s definition: every line right-stripped outside code fences, blank runs cut to one."""
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            mark = stripped[: len(stripped) - len(stripped.lstrip(stripped[0]))]
            if fence is None:
                fence = mark
            elif mark.startswith(fence) and not stripped.strip(stripped[0]):
                fence = None
        if fence is None and not stripped and out and not out[-1].strip():
            continue
        out.append(line.rstrip() if fence is None else line)
    return "\n".join(out).strip("\n") + "\n"


TIDY_TEXT = st.lists(
    st.sampled_from(["", " ", "a", "a ", "| b |", "```", "~~~", "````", "  ```x", "\t", "c\u3000", "\r", "é", "\x00"]),
    max_size=14,
).map("\n".join)


@settings(max_examples=1000, deadline=None)
@given(TIDY_TEXT | st.text(alphabet=st.sampled_from(list("a \n`~\t\u2028é")), max_size=30))
def test_tidy_equals_the_line_by_line_definition(text):
    assert _tidy(text) == _tidy_line_by_line(text)


def test_the_whitespace_tidy_looks_for_is_all_of_it():
    every = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace() and ch not in " \n")
    assert every == _OTHER_WHITESPACE


def test_the_characters_bulk_escaping_folds_are_all_of_them():
    """A cell holding any of them takes the folding path: whitespace (but the space and the
    newline, which are looked for otherwise) and the control characters ``md_inline`` drops."""
    every = {ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace() or _CONTROL.match(ch)} - {" ", "\n"}
    assert set(_FOLDED) == every


@pytest.mark.parametrize("cell", ["٣. x", "1٣. y", "-x", "3) z", "12345678901. q", "=", "a"])
def test_bulk_escaping_of_line_start_markers(cell):
    """A marker starts with an ASCII digit or sign, on any line of the joined cells (the first too)."""
    assert md_inline_many([cell, cell, cell]) == [md_inline(cell)] * 3
