"""What a postmortem needs from the knowledge base, as small frozen records.

The report reads rules (title, failure mode, anti-pattern, fix, demand, linked causes), the
chapter-1 causes and the P0 incident records (front matter and sections). This module is the one
place that knows how to get them, from ``runbook.knowledge.load_knowledge``; broken records are
left out (``runbook validate`` reports them) so a postmortem can always be rendered. Section
bodies are trusted Markdown (they carry the Go code).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook.report.context import Markdown


@dataclass(frozen=True)
class RuleInfo:
    id: str
    title: str
    failure_mode: Markdown = Markdown("")
    anti_pattern: Markdown = Markdown("")
    fix: Markdown = Markdown("")
    demand: str = ""
    causes: tuple[str, ...] = ()
    incident: str = ""
    conclusions: tuple[str, ...] = ()
    """Playbook conclusion nodes (``playbook#node``) that end in this rule."""
    path: Path | None = None


@dataclass(frozen=True)
class CauseInfo:
    id: str
    title: str
    summary: Markdown = Markdown("")
    path: Path | None = None
    rules: tuple[str, ...] = ()
    """Rules this cause links to (the link may be written on either side)."""


@dataclass(frozen=True)
class KbIncidentInfo:
    id: str
    title: str
    rules: tuple[str, ...] = ()
    path: Path | None = None
    causes: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    """The record's front matter (severity, chapter, playbook, timeline ...)."""
    sections: Mapping[str, Markdown] = field(default_factory=dict)
    """``## Heading`` -> its Markdown, headings lower-cased (``summary``, ``action items`` ...)."""


@dataclass(frozen=True)
class KnowledgeView:
    rules: Mapping[str, RuleInfo] = field(default_factory=dict)
    causes: Mapping[str, CauseInfo] = field(default_factory=dict)
    incidents: Mapping[str, KbIncidentInfo] = field(default_factory=dict)


def relative_link(path: Path | None, base: Path | None) -> str:
    """A link to a knowledge record relative to where the document will live ('' without a base).

    A postmortem committed next to the knowledge base (or ``docs/examples/``) gets links that
    work on GitHub; a document elsewhere gets a path that works on the machine it was made on.
    """
    if path is None or base is None:
        return ""
    try:
        return os.path.relpath(path.resolve(), base.resolve()).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return path.resolve().as_posix()


def _flat(value: Any) -> str:
    return " ".join(str(value or "").split())


def read_knowledge(dirs: Iterable[Path]) -> KnowledgeView:
    """Rules, causes and P0 records from knowledge directories, through ``runbook.knowledge``."""
    from runbook.knowledge import load_knowledge

    kb, _errors = load_knowledge(
        [Path(d) for d in dirs]
    )  # `runbook validate` reports the errors; a postmortem still renders
    return view_of(kb)


def view_of(kb: Any) -> KnowledgeView:
    """The report's view of a loaded ``runbook.knowledge.KnowledgeBase``."""
    rules = {
        rid: RuleInfo(
            id=rid,
            title=r.title,
            failure_mode=Markdown(r.section("Failure mode") or _flat(r.failure_mode)),
            anti_pattern=Markdown(r.section("Anti-pattern") or ""),
            fix=Markdown(r.section("Fix") or ""),
            demand=_flat(r.demand),
            causes=tuple(r.causes),
            incident=r.incident,
            conclusions=tuple(r.conclusions),
            path=r.path,
        )
        for rid, r in kb.rules.items()
    }
    causes = {}
    for cid, c in kb.causes.items():
        first = c.sections[0].markdown if c.sections else ""
        summary = _flat(c.meta.get("summary")) or first.strip().split("\n\n")[0].strip()
        causes[cid] = CauseInfo(id=cid, title=c.title, summary=Markdown(summary), path=c.path, rules=tuple(c.rules))
    incidents = {
        iid: KbIncidentInfo(
            id=iid,
            title=i.title,
            rules=tuple(i.rules),
            path=i.path,
            causes=tuple(i.causes),
            meta=dict(i.meta),
            sections={sec.title.lower(): Markdown(sec.markdown.strip()) for sec in i.sections},
        )
        for iid, i in kb.incidents.items()
    }
    return KnowledgeView(rules=rules, causes=causes, incidents=incidents)


def load_view(dirs: Iterable[Path] | None = None) -> KnowledgeView:
    """The configured knowledge base (shipped first, then the team's directories)."""
    if dirs is None:
        from runbook.config import load_settings

        dirs = load_settings().incident_dirs
    return read_knowledge(list(dirs))
