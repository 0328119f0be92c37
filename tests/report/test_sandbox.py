"""Team templates run sandboxed: internals, files and processes are out of reach; errors are clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook.report import TemplateError, render_postmortem
from runbook.report.from_knowledge import context_from_kb
from tests.report.mdread import headings


@pytest.fixture(scope="module")
def ctx(knowledge):
    return context_from_kb("P0-3", knowledge=knowledge)


def _write(tmp_path: Path, text: str, name: str = "team.md.j2") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("source", "unsafe"),
    [
        ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe."),
        ("{{ cycler.__init__.__globals__ }}", "access to attribute '__init__' of 'type' object is unsafe."),
        (
            "{{ lipsum.__globals__['os'].system('id') }}",
            "access to attribute '__globals__' of 'function' object is unsafe.",
        ),
        ("{{ header.__class__.__init__ }}", "access to attribute '__init__' of 'StrictUndefined' object is unsafe."),
        (
            "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
            "access to attribute '__class__' of 'tuple' object is unsafe.",
        ),
        ("{{ pm.__dict__ }}", "access to attribute '__dict__' of 'PostmortemContext' object is unsafe."),
    ],
)
def test_hostile_template_is_a_sandbox_error(tmp_path, ctx, source, unsafe):
    path = _write(tmp_path, "ok line\n" + source + "\n")
    with pytest.raises(TemplateError) as info:
        render_postmortem(ctx, template=path)
    assert info.value.message == f"{path}:2: not allowed in a postmortem template (sandbox): {unsafe}"
    assert info.value.title == "Template error"


def test_nothing_can_be_mutated(tmp_path, ctx):
    # The context is frozen dataclasses and tuples; the immutable sandbox also refuses to
    # mutate anything a template builds itself.
    path = _write(tmp_path, "{% set d = dict() %}{{ d.update(a=1) }}")
    with pytest.raises(TemplateError) as info:
        render_postmortem(ctx, template=path)
    assert info.value.message.endswith(
        "not allowed in a postmortem template (sandbox): access to attribute 'update' of 'dict' object is unsafe."
    )


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../etc/passwd"])
def test_includes_cannot_reach_files_outside_the_template_dirs(tmp_path, ctx, target):
    path = _write(tmp_path, f"{{% include '{target}' %}}\n")
    with pytest.raises(TemplateError) as info:
        render_postmortem(ctx, template=path)
    assert info.value.message == f"team.md.j2: template not found: {target}"


def test_syntax_and_name_errors_say_file_and_line(tmp_path, ctx):
    path = _write(tmp_path, "# {{ header.title }}\n\n{% if %}\n")
    with pytest.raises(TemplateError) as info:
        render_postmortem(ctx, template=path)
    assert (
        info.value.message == f"{path}:3: template syntax error: Expected an expression, got 'end of statement block'"
    )
    path = _write(tmp_path, "# {{ header.title }}\n{{ headr.title }}\n")
    with pytest.raises(TemplateError) as info:
        render_postmortem(ctx, template=path)
    assert info.value.message == f"{path}:2: 'headr' is undefined"
    path = _write(tmp_path, "\n\n{{ 1 / 0 }}\n")
    with pytest.raises(TemplateError) as info:
        render_postmortem(ctx, template=path)
    assert info.value.message == f"{path}:3: template failed: ZeroDivisionError: division by zero"


def test_missing_template_file(tmp_path, ctx):
    with pytest.raises(TemplateError) as info:
        render_postmortem(ctx, template=tmp_path / "nope.j2", templates_dir=tmp_path / "team")
    assert (
        info.value.message
        == f"{tmp_path / 'nope.j2'}: no such template file (nor in the templates directory {tmp_path / 'team'})"
    )


def test_team_template_extends_the_shipped_one_and_user_text_stays_escaped(tmp_path, ctx):
    team = tmp_path / "team"
    team.mkdir()
    _write(
        team,
        '{% extends "runbook/postmortem.md.j2" %}\n{% block summary %}\n## Summary\n\n'
        "Team wording. {{ '<b># not a heading</b>' }}\n\n{% endblock %}\n",
        name="postmortem.md.j2",
    )
    md = render_postmortem(ctx, templates_dir=team)  # picked up from the templates directory by default
    assert "Team wording. \\<b\\>\\# not a heading\\</b\\>" in md
    assert [h for _, h in headings(md)][1:4] == ["Summary", "Impact", "Detection"]
    # and by name from that directory
    assert render_postmortem(ctx, template="postmortem.md.j2", templates_dir=team) == md


def test_a_forgotten_filter_still_escapes_and_demote_escapes_user_text(tmp_path, ctx):
    from runbook.report.context import Note

    hostile = "# x <script>"
    ctx2 = type(ctx)(**{**ctx.__dict__, "went_well": (Note(hostile),)})
    path = _write(tmp_path, "{% for n in went_well %}{{ n.text }}\n{{ n.text | demote(1) }}{% endfor %}\n")
    assert render_postmortem(ctx2, template=path) == "\\# x \\<script\\>\n\\# x \\<script\\>\n"


def test_unknown_format(ctx):
    with pytest.raises(TemplateError, match="unknown format 'pdf'"):
        render_postmortem(ctx, fmt="pdf")


def test_url_filter_keeps_only_safe_links(tmp_path, ctx):
    path = _write(
        tmp_path,
        "{% for u in ['https://x/a b', '../rules/R1.md', 'JavaScript:alert(1)', 'data:text/html,x',"
        " 'mailto:a@b'] %}[l]({{ u | url }})\n{% endfor %}",
    )
    assert render_postmortem(ctx, template=path) == (
        "[l](https://x/a%20b)\n[l](../rules/R1.md)\n[l](#)\n[l](#)\n[l](mailto:a@b)\n"
    )
