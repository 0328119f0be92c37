"""``runbook rules``, ``runbook incidents`` and ``runbook show ID``: read the knowledge base.

``runbook incidents`` lists the knowledge base's past P0 incidents (the postmortems the rules
came from); live incidents being worked on are ``runbook incident``'s.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from runbook.services import Services


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("rules", parents=[common], help="list the rules learned from past incidents")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser(
        "incidents",
        parents=[common],
        help="list the past P0 incidents of the knowledge base (live ones: 'runbook incident')",
    )
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_incidents)

    p = sub.add_parser(
        "show", parents=[common], help="show a rule, a past incident, a cause or a playbook node (playbook#node)"
    )
    p.add_argument("id", metavar="ID", help="R1, P0-1, C2, G2, or playbook#node such as p0-1-discovery#lease-race")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_show, error_exit=2)


def _console() -> Console:
    from rich.console import Console

    return Console()


def cmd_rules(args: argparse.Namespace, services: Services) -> int:
    from runbook.knowledge import rule_sort_key
    from runbook.knowledge.render import rule_row
    from runbook.services.origins import record_provenance

    content = services.content
    kb = content.knowledge
    rows = [
        {**rule_row(kb.rules[r]), **record_provenance(services.settings, content, r).to_dict()}
        for r in sorted(kb.rules, key=rule_sort_key)
    ]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    from rich.table import Table

    table = Table(title=f"{len(rows)} rules", title_justify="left")
    for col in ("id", "incident", "section", "rule", "live checks", "from"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r["incident"], r["section"], r["title"], ", ".join(r["checks"]), _origin(r))
    _console().print(table)
    return 0


def cmd_incidents(args: argparse.Namespace, services: Services) -> int:
    from runbook.knowledge.render import incident_row
    from runbook.services.origins import record_provenance

    content = services.content
    kb = content.knowledge
    rows = [
        {**incident_row(kb.incidents[i]), **record_provenance(services.settings, content, i).to_dict()}
        for i in sorted(kb.incidents)
    ]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    from rich.table import Table

    table = Table(title=f"{len(rows)} past incidents", title_justify="left")
    for col in ("id", "severity", "title", "rules", "playbook", "from"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r["severity"], r["title"], ", ".join(r["rules"]), r["playbook"], _origin(r))
    _console().print(table)
    return 0


def _origin(row: dict[str, Any]) -> str:
    """``shipped``, or ``config (overrides …/R6.md)`` for a record that replaces another."""
    over = row["overrides"]
    return f"{row['layer']} (overrides {over[0]})" if over else str(row["layer"])


def cmd_show(args: argparse.Namespace, services: Services) -> int:
    from runbook.knowledge import render

    if "#" in args.id:
        node = services.content.library.node(args.id)
        data, text = render.node_data(node), render.node_markdown(node)
    else:
        rec = services.content.knowledge.get(args.id)
        data, text = render.record_data(rec), render.record_markdown(rec)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    from rich.markdown import Markdown

    _console().print(Markdown(text))
    return 0
