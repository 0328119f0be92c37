"""``runbook diagnose``: run every check the variables allow at once and rank the rules by evidence."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbook.services import Services

EXIT_CODES = """\
exit codes:
  0  the checks ran and no rule is implicated (latent findings alone do not count)
  1  the checks ran and at least one rule is implicated
  3  error (no check can run with the variables given, invalid --var, unknown --symptom)

groups: implicated (a fail or warn leads to the rule and a given symptom points at it), latent
(evidence for, no given symptom points at it), unlikely (a check whose fail would have led to
the rule said ok), not examined (no check reached it; the missing variables are named).
An ok is never evidence for a rule. Symptoms are the phrases the rule records list.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
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
    p.add_argument(
        "--symptom",
        action="append",
        default=[],
        metavar="TEXT",
        help="what users see (repeatable), e.g. --symptom 'latency dashboards look wrong'; "
        "a finding is implicated only when a symptom points at its rule",
    )
    p.add_argument("--top", type=int, default=3, help="show the path for this many top rules (default 3)")
    p.add_argument("--title", help="title of the recorded incident")
    p.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    p.add_argument("--quiet", action="store_true", help="no live progress on stderr")
    p.set_defaults(func=cmd_diagnose, error_exit=3)


def cmd_diagnose(args: argparse.Namespace, services: Services) -> int:
    import asyncio
    import json

    from runbook.commands._pairs import parse_pairs
    from runbook.commands.walk import ProgressPrinter
    from runbook.walk.diagnose import diagnose
    from runbook.walk.diagnose_view import diagnosis_dict, diagnosis_text
    from runbook.walk.symptom_tie import SymptomTie

    variables = parse_pairs(args.var, "--var")
    content = services.content
    session = services.session()
    observer = None if args.quiet else ProgressPrinter()
    result = asyncio.run(
        diagnose(
            content.library,
            variables,
            session=session,
            observer=observer,
            title=args.title,
            author=services.settings.author,
            paths_for=args.top,
            symptoms=args.symptom,
            tie=SymptomTie.from_knowledge(content.knowledge),
        )
    )
    data = diagnosis_dict(result)
    print(json.dumps(data, indent=2, default=str) if args.json else diagnosis_text(data, top=args.top))
    return 1 if result.weighing.implicated else 0
