"""What a postmortem needs from the knowledge base, as small frozen records.

The report reads rules (title, failure mode, anti-pattern, fix, demand, linked causes), the
chapter-1 causes and the P0 incident records' rule lists. This module is the one place that
knows how to get them: from ``runbook.knowledge.load_knowledge`` when it is available, else by
reading the Markdown records (front matter plus ``##`` sections) directly, so a postmortem can
always be rendered. Section bodies are trusted Markdown (they carry the Go code).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runbook.report.context import Markdown

_SECTION = re.compile(r"^##\s+(.+?)\s*#*\s*$", re.MULTILINE)


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


def split_record(text: str) -> tuple[dict[str, Any], str]:
    """Front matter (YAML between ``---`` lines) and the Markdown body of a knowledge record."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            meta = yaml.safe_load(text[3:end]) or {}
            body = text[end + 4:].split("\n", 1)[1] if "\n" in text[end + 4:] else ""
            return (meta if isinstance(meta, dict) else {}), body
    return {}, text


def sections(body: str) -> dict[str, Markdown]:
    """``## Heading`` -> body, headings lower-cased (``anti-pattern``, ``fix`` ...), code fences respected."""
    out: dict[str, Markdown] = {}
    heads: list[tuple[str, int, int]] = []
    in_fence = False
    pos = 0
    for line in body.splitlines(keepends=True):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence:
            m = _SECTION.match(line.rstrip("\n"))
            if m:
                heads.append((m.group(1).strip().lower(), pos, pos + len(line)))
        pos += len(line)
    for i, (name, _start, content_start) in enumerate(heads):
        end = heads[i + 1][1] if i + 1 < len(heads) else len(body)
        out[name] = Markdown(body[content_start:end].strip())
    return out


def _flat(value: Any) -> str:
    return " ".join(str(value or "").split())


def _rule_from_file(path: Path) -> RuleInfo | None:
    meta, body = split_record(path.read_text(encoding="utf-8"))
    if not meta.get("id"):
        return None
    sec = sections(body)
    return RuleInfo(
        id=str(meta["id"]), title=_flat(meta.get("title")),
        failure_mode=Markdown(sec.get("failure mode") or _flat(meta.get("failure_mode"))),
        anti_pattern=sec.get("anti-pattern", Markdown("")), fix=sec.get("fix", Markdown("")),
        demand=_flat(meta.get("demand")), causes=tuple(str(c) for c in meta.get("causes") or ()),
        incident=str(meta.get("incident") or ""),
        conclusions=tuple(str(c) for c in meta.get("conclusions") or ()), path=path,
    )


def _cause_from_file(path: Path) -> CauseInfo | None:
    meta, body = split_record(path.read_text(encoding="utf-8"))
    if not meta.get("id"):
        return None
    first = next(iter(sections(body).values()), Markdown("")) or body.strip()
    text = _flat(meta.get("summary")) or first.split("\n\n")[0].strip()
    return CauseInfo(id=str(meta["id"]), title=_flat(meta.get("title")), summary=Markdown(text), path=path,
                     rules=tuple(str(r) for r in meta.get("rules") or ()))


def _incident_from_file(path: Path) -> KbIncidentInfo | None:
    meta, _body = split_record(path.read_text(encoding="utf-8"))
    if not meta.get("id"):
        return None
    return KbIncidentInfo(id=str(meta["id"]), title=_flat(meta.get("title")),
                          rules=tuple(str(r) for r in meta.get("rules") or ()), path=path,
                          causes=tuple(str(c) for c in meta.get("causes") or ()))


def read_knowledge(dirs: Iterable[Path]) -> KnowledgeView:
    """Rules, causes and P0 records from knowledge directories, through ``runbook.knowledge``."""
    dirs = [Path(d) for d in dirs]
    try:
        from runbook.knowledge import load_knowledge
    except ImportError:  # a trimmed install without the knowledge package: read the files directly
        return read_files(dirs)
    kb, _errors = load_knowledge(dirs)  # `runbook validate` reports the errors; a postmortem still renders
    return view_of(kb)


def view_of(kb: Any) -> KnowledgeView:
    """The report's view of a loaded ``runbook.knowledge.KnowledgeBase``."""
    rules = {
        rid: RuleInfo(
            id=rid, title=r.title, failure_mode=Markdown(r.section("Failure mode") or _flat(r.failure_mode)),
            anti_pattern=Markdown(r.section("Anti-pattern") or ""), fix=Markdown(r.section("Fix") or ""),
            demand=_flat(r.demand), causes=tuple(r.causes), incident=r.incident,
            conclusions=tuple(r.conclusions), path=r.path,
        )
        for rid, r in kb.rules.items()
    }
    causes = {}
    for cid, c in kb.causes.items():
        first = c.sections[0].markdown if c.sections else ""
        summary = _flat(c.meta.get("summary")) or first.strip().split("\n\n")[0].strip()
        causes[cid] = CauseInfo(id=cid, title=c.title, summary=Markdown(summary), path=c.path, rules=tuple(c.rules))
    incidents = {
        iid: KbIncidentInfo(id=iid, title=i.title, rules=tuple(i.rules), path=i.path, causes=tuple(i.causes))
        for iid, i in kb.incidents.items()
    }
    return KnowledgeView(rules=rules, causes=causes, incidents=incidents)


def read_files(dirs: Iterable[Path]) -> KnowledgeView:
    """The fallback reader: front matter and ``##`` sections of each record file."""
    rules: dict[str, RuleInfo] = {}
    causes: dict[str, CauseInfo] = {}
    incidents: dict[str, KbIncidentInfo] = {}
    for d in dirs:
        for sub, target, reader in (("rules", rules, _rule_from_file), ("causes", causes, _cause_from_file),
                                    ("p0", incidents, _incident_from_file)):
            for path in sorted((Path(d) / sub).glob("*.md")):
                try:
                    item = reader(path)
                except (OSError, yaml.YAMLError, UnicodeDecodeError):
                    continue  # `runbook validate` reports broken records; a postmortem still renders
                if item is not None:
                    target[item.id] = item
    return KnowledgeView(rules=rules, causes=causes, incidents=incidents)


def load_view(dirs: Iterable[Path] | None = None) -> KnowledgeView:
    """The configured knowledge base (shipped first, then the team's directories)."""
    if dirs is None:
        from runbook.config import load_settings

        dirs = load_settings().incident_dirs
    return read_knowledge(list(dirs))
