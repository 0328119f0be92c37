"""``runbook action add|list|done``: follow-up work that comes out of an incident."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date

    from runbook.services import Services


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("action", parents=[common], help="add, list and complete action items")
    asub = p.add_subparsers(dest="action_command", metavar="ACTION", required=True)

    a = asub.add_parser("add", parents=[common], help="add an action item to an incident")
    a.add_argument("id", help="INC-0001 or 1")
    a.add_argument("text", help="what must be done")
    a.add_argument("--owner", help="who does it")
    a.add_argument("--due", help="due date, YYYY-MM-DD")
    a.add_argument(
        "--type",
        choices=("mitigate", "prevent"),
        default="prevent",
        help="mitigate now, or prevent recurrence (default: prevent)",
    )
    a.add_argument("--rule", help="knowledge-base rule it enforces, e.g. R5")
    a.add_argument("--link", help="ticket URL")
    a.set_defaults(func=cmd_add)

    ls = asub.add_parser("list", parents=[common], help="list an incident's action items")
    ls.add_argument("id", help="INC-0001 or 1")
    ls.add_argument("--json", action="store_true", help="print as JSON")
    ls.set_defaults(func=cmd_list)

    d = asub.add_parser("done", parents=[common], help="mark an action item done")
    d.add_argument("action_id", type=int, help="the action item number (#N)")
    d.set_defaults(func=cmd_done)


def _id(value: int | None) -> int:
    """A stored row's id (rows read from the record always have one)."""
    assert value is not None
    return value


def _parse_due(text: str | None) -> date | None:
    from datetime import date

    from runbook.errors import RunbookError

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RunbookError(f"--due expects a date as YYYY-MM-DD, got {text!r}") from None


def cmd_add(args: argparse.Namespace, services: Services) -> int:
    from runbook.record import notes, repo

    due = _parse_due(args.due)
    with services.session() as session:
        inc = repo.get_incident(args.id, session=session)
        item = notes.add_action_item(
            _id(inc.id),
            args.text,
            type=args.type,
            owner=args.owner,
            due=due,
            rule=args.rule,
            link=args.link,
            author=services.settings.author,
            session=session,
        )
        print(f"{inc.ref} action #{item.id} added")
    return 0


def cmd_list(args: argparse.Namespace, services: Services) -> int:
    from runbook.record import notes, repo
    from runbook.record.views import to_data

    with services.session() as session:
        inc = repo.get_incident(args.id, session=session)
        items = notes.action_items(_id(inc.id), session=session)
        if args.json:
            print(json.dumps([to_data(i) for i in items], indent=2))
        for i in items if not args.json else ():
            extra = "".join(f" {k}={v}" for k, v in (("owner", i.owner), ("due", i.due), ("rule", i.rule)) if v)
            print(f"#{i.id} [{i.status}] {i.type}: {i.text}{extra}")
    return 0


def cmd_done(args: argparse.Namespace, services: Services) -> int:
    from runbook.record import notes

    with services.session() as session:
        item = notes.update_action_item(args.action_id, status="done", session=session)
        print(f"action #{item.id} done")
    return 0
