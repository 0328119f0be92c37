"""Arbitrary or mangled Markdown gives a playbook or our own PlaybookError, never another exception."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbook.errors import PlaybookError
from runbook.playbook.library import Library
from runbook.playbook.parser import parse_playbook
from runbook.playbook.validate import validate_library

EXAMPLE = (Path(__file__).parent / "data" / "example.md").read_text()
LINES = EXAMPLE.splitlines(keepends=True)

FRAGMENTS = [
    "---\n",
    "id: x\n",
    "title: t\n",
    "start: a\n",
    "## A {#a}\n",
    "## {#}\n",
    "{#b}\n",
    "## B {#b}\n",
    "- [x](#a)\n",
    '- [y](other#b "loop")\n',
    "- [](#)\n",
    "```check\n",
    "```conclusion\n",
    "```\n",
    "type: etcd_lease_keepalive\n",
    "params: {url: '{{ u }}'}\n",
    "verdicts: {ok: a, fail: [1]}\n",
    "rules: R1\n",
    "rules: [R1, 2]\n",
    "fix: [1, 2]\n",
    "actions: [{text: t, type: odd}]\n",
    "timeout: -1\n",
    "variables: [{name: 1}]\n",
    "  - nested\n",
    "\t\n",
    "{{ unclosed\n",
    "* [a](#a)\n",
    "1. [n](#a)\n",
    "> [q](#a)\n",
    "| a | b |\n",
    "---\nid: [\n---\n",
    "\x00\n",
    "\ufeff",
    "## A {#A B}\n",
]


def _check(text: str) -> None:
    try:
        pb, errors = parse_playbook(Path("fuzz.md"), text)
    except PlaybookError:
        return
    assert all(isinstance(e, PlaybookError) for e in errors)
    if pb is not None:
        lib = Library(playbooks={pb.id: pb}, errors=list(errors))
        for e in validate_library(lib, known_rules={"R1"}):
            assert isinstance(e, PlaybookError)
            assert e.line >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_arbitrary_text(text):
    _check(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40))
def test_playbook_shaped_fragments(parts):
    _check("".join(parts))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mangled_example(data):
    lines = list(LINES)
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["drop", "dup", "swap", "insert", "truncate"]))
        i = data.draw(st.integers(0, len(lines) - 1)) if lines else 0
        if not lines:
            break
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, data.draw(st.sampled_from(FRAGMENTS)))
        else:
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
    _check("".join(lines))
