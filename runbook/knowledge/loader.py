"""Loading the knowledge base from ``incidents/`` directories.

The directory a file sits in says what it is: ``rules/`` (R1..R12), ``p0/`` (incident
postmortems), ``causes/`` (chapter 1) and ``governance/`` (chapter 5). ``drills/`` belongs to
the drill scenarios and is skipped here. Each file is loaded on its own: a broken file
contributes ``path:line`` errors and never stops the others from loading.

A team's incidents directory may call its postmortems ``postmortems/`` (the team's own
incidents) as well as ``p0/``. The directories are layers, like the playbook directories: a
later directory's record replaces an earlier one's of the same kind and id (a team corrects a
shipped rule by keeping its own copy), and ``KnowledgeBase.origins`` says which file won and
what it replaced. The same file reached twice is loaded once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from runbook.errors import PlaybookError
from runbook.knowledge.document import Document, DocumentError, code_blocks, parse_document, table_rows
from runbook.knowledge.model import (
    INCIDENT_SECTIONS,
    RULE_ID,
    RULE_SECTIONS,
    IncidentRecord,
    KnowledgeBase,
    PostmortemAction,
    Record,
    RecordOrigin,
    Rule,
    RuleCheck,
)

#: Directory name -> kind of record it holds.
KIND_DIRS = {
    "rules": "rule",
    "p0": "incident",
    "postmortems": "incident",
    "causes": "cause",
    "governance": "governance",
}
#: Directories that hold other things (drill scenarios) and are not knowledge records.
SKIP_DIRS = {"drills"}
ACTION_TYPES = ("mitigate", "prevent")


def knowledge_files(paths: Iterable[Path]) -> list[tuple[str, Path]]:
    """(kind, file) for every record under the given incident directories (or files)."""
    out: list[tuple[str, Path]] = []
    for base in paths:
        if base.is_file():
            kind = KIND_DIRS.get(base.parent.name)
            if kind:
                out.append((kind, base))
            continue
        if not base.is_dir():
            continue
        if base.name in KIND_DIRS:  # pointed straight at incidents/rules
            dirs = [(KIND_DIRS[base.name], base)]
        else:
            dirs = [(kind, base / name) for name, kind in KIND_DIRS.items()]
        for kind, d in dirs:
            if d.is_dir() and d.name not in SKIP_DIRS:
                out += [(kind, f) for f in sorted(d.glob("*.md")) if f.name.lower() != "readme.md"]
    return out


class _FileErrors:
    """Collects errors for one file with its path filled in."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.items: list[PlaybookError] = []

    def add(self, line: int, problem: str) -> None:
        self.items.append(PlaybookError(self.path, line, problem))


def load_knowledge(dirs: Sequence[Path]) -> tuple[KnowledgeBase, list[PlaybookError]]:
    """Load every record under ``dirs``, each directory a layer over the ones before it.

    A later layer's record replaces an earlier layer's of the same kind and id; the same id twice
    in one layer, or for two kinds of record, is an error and the first one wins.
    """
    kb = KnowledgeBase()
    errors: list[PlaybookError] = []
    seen: dict[str, tuple[str, RecordOrigin]] = {}
    files: set[Path] = set()
    for layer, base in enumerate(dirs):
        for kind, path in knowledge_files([base]):
            key = path.resolve()
            if key in files:
                continue
            files.add(key)
            record, errs = load_record(kind, path)
            errors += errs
            if record is None:
                continue
            origin = RecordOrigin(path=path, root=base, layer=layer)
            if record.id in seen:
                earlier_kind, earlier = seen[record.id]
                if earlier.layer == layer or earlier_kind != kind:
                    errors.append(
                        PlaybookError(
                            str(path),
                            record.line_of("id"),
                            f"record id '{record.id}' is already used by {earlier.path}; give this record its own id",
                        )
                    )
                    continue
                origin = replace(origin, overrides=(earlier.path, *earlier.overrides))
            seen[record.id] = (kind, origin)
            kb.origins[record.id] = origin
            target = {"rule": kb.rules, "incident": kb.incidents, "cause": kb.causes, "governance": kb.governance}[kind]
            # load_record builds the record type of its kind (a Rule for "rule"...): mypy sees only
            # the union of the four maps
            target[record.id] = record  # type: ignore[index]
    return kb, errors


def load_record(kind: str, path: Path) -> tuple[Record | None, list[PlaybookError]]:
    """One file -> its record (None when it cannot be used) and the problems found in it."""
    err = _FileErrors(path)
    try:
        doc = parse_document(path.read_text(encoding="utf-8"))
    except OSError as exc:
        err.add(1, f"cannot read the file ({exc.strerror}); check its permissions")
        return None, err.items
    except UnicodeDecodeError:
        err.add(1, "the file is not UTF-8 text; save it as UTF-8")
        return None, err.items
    except DocumentError as exc:
        err.add(exc.line, exc.problem)
        return None, err.items
    fields = _common(doc, path, err)
    if fields is None:
        return None, err.items
    if kind == "rule":
        record: Record = _rule(doc, fields, err)
    elif kind == "incident":
        record = _incident(doc, fields, err)
    else:
        record = Record(kind=str(doc.meta.get("kind") or kind), **fields)
    return record, err.items


def _common(doc: Document, path: Path, err: _FileErrors) -> dict[str, Any] | None:
    meta = doc.meta
    for key in ("id", "title"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            err.add(doc.key_lines.get(key, 1), f"front matter: '{key}' is missing or not a string; add {key}: ...")
    if err.items:
        return None
    rid = meta["id"].strip()
    if rid != path.stem:
        err.add(
            doc.key_lines["id"],
            f"id '{rid}' differs from the file name '{path.name}'; name the file {rid}.md or change the id",
        )
    return {
        "id": rid,
        "title": meta["title"].strip(),
        "path": path,
        "body": doc.body,
        "sections": doc.sections,
        "rules": _id_list(doc, "rules", err),
        "incidents": _id_list(doc, "incidents", err),
        "meta": dict(meta),
        "key_lines": dict(doc.key_lines),
    }


def _id_list(doc: Document, key: str, err: _FileErrors, *, required: bool = False) -> tuple[str, ...]:
    value = doc.meta.get(key)
    line = doc.key_lines.get(key, 1)
    if value is None:
        if required:
            err.add(line, f"front matter: '{key}' is missing; add {key}: [...]")
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        err.add(line, f"front matter: '{key}' must be a list of ids, e.g. {key}: [R1, R2]")
        return ()
    return tuple(v.strip() for v in value)


def _text(doc: Document, key: str, err: _FileErrors, *, required: bool = True) -> str:
    value = doc.meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            err.add(doc.key_lines.get(key, 1), f"front matter: '{key}' is missing; add {key}: ...")
        return ""
    if not isinstance(value, (str, int, float)):
        err.add(doc.key_lines.get(key, 1), f"front matter: '{key}' must be text")
        return ""
    return str(value).strip()


def _require_sections(doc: Document, wanted: tuple[str, ...], err: _FileErrors) -> None:
    have = {s.title.lower() for s in doc.sections}
    for title in wanted:
        if title.lower() not in have:
            err.add(doc.body_line, f"section '## {title}' is missing; add it (sections: {', '.join(wanted)})")


def _rule(doc: Document, fields: dict[str, Any], err: _FileErrors) -> Rule:
    if not RULE_ID.fullmatch(fields["id"]):
        err.add(
            doc.key_lines.get("id", 1),
            f"rule id '{fields['id']}' is not a rule id; use capitals and digits ending in a number "
            "(R13, TEAM-1, PAY12)",
        )
    _require_sections(doc, RULE_SECTIONS, err)
    for title in ("Anti-pattern", "Fix"):
        sec = next((s for s in doc.sections if s.title.lower() == title.lower()), None)
        if sec is not None and not code_blocks(sec, "go"):
            err.add(sec.line, f"section '{title}' has no Go code block; add the code in a ```go fence")
    checks = _rule_checks(doc, err)
    return Rule(
        kind="rule",
        incident=_text(doc, "incident", err),
        section_ref=_text(doc, "section", err, required=False),
        failure_mode=_text(doc, "failure_mode", err),
        demand=_text(doc, "demand", err, required=False),
        checks=checks,
        conclusions=_id_list(doc, "conclusions", err, required=True),
        causes=_id_list(doc, "causes", err, required=True),
        **fields,
    )


def _rule_checks(doc: Document, err: _FileErrors) -> tuple[RuleCheck, ...]:
    raw = doc.meta.get("checks")
    line = doc.key_lines.get("checks", 1)
    if not isinstance(raw, list) or not raw:
        err.add(
            line,
            "front matter: 'checks' must list at least one check that confirms the rule live, e.g. - type: etcd_lease_keepalive",
        )
        return ()
    out = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            err.add(line, f"front matter: checks item {i} needs 'type' (a check type from 'runbook checks')")
            continue
        params = item.get("params") or {}
        if not isinstance(params, dict):
            err.add(line, f"front matter: checks item {i} ('{item['type']}'): 'params' must be a mapping")
            continue
        out.append(RuleCheck(type=item["type"], params=dict(params)))
    return tuple(out)


def _incident(doc: Document, fields: dict[str, Any], err: _FileErrors) -> IncidentRecord:
    _require_sections(doc, INCIDENT_SECTIONS, err)
    severity = _text(doc, "severity", err)
    rules = _id_list(doc, "rules", err, required=True)
    fields["rules"] = rules
    return IncidentRecord(
        kind="incident",
        severity=severity,
        summary=_text(doc, "summary", err, required=False),
        causes=_id_list(doc, "causes", err),
        playbook=_text(doc, "playbook", err),
        timeline=_text(doc, "timeline", err, required=False),
        actions=_actions(doc, err),
        **fields,
    )


def _actions(doc: Document, err: _FileErrors) -> tuple[PostmortemAction, ...]:
    sec = next((s for s in doc.sections if s.title.lower() == "action items"), None)
    if sec is None:
        return ()
    rows = table_rows(sec)
    if not rows:
        err.add(sec.line, "section 'Action items' has no table; add | action | type | owner | rows")
        return ()
    out = []
    for line, cells in rows:
        if len(cells) < 3 or not cells[0]:
            err.add(line, "action item row needs three cells: | action | type | owner |")
            continue
        text, kind, owner = cells[0], cells[1].lower(), cells[2]
        if kind not in ACTION_TYPES:
            err.add(line, f"action item type '{cells[1]}' is not one of: mitigate, prevent")
            continue
        if not owner:
            err.add(line, "action item has no owner; name a role (on-call, service owner, ...)")
            continue
        out.append(PostmortemAction(text=text, type=kind, owner=owner, line=line))
    return tuple(out)
