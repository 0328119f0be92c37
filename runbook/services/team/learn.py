"""``runbook learn``: a closed incident becomes knowledge the team reviews and commits.

The record already holds the postmortem's raw material (timeline, findings, checks, root
causes, actions). Learning writes it where the tool looks for knowledge, into the team
directory: an incident record under ``incidents/postmortems/`` (so search and similar-incidents
find it, and the walk shows it at the matching node), and, when the incident's cause is none
of the known rules, a draft rule under ``incidents/rules/`` and a conclusion branch naming it in
the playbook where the walk ended (the team's copy; a shipped playbook is copied first, which
makes the copy an override). Every file is valid as written; the team edits the prose.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbook.errors import PlaybookError, RunbookError
from runbook.knowledge.model import RULE_ID
from runbook.report.context import DiagnosisStep, PostmortemContext
from runbook.services.team.learned_text import conclusion_node, incident_text, one_line, rule_text

if TYPE_CHECKING:
    from runbook.services.core import ServicesCore as Services

#: Statuses an incident must have reached before it is learned from.
LEARNABLE = ("resolved", "closed")


@dataclass(frozen=True)
class Branch:
    """Where the draft conclusion was added."""

    playbook_path: Path
    node_ref: str
    """The new conclusion node (``triage#team-2``)."""
    from_ref: str
    """The node whose new choice leads to it."""
    copied_from: Path | None = None
    """The earlier layer's file the team copy was made from (None when it was the team's)."""


@dataclass(frozen=True)
class Learned:
    """What ``runbook learn`` wrote and what it found wrong with it (nothing, normally)."""

    incident: str
    record_path: Path
    record_id: str
    rules: tuple[str, ...]
    draft_rule: Path | None = None
    branch: Branch | None = None
    errors: tuple[PlaybookError, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident,
            "record": str(self.record_path),
            "record_id": self.record_id,
            "rules": list(self.rules),
            "draft_rule": str(self.draft_rule) if self.draft_rule else None,
            "branch": None
            if self.branch is None
            else {
                "playbook": str(self.branch.playbook_path),
                "node": self.branch.node_ref,
                "from": self.branch.from_ref,
                "copied_from": str(self.branch.copied_from) if self.branch.copied_from else None,
            },
            "errors": [e.message for e in self.errors],
            "notes": list(self.notes),
        }

    def describe(self) -> list[str]:
        lines = [f"wrote {self.record_path} (knowledge record {self.record_id}, rules {', '.join(self.rules)})"]
        if self.draft_rule:
            lines.append(f"wrote {self.draft_rule} (draft rule: edit its prose and Go code)")
        if self.branch:
            b = self.branch
            copied = f" (copied from {b.copied_from})" if b.copied_from else ""
            lines.append(f"added {b.node_ref} to {b.playbook_path}{copied}, reached from {b.from_ref}")
        lines += [f"note: {n}" for n in self.notes]
        lines += [e.message for e in self.errors]
        lines.append("review the files, run 'runbook validate', and commit them")
        return lines


def learn_incident(
    services: Services,
    incident: str,
    *,
    team_dir: Path | None = None,
    rule_id: str | None = None,
    rule_prefix: str = "TEAM",
    title: str | None = None,
    force: bool = False,
) -> Learned:
    from runbook.record import repo
    from runbook.record.models import incident_ref
    from runbook.services.postmortems import postmortem_context

    team = _team_dir(services, team_dir)
    incidents_dir, playbooks_dir = team / "incidents", team / "playbooks"
    with services.session() as session:
        inc = repo.get_incident(incident, session=session)
        if inc.status not in LEARNABLE:
            raise RunbookError(
                f"{inc.ref} is {inc.status}; learn from a resolved or closed incident "
                f"('runbook incident close {inc.ref}')"
            )
        ref = incident_ref(inc.id or 0)
        variables = dict(inc.variables or {})
    ctx = postmortem_context(services, ref)
    content = services.content
    kb = content.knowledge
    record_path = incidents_dir / "postmortems" / f"{ref}.md"
    if record_path.exists() and not force:
        raise RunbookError(f"{record_path} already exists (learned before); pass --force to write it again")
    other = next((r for r in kb.records() if r.id == ref and r.path.resolve() != record_path.resolve()), None)
    if other is not None:
        raise RunbookError(f"knowledge id {ref} is already used by {other.path}; rename that record first")

    path = [s for s in ctx.diagnosis if not s.undone]
    concluded = _concluded(path)
    notes: list[str] = []
    draft: Path | None = None
    branch: Branch | None = None
    rules = concluded
    earlier = tuple(r.id for r in kb.rules.values() if r.incident == ref)
    if not concluded and earlier:
        # learned before (--force): keep the team's edited draft rule and branch, rewrite the record
        rules = earlier
        notes.append(f"kept the rule(s) learned before from {ref}: {', '.join(earlier)}")
    elif not concluded:
        new_id = rule_id or _next_rule_id(kb.rule_ids(), incidents_dir / "rules", rule_prefix)
        if not RULE_ID.fullmatch(new_id):
            raise RunbookError(f"rule id {new_id!r} is not valid; use capitals and digits, e.g. TEAM-2 or PAY12")
        if new_id in kb.rules:
            raise RunbookError(f"rule {new_id} already exists ({kb.rules[new_id].path}); pick another --rule-id")
        rules = (new_id,)
        branch = _add_branch(services, path, new_id, ctx, playbooks_dir, notes)
        draft = incidents_dir / "rules" / f"{new_id}.md"
        _write(
            draft,
            rule_text(new_id, ref, ctx, title, branch.node_ref if branch else None, _checks(services, ref, variables)),
        )
    # The record's playbook is where its cause is concluded: the new branch's, else where the walk ended.
    playbook = branch.node_ref.partition("#")[0] if branch else (path[-1].playbook_id if path else "triage")
    _write(record_path, incident_text(ref, ctx, rules, playbook, draft is not None))
    written = [record_path, *([draft] if draft else []), *([branch.playbook_path] if branch else [])]
    errors = _validate(services, [playbooks_dir], [incidents_dir], written)
    loaded = {p.resolve() for p in services.settings.incident_dirs if p.exists()}
    if incidents_dir.resolve() not in loaded:
        notes.append(
            f"{incidents_dir} is not a configured incidents directory: add it to incident_dirs (or "
            "RUNBOOK_INCIDENTS) so that search and similar incidents find the record"
        )
    return Learned(ref, record_path, ref, rules, draft, branch, tuple(errors), tuple(notes))


# -- where and what --------------------------------------------------------------------------


def _team_dir(services: Services, given: Path | None) -> Path:
    team = given or services.settings.team_dir
    if team is None:
        raise RunbookError(
            "no team directory: pass --to DIR, or make one with 'runbook init DIR' and point "
            "RUNBOOK_CONFIG at its config.toml (it sets team_dir)"
        )
    return team.expanduser()


def _concluded(path: Sequence[DiagnosisStep]) -> tuple[str, ...]:
    """Rules the walk concluded (steps not undone), in walk order, each once."""
    out: list[str] = []
    for step in path:
        out += [r for r in step.rules if r not in out]
    return tuple(out)


def _next_rule_id(known: frozenset[str], rules_dir: Path, prefix: str) -> str:
    taken = set(known) | ({f.stem for f in rules_dir.glob("*.md")} if rules_dir.is_dir() else set())
    n = 1
    while f"{prefix}-{n}" in taken:
        n += 1
    return f"{prefix}-{n}"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _validate(
    services: Services, playbook_dirs: list[Path], incident_dirs: list[Path], written: list[Path]
) -> list[PlaybookError]:
    """The problems in the written files, with the team directory loaded as the last layer."""
    from runbook.services.content import load_content

    content = load_content(services.settings, extra_playbooks=playbook_dirs, extra_incidents=incident_dirs)
    mine = {p.resolve() for p in written}
    return [e for e in content.errors if Path(e.path).resolve() in mine]


# -- the playbook branch ---------------------------------------------------------------------


def _add_branch(
    services: Services,
    path: Sequence[DiagnosisStep],
    rule_id: str,
    ctx: PostmortemContext,
    playbooks_dir: Path,
    notes: list[str],
) -> Branch | None:
    """A conclusion node naming ``rule_id``, reached by a new choice from where the walk ended."""
    library = services.content.library
    at = _choice_point(path, library)
    if at is None:
        notes.append("the walk reached no node with choices, so no playbook branch was added; add one by hand")
        return None
    pid, _, nid = at.partition("#")
    origin = library.origins.get(pid)
    source = origin.path if origin is not None else library.playbooks[pid].path
    target = playbooks_dir / source.name
    copied: Path | None = None
    if source.resolve() != target.resolve():
        if target.exists():
            raise RunbookError(
                f"{target} exists but is not the loaded playbook {pid!r} ({source}); "
                "add the team directory's playbooks to the config, or move that file"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copied = source
    from runbook.playbook.parser import parse_playbook

    playbook, errors = parse_playbook(target)
    if playbook is None or nid not in playbook.nodes:
        raise RunbookError(f"{target}: cannot add the branch (the playbook does not parse: {len(errors)} problem(s))")
    node_id = _free_node_id(re.sub(r"[^a-z0-9-]+", "-", rule_id.lower()).strip("-"), playbook.nodes)
    lines = target.read_text(encoding="utf-8").splitlines()
    node = playbook.nodes[nid]
    exit_ = node.choices[-1]
    target_pb = playbook if exit_.playbook == pid else library.playbooks.get(exit_.playbook)
    end = target_pb.nodes.get(exit_.node) if target_pb is not None else None
    if (
        end is not None
        and end.conclusion is not None
        and bool(getattr(end.conclusion, "unexplained", False))
        and len(node.choices) > 1
    ):
        last = exit_.line - 1  # keep "none of these: escalate" the last choice
    else:
        last = max(c.line for c in node.choices)
        while last < len(lines) and lines[last].startswith((" ", "\t")) and lines[last].strip():
            last += 1  # continuation lines of the last choice
    label = one_line(ctx.header.title).replace("[", "(").replace("]", ")")
    lines.insert(last, f"- [{label} (learned from {ctx.header.ref})](#{node_id})")
    lines += ["", *conclusion_node(node_id, rule_id, ctx)]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Branch(target, f"{pid}#{node_id}", at, copied)


def _choice_point(path: Sequence[DiagnosisStep], library: Any) -> str | None:
    """The last node of the walk that offers choices (before its conclusion, if it reached one)."""
    for step in reversed(path):
        ref = f"{step.playbook_id}#{step.node_id}"
        try:
            node = library.node(ref)
        except RunbookError:
            continue
        if node.choices:
            return ref
    return None


def _free_node_id(base: str, taken: Any) -> str:
    candidate, n = base or "learned", 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


# -- the records -----------------------------------------------------------------------------


def _checks(services: Services, ref: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    """The checks the incident ran, most telling first, with the params they ran with."""
    from runbook.checks.registry import validate_params
    from runbook.record.steps import check_results

    order = {"fail": 0, "warn": 1, "ok": 2, "unknown": 3}
    with services.session() as session:
        from runbook.record import repo

        inc = repo.get_incident(ref, session=session)
        rows = sorted(check_results(inc.id or 0, session=session), key=lambda r: order.get(r.verdict, 4))
        ran = [(r.check_type, dict(r.params or {})) for r in rows]
    out: list[dict[str, Any]] = []
    for check_type, params in ran:
        clean = {k: v for k, v in params.items() if not (isinstance(v, str) and "***" in v)}
        if any(c["type"] == check_type for c in out) or validate_params(check_type, clean):
            continue
        out.append({"type": check_type, "params": clean})
    if not out:
        url = str(variables.get("health_url") or "http://127.0.0.1:8080/health")
        out.append({"type": "http_probe_flapping", "params": {"url": url}})
    return out
