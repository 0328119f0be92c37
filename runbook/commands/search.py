"""``runbook search QUERY``: full-text search over incidents, findings, checks, rules, playbook nodes."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbook.services import Services


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "search",
        parents=[common],
        help="search the record and the knowledge base",
        description="Ranked full-text search; matched words are shown in [brackets]. "
        "Drill incidents are left out unless --drills is given.",
    )
    p.add_argument("query", help="words to look for (punctuation is ignored)")
    p.add_argument("--json", action="store_true", help="print hits as JSON")
    p.add_argument("--drills", action="store_true", help="include drill incidents")
    p.add_argument("--kind", action="append", help="only this kind (incident, finding, check, rule, ...)")
    p.add_argument("--limit", type=int, default=20, help="at most this many hits (default: 20)")
    p.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace, services: Services) -> int:
    from dataclasses import asdict

    hits = services.search(args.query, include_drills=args.drills, kinds=args.kind, limit=max(1, args.limit))
    if args.json:
        print(json.dumps([{**asdict(h), "incident_ref": h.incident_ref} for h in hits], indent=2))
        return 0
    if not hits:
        print("no matches")
    for h in hits:
        where = f" ({h.incident_ref})" if h.incident_ref and h.kind != "incident" else ""
        print(f"{h.kind:<14} {h.ref:<16} {h.title}{where}\n    {' '.join(h.snippet.split())}")
    return 0
