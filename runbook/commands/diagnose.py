"""``runbook diagnose``: run every check the variables allow at once and rank the rules by evidence."""

from __future__ import annotations

import argparse

EXIT_CODES = """\
exit codes:
  0  the checks ran and no rule is implicated by a fail or warn verdict
  1  the checks ran and at least one rule is implicated
  3  error (no check can run with the variables given, invalid --var)

ranking: a block's verdict points at a choice; verdicts are followed through check nodes to a
conclusion (supports its rules) or to a node where a person decides (its reachable rules are
possible); an ok where a fail would have led to a rule counts against it. Strength: fail > warn > ok.
"""


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "diagnose",
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="run every check the given variables allow, at once, and rank the rules by evidence",
        description="Run, concurrently, every check block in the playbooks whose variables are all "
        "given (identical checks once), record the run as an incident, and rank the "
        "rules by the evidence, with the playbook path the verdicts would take.",
        epilog=EXIT_CODES,
    )
    p.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a playbook variable (repeatable), e.g. --var etcd_url=http://127.0.0.1:2379",
    )
    p.add_argument("--top", type=int, default=3, help="show the path for this many top rules (default 3)")
    p.add_argument("--title", help="title of the recorded incident")
    p.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    p.add_argument("--quiet", action="store_true", help="no live progress on stderr")
    p.set_defaults(func=cmd_diagnose, error_exit=3)


def cmd_diagnose(args: argparse.Namespace) -> int:
    import asyncio
    import json

    from runbook.commands.walk import ProgressPrinter, parse_pairs
    from runbook.config import load_settings
    from runbook.content import load_content
    from runbook.record.db import connect, open_session
    from runbook.walk.diagnose import diagnose
    from runbook.walk.diagnose_view import diagnosis_dict, diagnosis_text

    variables = parse_pairs(args.var, "--var")
    settings = load_settings()
    content = load_content(settings, validate=False)
    session = open_session(connect(settings.db_url))
    observer = None if args.quiet else ProgressPrinter()
    result = asyncio.run(
        diagnose(
            content.library,
            variables,
            session=session,
            observer=observer,
            title=args.title,
            author=settings.author,
            paths_for=args.top,
        )
    )
    data = diagnosis_dict(result)
    print(json.dumps(data, indent=2, default=str) if args.json else diagnosis_text(data, top=args.top))
    return 1 if any(r.status == "implicated" for r in result.ranking) else 0
