"""``runbook note ID TEXT``: write a finding (observation, hypothesis, decision, action) on the record."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbook.services import Services

KINDS = ("observation", "hypothesis", "decision", "action")
TAGS = ("went_well", "went_wrong", "lucky")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "note",
        parents=[common],
        help="add a finding to an incident's timeline",
        description="Add a finding to an incident. It is committed at once and is searchable.",
    )
    p.add_argument("id", help="INC-0001 or 1")
    p.add_argument("text", help="what you saw, suspect, decided or did")
    p.add_argument("--kind", choices=KINDS, default="observation", help="(default: observation)")
    p.add_argument("--tag", action="append", choices=TAGS, default=[], help="postmortem tag (repeatable)")
    p.add_argument("--owner", help="for --kind action: who does it (the note becomes an action item)")
    p.add_argument("--due", help="for --kind action: due date, YYYY-MM-DD")
    p.set_defaults(func=cmd_note)


def cmd_note(args: argparse.Namespace, services: Services) -> int:
    from runbook.commands.action import _id, _parse_due
    from runbook.errors import RunbookError
    from runbook.record import notes, repo

    if (args.owner or args.due) and args.kind != "action":
        raise RunbookError("--owner and --due are for --kind action")
    due = _parse_due(args.due)
    with services.session() as session:
        inc = repo.get_incident(args.id, session=session)
        f = notes.add_finding(
            _id(inc.id),
            args.text,
            kind=args.kind,
            tags=args.tag,
            author=services.settings.author,
            session=session,
            owner=args.owner,
            due=due,
        )
        item = notes.action_item_of(f, session=session)
        also = f" (action item #{item.id})" if item is not None else ""
        print(f"{inc.ref} {f.kind} #{f.id} recorded{also}")
    return 0
