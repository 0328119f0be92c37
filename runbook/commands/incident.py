"""``runbook incident new|list|show|status|close``: open and follow incidents from a shell.

The record is opened (and created on first use, in the data directory) with the configured
URL: ``--db`` / ``RUNBOOK_DB`` / config file / the SQLite default.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runbook.services import Services

SEVERITIES = ("P0", "P1", "P2", "P3", "P4")
STATUSES = ("open", "mitigated", "resolved", "closed")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "incident",
        parents=[common],
        help="open, list, show and close incidents",
        description="Open, list, show and close incidents in the record.",
    )
    isub = p.add_subparsers(dest="incident_command", metavar="ACTION", required=True)

    n = isub.add_parser("new", parents=[common], help="open an incident; prints its id (INC-0001)")
    n.add_argument("--title", required=True, help="one line: what is broken")
    n.add_argument("--severity", choices=SEVERITIES, default="P2", help="P0 (worst) .. P4 (default: P2)")
    n.add_argument("--service", default="", help="the service that is affected")
    n.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a playbook variable (repeatable), e.g. --var etcd=127.0.0.1:2379",
    )
    n.add_argument("--drill", action="store_true", help="a training drill (hidden from lists and search)")
    n.add_argument("--json", action="store_true", help="print the incident as JSON")
    n.set_defaults(func=cmd_new)

    ls = isub.add_parser("list", parents=[common], help="list incidents, newest first")
    ls.add_argument("--json", action="store_true", help="print as JSON")
    ls.add_argument("--all", action="store_true", help="include drills")
    ls.set_defaults(func=cmd_list)

    s = isub.add_parser("show", parents=[common], help="show an incident with its timeline")
    s.add_argument("id", help="INC-0001 or 1")
    s.add_argument("--json", action="store_true", help="print the whole record as JSON")
    s.set_defaults(func=cmd_show)

    st = isub.add_parser("status", parents=[common], help="move an incident to another status")
    st.add_argument("id", help="INC-0001 or 1")
    st.add_argument("status", choices=STATUSES)
    st.add_argument("--note", default="", help="why (goes on the timeline)")
    st.set_defaults(func=cmd_status)

    c = isub.add_parser("close", parents=[common], help="close an incident")
    c.add_argument("id", help="INC-0001 or 1")
    c.add_argument("--note", default="", help="why (goes on the timeline)")
    c.set_defaults(func=cmd_close, status="closed")


def cmd_new(args: argparse.Namespace, services: Services) -> int:
    from runbook.commands._pairs import parse_pairs
    from runbook.record.views import to_data

    opened = services.open_incident(
        args.title,
        severity=args.severity,
        service=args.service,
        variables=parse_pairs(args.var, "--var"),
        is_drill=args.drill,
    )
    inc = opened.incident
    if opened.secrets:
        names = ", ".join(sorted(opened.secrets))
        print(f"runbook: {names}: secret, kept for this process only (not recorded)", file=sys.stderr)
    if args.json:
        data = to_data(inc)
        data["secret_variables"] = sorted(opened.secrets)
        print(json.dumps(data, indent=2))
    else:
        print(inc.ref)
    return 0


def cmd_list(args: argparse.Namespace, services: Services) -> int:
    from runbook.record import repo
    from runbook.record.alerts import groups_by_incident
    from runbook.record.views import to_data

    with services.session() as session:
        incidents = repo.list_incidents(session=session, include_drills=args.all)
        # Incidents opened by `runbook alerts serve` carry their Alertmanager group.
        groups = groups_by_incident([i.id for i in incidents if i.id is not None], session=session)
        if args.json:
            rows = []
            for i in incidents:
                data = to_data(i)
                group = groups.get(i.id or 0)
                if group is not None:
                    data["alert"] = {
                        "group_key": group.group_key,
                        "labels": group.labels,
                        "status": group.status,
                        "playbook": group.playbook_ref,
                        "generator_url": group.generator_url,
                        "walk": group.walk_state,
                        "walk_stop": group.walk_stop,
                    }
                rows.append(data)
            print(json.dumps(rows, indent=2))
        elif not incidents:
            print("no incidents yet; open one with: runbook incident new --title '...'")
        else:
            for i in incidents:
                drill = " [drill]" if i.is_drill else ""
                alert = " [alert]" if (i.id or 0) in groups else ""
                print(
                    f"{i.ref}  {i.severity}  {i.status:<9}  {i.started_at:%Y-%m-%d %H:%M}Z  "
                    f"{i.service or '-'}  {i.title}{drill}{alert}"
                )
    return 0


def cmd_show(args: argparse.Namespace, services: Services) -> int:
    from runbook.record.views import load_record, record_to_data

    with services.session() as session:
        record = load_record(args.id, session=session)
        if args.json:
            print(json.dumps(record_to_data(record), indent=2))
        else:
            print("\n".join(render_record(record)))
    return 0


def render_record(record: Any) -> list[str]:
    inc = record.incident
    lines = [
        f"{inc.ref} [{inc.severity}] {inc.title}" + (" (drill)" if inc.is_drill else ""),
        f"status: {inc.status}   postmortem: {inc.postmortem_status}   service: {inc.service or '-'}",
    ]
    for label in ("started_at", "detected_at", "mitigated_at", "resolved_at", "closed_at"):
        when = getattr(inc, label)
        if when is not None:
            lines.append(f"{label.replace('_at', ''):>9}: {when:%Y-%m-%d %H:%M:%S}Z")
    if inc.variables:
        lines.append("variables: " + ", ".join(f"{k}={v}" for k, v in inc.variables.items()))
    lines += ["", "timeline:"]
    for ev in record.events:
        mark = "~" if ev.undone else " "
        auto = " (auto)" if ev.automatic else ""
        lines.append(f" {mark}{ev.at:%H:%M:%S} {ev.author:<10} {ev.kind:<18} {ev.summary}{auto}")
    if record.actions:
        lines += ["", "action items:"]
        for a in record.actions:
            extra = "".join(f" {k}={v}" for k, v in (("owner", a.owner), ("due", a.due), ("rule", a.rule)) if v)
            lines.append(f"  #{a.id} [{a.status}] {a.type}: {a.text}{extra}")
    return lines


def cmd_status(args: argparse.Namespace, services: Services) -> int:
    from runbook.record import repo

    with services.session() as session:
        inc = repo.update_status(args.id, args.status, session=session, note=args.note, author=services.settings.author)
        print(f"{inc.ref} {inc.status}")
    return 0


cmd_close = cmd_status
