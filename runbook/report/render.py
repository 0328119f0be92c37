"""Render a :class:`PostmortemContext` to Markdown with Jinja2, safely.

Every template, the shipped one and a team's own, runs in Jinja2's immutable sandbox:
no attribute starting with ``_`` (so no ``''.__class__.__mro__`` walk to ``os``), no
mutation of the context, no file or process access; ``{% include %}`` and ``{% extends %}``
reach only the template directories given here. Undefined names are errors
(``StrictUndefined``), so a typo in a team template is reported rather than printed as
nothing.

Escaping is on by default and Markdown-aware: ``finalize`` escapes every printed plain string
as inline Markdown text, and only :class:`~runbook.report.context.Markdown` values (trusted
knowledge-base Markdown, or the output of the escaping filters) pass through untouched. A
template that forgets a filter therefore prints user text as text, never as Markdown or HTML.

Every Jinja error becomes a :class:`TemplateError` reading ``file:line: what is wrong``.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from pathlib import Path
from urllib.parse import quote

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    Undefined,
)
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from runbook.errors import RunbookError
from runbook.report import context
from runbook.report.context import Markdown, PostmortemContext
from runbook.report.escape import OTHER_WHITESPACE, demote_headings, md_block, md_cell, md_code, md_fence, md_inline
from runbook.report.rows import diagnosis_items, note_items, timeline_rows

#: The shipped template; also reachable as ``runbook/postmortem.md.j2`` from a team template.
DEFAULT_TEMPLATE = "postmortem.md.j2"


class TemplateError(RunbookError):
    """A postmortem template could not be loaded or rendered."""

    title = "Template error"


def _finalize(value: object) -> object:
    """Escape whatever a template prints unless it is already Markdown."""
    if isinstance(value, Markdown | Undefined):
        return value  # an Undefined is returned so Jinja raises the undefined-name error itself
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    return md_inline(value)


def _demote(text: object, levels: int = 1) -> Markdown:
    # Only trusted Markdown keeps its syntax; user text handed to this filter is escaped first.
    return demote_headings(text if isinstance(text, Markdown) else md_block(text), levels)


_SAFE_SCHEMES = ("http", "https", "mailto")


def _url(link: object) -> Markdown:
    """A link target: spaces, parentheses and angle brackets percent-encoded; only relative
    links and http(s)/mailto survive (a ``javascript:`` link in a team template becomes ``#``)."""
    text = str(link or "").strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text.split("/", 1)[0] else ""
    if scheme and scheme not in _SAFE_SCHEMES:
        return Markdown("#")
    return Markdown(quote(text, safe="/:#?&=.-_~%+@!$,;*'"))


#: The context's own frozen dataclasses: their public fields are plain data, safe to read.
_CONTEXT_TYPES = frozenset(
    obj for obj in vars(context).values() if isinstance(obj, type) and dataclasses.is_dataclass(obj)
)


class PostmortemSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with a fast path for reading the context's dataclass fields.

    A team template looping over a 10,000-line timeline reads ~80,000 attributes (the shipped
    one builds those rows in Python: ``timeline_rows``); the generic safety test (internal
    attribute? known mutable?) dominated rendering. Context fields are data by construction,
    so a public field of a context dataclass is allowed at once; everything else takes the
    sandbox's full check.
    """

    def is_safe_attribute(self, obj: object, attr: str, value: object) -> bool:
        if type(obj) in _CONTEXT_TYPES and not attr.startswith("_") and attr in _FIELDS[type(obj)]:
            return True
        return super().is_safe_attribute(obj, attr, value)


_FIELDS: dict[type[object], frozenset[str]] = {
    t: frozenset(f.name for f in dataclasses.fields(t)) for t in _CONTEXT_TYPES
}


def make_environment(search_dirs: Sequence[Path] = ()) -> ImmutableSandboxedEnvironment:
    """A sandboxed environment that finds templates in ``search_dirs``, then the shipped ones."""
    shipped = PackageLoader("runbook.report", "templates")
    loaders = [_TeamLoader([str(d) for d in search_dirs])] if search_dirs else []
    loader = ChoiceLoader([*loaders, PrefixLoader({"runbook": shipped}), shipped])
    env = PostmortemSandbox(
        loader=loader,
        undefined=StrictUndefined,
        finalize=_finalize,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=md_inline,
        block=md_block,
        cell=md_cell,
        code=md_code,
        code_cell=partial(md_code, cell=True),
        fence=md_fence,
        demote=_demote,
        url=_url,
        timeline_rows=timeline_rows,
        diagnosis_items=diagnosis_items,
        note_items=note_items,
    )
    return env


class _TeamLoader(FileSystemLoader):
    """A team's template directory, reloaded whenever a file's *content* changes.

    The environments are cached, and Jinja's own freshness test compares modification times,
    which a file rewritten within the file system's timestamp granularity does not change:
    a team editing a template (or a test rewriting one) would get the old compiled version.
    """

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)

        def unchanged() -> bool:
            try:
                return uptodate() and Path(filename).read_bytes().decode(self.encoding) == source
            except OSError:
                return False

        return source, filename, unchanged


@lru_cache(maxsize=32)
def cached_environment(search_dirs: tuple[Path, ...] = ()) -> ImmutableSandboxedEnvironment:
    """One environment per tuple of template directories, so each template is compiled once
    per process (the shipped one takes ~40 ms to compile) rather than once per document."""
    return make_environment(search_dirs)


def template_variables(ctx: PostmortemContext) -> dict[str, object]:
    """What a template sees: ``pm`` (the whole context) and each section by its own name."""
    fields = {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx)}
    return {"pm": ctx, **fields}


def resolve_template(template: str | Path | None, templates_dir: Path | None) -> tuple[list[Path], str]:
    """Search directories and template name for ``--template`` (a path, or a name in the team dir).

    Without ``template``, a team's ``postmortem.md.j2`` in ``templates_dir`` wins over the shipped one.
    """
    team = [templates_dir] if templates_dir and templates_dir.is_dir() else []
    if template is None:
        return team, DEFAULT_TEMPLATE
    path = Path(template).expanduser()
    if path.is_file():
        return [path.resolve().parent, *team], path.name
    if team and (team[0] / str(template)).is_file():
        return team, str(template)
    where = f" (nor in the templates directory {templates_dir})" if templates_dir else ""
    raise TemplateError(f"{template}: no such template file{where}")


def render_markdown(
    ctx: PostmortemContext, *, template: str | Path | None = None, templates_dir: Path | None = None
) -> str:
    """The postmortem as Markdown, through ``template`` (default: the team's or the shipped one)."""
    dirs, name = resolve_template(template, templates_dir)
    return render_with(cached_environment(tuple(dirs)), name, ctx)


def render_with(env: ImmutableSandboxedEnvironment, name: str, ctx: PostmortemContext) -> str:
    try:
        tmpl = env.get_template(name)
        text = tmpl.render(template_variables(ctx))
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"{exc.filename or exc.name or name}:{exc.lineno}: template syntax error: {exc.message}"
        ) from None
    except TemplateNotFound as exc:
        raise TemplateError(f"{name}: template not found: {exc.name}") from None
    except SecurityError as exc:
        raise TemplateError(f"{_where(exc, name)}: not allowed in a postmortem template (sandbox): {exc}") from None
    except JinjaTemplateError as exc:
        raise TemplateError(f"{_where(exc, name)}: {exc.message or type(exc).__name__}") from None
    except RunbookError:
        raise
    except Exception as exc:
        raise TemplateError(f"{_where(exc, name)}: template failed: {type(exc).__name__}: {exc}") from None
    return _tidy(text)


def _where(exc: BaseException, name: str) -> str:
    """``file:line`` of the innermost template frame (Jinja maps frames to template lines)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if not frame.filename.endswith(".py") and frame.lineno:
            return f"{frame.filename}:{frame.lineno}"
    return name


def _first_fence_line(text: str) -> int:
    """Where the first line that may open a code fence starts (``len(text)`` if none does)."""
    first = len(text)
    for mark in ("```", "~~~"):
        at = text.find(mark)
        while 0 <= at < first:
            start = text.rfind("\n", 0, at) + 1
            if not text[start:at].strip():
                first = start
                break
            at = text.find(mark, at + 1)
    return first


#: Whitespace a line may not end in, besides the space (the newline ends lines).
_OTHER_WHITESPACE = OTHER_WHITESPACE


def _plain(head: str) -> bool:
    """No line of ``head`` ends in whitespace: no space before a newline or at the end, and no
    other whitespace anywhere (a one-character ``in`` is a ``memchr``, and is false at once for a
    character above the text's widest; ``isprintable`` looked up every character)."""
    return " \n" not in head and not head.endswith(" ") and not any(ch in head for ch in _OTHER_WHITESPACE)


def _tidy(text: str) -> str:
    """At most one blank line in a row and exactly one newline at the end (outside code fences).

    The part before the first fence (header, timeline, diagnosis path: nearly all of a large
    document) is tidied with string operations when it has no trailing whitespace to strip, which
    the rows built in Python never have: its blank-line runs collapsed in place, never split into
    lines; the rest line by line.
    """
    cut = _first_fence_line(text)
    head = text[:cut]
    body: str | None = None  # the tidy whole lines before the first fence line, if any
    tail = text
    previous_blank = False  # whether the last line kept so far is blank
    if "\n" in head and _plain(head):
        while "\n\n\n" in head:
            head = head.replace("\n\n\n", "\n\n")
        nl = head.rfind("\n")
        body = head[:nl]
        tail = head[nl + 1 :] + text[cut:]  # the start of the first fence line (or the text's last line)
        previous_blank = not body[body.rfind("\n") + 1 :]  # plain: a blank line is an empty one
    out: list[str] = []
    fence: str | None = None
    for line in tail.split("\n"):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            mark = stripped[: len(stripped) - len(stripped.lstrip(stripped[0]))]
            if fence is None:
                fence = mark
            elif mark.startswith(fence) and not stripped.strip(stripped[0]):
                fence = None
        if fence is None and not stripped and previous_blank and (out or body is not None):
            continue
        kept = line.rstrip() if fence is None else line
        out.append(kept)
        previous_blank = not kept.strip()
    if body is not None:
        out.insert(0, body)
    # ``"\n".join(out).strip("\n") + "\n"``, copying the document once rather than three times.
    while out and not out[-1]:
        out.pop()
    if out and out[-1].endswith("\n"):  # only the body holds newlines
        out[-1] = out[-1].rstrip("\n")
    out.append("")
    doc = "\n".join(out)
    if doc.startswith("\n"):
        doc = doc.lstrip("\n")
    return doc or "\n"
