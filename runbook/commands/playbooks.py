"""``runbook validate``, ``runbook playbooks`` and ``runbook graph``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runbook.services import Services


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "validate",
        parents=[common],
        help="validate playbooks and knowledge records; exit 0 when clean, 1 on errors",
        description="Validate playbooks, knowledge records and drill scenarios. Reports every "
        "problem as path:line: what is wrong, and what to do. Without PATH, validates "
        "the configured playbook and incident directories.",
    )
    p.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="playbook files or directories (default: all configured)"
    )
    p.add_argument("--json", action="store_true", help="print errors as JSON")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("playbooks", parents=[common], help="list playbooks: id, title, nodes, rules")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_playbooks)

    p = sub.add_parser("graph", parents=[common], help="print a playbook's decision tree as a diagram source")
    p.add_argument("playbook", help="playbook id")
    p.add_argument(
        "--format",
        choices=("mermaid", "dot", "json"),
        default="mermaid",
        help="Mermaid flowchart (renders on GitHub), Graphviz dot, or JSON (default: mermaid)",
    )
    p.set_defaults(func=cmd_graph)


_KINDS = ("rules", "p0", "postmortems", "causes", "governance", "drills")


def _is_knowledge_dir(path: Path) -> bool:
    return path.is_dir() and (path.name == "incidents" or any((path / d).is_dir() for d in _KINDS))


def _incidents_root(path: Path) -> Path | None:
    """The incidents directory PATH belongs to (itself, or the parent of ``rules/R1.md``'s
    ``rules/``), or None for a playbook path. The whole directory is loaded; only PATH's problems
    are reported."""
    if _is_knowledge_dir(path):
        return path
    kind_dir = path if path.is_dir() else path.parent
    if kind_dir.name == "recordings" and kind_dir.parent.name == "drills":
        return kind_dir.parent.parent
    return kind_dir.parent if kind_dir.name in _KINDS else None


def _expand(path: Path) -> list[Path]:
    """A team directory (``runbook init``'s) stands for its ``playbooks/`` and ``incidents/``."""
    inner = [path / "playbooks", path / "incidents"]
    if path.is_dir() and not _is_knowledge_dir(path) and any(d.is_dir() for d in inner):
        return [d for d in inner if d.is_dir()]
    return [path]


def cmd_validate(args: argparse.Namespace, services: Services) -> int:
    from runbook.services.content import load_content

    targets = [p.resolve() for p in args.paths]
    for p in targets:
        if not p.exists():
            print(f"{p}: no such file or directory", file=sys.stderr)
            return 1
    # PATH is loaded as a layer over the configured ones: its playbooks and records replace
    # those with the same ids (a file already configured is loaded once), and only problems in
    # PATH are reported.
    targets = [d for p in targets for d in _expand(p)]
    playbook_paths = [p for p in targets if _incidents_root(p) is None]
    incident_paths = [root for p in targets if (root := _incidents_root(p)) is not None]
    content = load_content(services.settings, extra_playbooks=playbook_paths, extra_incidents=incident_paths)
    errors = content.errors
    if targets:
        errors = [e for e in errors if any(_under(Path(e.path), t) for t in targets)]
    if args.json:
        print(json.dumps([{"path": e.path, "line": e.line, "problem": e.problem} for e in errors], indent=2))
    else:
        for e in errors:
            print(e.message)
        lib = content.library
        n_nodes = sum(len(pb.nodes) for pb in lib.playbooks.values())
        summary = f"{len(lib.playbooks)} playbooks, {n_nodes} nodes"
        if content.knowledge is not None:
            summary += f", {len(content.knowledge.rule_ids())} rules"
        print(f"{len(errors)} problem(s); loaded {summary}", file=sys.stderr)
    return 1 if errors else 0


def _under(path: Path, target: Path) -> bool:
    path = path.resolve()
    return path == target or target in path.parents


def cmd_playbooks(args: argparse.Namespace, services: Services) -> int:
    from runbook.services.origins import playbook_provenance

    content = services.content
    rows: list[dict[str, Any]] = [
        {
            "id": pb.id,
            "title": pb.title,
            "nodes": len(pb.nodes),
            "rules": list(pb.rules),
            **playbook_provenance(services.settings, content, pb.id).to_dict(),
        }
        for pb in sorted(content.library.playbooks.values(), key=lambda p: p.id)
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max((len(r["id"]) for r in rows), default=2)
    for r in rows:
        print(f"{r['id']:<{width}}  {r['nodes']:>3} nodes  {','.join(r['rules']) or '-':<20}  {r['title']}")
        over = f"; overrides {', '.join(r['overrides'])}" if r["overrides"] else ""
        print(f"{'':<{width}}  {r['layer']}: {r['path']}{over}")
    for e in content.library.errors:
        print(e.message, file=sys.stderr)
    return 0


def cmd_graph(args: argparse.Namespace, services: Services) -> int:
    from runbook.playbook.export import export

    content = services.content
    playbook = content.library.get(args.playbook)
    sys.stdout.write(export(playbook, args.format))
    return 0
