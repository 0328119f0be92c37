"""``runbook incident new|list|show|status|close|edit``: open and follow incidents from a shell.

The record is opened (and created on first use, in the data directory) with the configured
URL: ``--db`` / ``RUNBOOK_DB`` / config file / the SQLite default.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

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
    st.add_argument(
        "--at",
        metavar="TIME",
        help="when it happened, if not now: ISO time, e.g. 2026-03-14T02:50Z (default: now)",
    )
    st.set_defaults(func=cmd_status)

    c = isub.add_parser("close", parents=[common], help="close an incident")
    c.add_argument("id", help="INC-0001 or 1")
    c.add_argument("--note", default="", help="why (goes on the timeline)")
    c.add_argument("--at", metavar="TIME", help="when it was closed, if not now (ISO time)")
    c.set_defaults(func=cmd_close, status="closed")

    e = isub.add_parser(
        "edit",
        parents=[common],
        help="edit the title, severity and the postmortem's narrative",
        description="Edit an incident: its title, service, severity, and the postmortem's narrative "
        "sections (saved as given; the rendered postmortem shows them).",
    )
    e.add_argument("id", help="INC-0001 or 1")
    e.add_argument("--title", help="one line: what is broken")
    e.add_argument("--service", help="the service that is affected")
    e.add_argument("--severity", choices=SEVERITIES, help="P0 (worst) .. P4 (the change goes on the timeline)")
    for name, heading in _narrative().items():
        e.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar="TEXT", help=f"the postmortem's {heading!r}")
    e.add_argument(
        "--editor",
        action="store_true",
        help="edit every narrative section in $EDITOR, as one Markdown form",
    )
    e.set_defaults(func=cmd_edit)


def _narrative() -> dict[str, str]:
    from runbook.record.narrative import NARRATIVE

    return NARRATIVE


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
    for name, heading in _narrative().items():
        text = str(getattr(inc, name, "") or "")
        if text:
            lines += ["", f"{heading.lower()}:", *(f"  {line}" for line in text.splitlines())]
    return lines


def cmd_status(args: argparse.Namespace, services: Services) -> int:
    inc = services.set_status(args.id, args.status, note=args.note, at=_parse_time(args.at))
    print(f"{inc.ref} {inc.status}")
    return 0


def _parse_time(text: str | None) -> datetime | None:
    from datetime import UTC, datetime

    from runbook.errors import RunbookError

    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise RunbookError(f"--at expects an ISO time such as 2026-03-14T02:50Z, got {text!r}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def cmd_edit(args: argparse.Namespace, services: Services) -> int:
    from runbook.errors import RunbookError
    from runbook.record import repo

    sections = {name: getattr(args, name) for name in _narrative() if getattr(args, name) is not None}
    if args.editor:
        sections.update(_edit_in_editor(args.id, services, sections))
    described = {k: v for k, v in (("title", args.title), ("service", args.service)) if v is not None}
    if not (sections or described or args.severity):
        raise RunbookError("nothing to change: give --summary, --impact ... --severity, --title, or --editor")
    if described:
        with services.session() as session:
            repo.update_incident(args.id, session=session, **described)
    if args.severity:
        services.set_severity(args.id, args.severity)
    inc = services.save_narrative(args.id, sections) if sections else services.incident(args.id)
    changed = [*described, *(["severity"] if args.severity else []), *sections]
    print(f"{inc.ref} edited: {', '.join(changed)}")
    return 0


def _edit_in_editor(ref: str, services: Services, typed: dict[str, str]) -> dict[str, str]:
    """Open $EDITOR on the narrative form (pre-filled with the record and ``typed``); read it back."""
    import os
    import shlex
    import subprocess
    import tempfile
    from pathlib import Path

    from runbook.errors import RunbookError
    from runbook.record.narrative_form import from_form, to_form

    inc = services.incident(ref)
    current = {name: typed.get(name, str(getattr(inc, name))) for name in _narrative()}
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="runbook-") as tmp:
        path = Path(tmp) / f"{inc.ref}-postmortem.md"
        path.write_text(to_form(inc.ref, inc.title, current), encoding="utf-8")
        try:
            done = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except OSError as exc:
            raise RunbookError(f"cannot start the editor {editor!r}: {exc.strerror or exc}") from None
        if done.returncode != 0:
            raise RunbookError(f"the editor {editor!r} exited with status {done.returncode}; nothing was saved")
        edited = from_form(path.read_text(encoding="utf-8"))
    return {name: text for name, text in edited.items() if text != current.get(name, "")}


cmd_close = cmd_status
