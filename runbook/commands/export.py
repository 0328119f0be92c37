"""``runbook export``: the postmortem of an incident as Markdown or standalone HTML.

Prints to stdout by default; with ``-o FILE`` writes the file and prints its path. Links to
the knowledge base go under ``knowledge_url`` (config file), else to the document's own appendix
of the records it cites: the text never depends on where it is written. ``--kb P0-1`` renders a knowledge-base
P0 record through the same template (the worked examples in ``docs/examples/``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbook.services import Services


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "export",
        parents=[common],
        help="write an incident's postmortem (Markdown or HTML)",
        description="Render the postmortem of INCIDENT (INC-0007 or 7) from the record: header, summary, "
        "impact, detection, timeline, diagnosis path, root causes with their anti-patterns and "
        "fixes, action items, similar incidents, lessons and evidence. Team templates: "
        "'templates_dir' in the config file or $RUNBOOK_TEMPLATES.",
    )
    p.add_argument("incident", nargs="?", help="incident id (INC-0007 or 7)")
    p.add_argument("--kb", metavar="ID", help="render a knowledge-base P0 record (P0-1, P0-2, P0-3) instead")
    p.add_argument(
        "--format",
        choices=("md", "html", "json"),
        default=None,
        help="md (default), html (default when -o ends in .html), or json: the postmortem's data "
        "(the context the template sees) for scripts",
    )
    p.add_argument(
        "--template",
        metavar="PATH",
        help="a Jinja2 template file (runs sandboxed), or a name in the team templates directory",
    )
    p.add_argument("-o", "--output", metavar="FILE", type=Path, help="write to FILE and print its path")
    p.add_argument("--tz", metavar="ZONE", default="UTC", help="time zone for every time in the document (default UTC)")
    p.set_defaults(func=cmd_export, error_exit=2)


def cmd_export(args: argparse.Namespace, services: Services) -> int:
    from runbook.errors import RunbookError

    if bool(args.incident) == bool(args.kb):
        raise RunbookError("give either INCIDENT or --kb ID (not both, not neither)")
    fmt = args.format or ("html" if args.output and args.output.suffix.lower() in (".html", ".htm") else "md")
    if args.kb:
        text = services.render_knowledge_example(args.kb, fmt=fmt, template=args.template)
    else:
        text = services.postmortem(args.incident, fmt=fmt, template=args.template, tz=args.tz)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    out = args.output.expanduser()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RunbookError(f"{out}: cannot write: {exc.strerror or exc}") from None
    print(out)
    return 0
