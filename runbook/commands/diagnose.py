"""``runbook diagnose``: run every check the variables allow at once and rank the rules by evidence."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from runbook.playbook.library import Library
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
    p.add_argument(
        "--incident",
        metavar="ID",
        help="record into this open incident (INC-0007 or 7) instead of opening a new one; its recorded "
        "variables are used, --var adds to them or overrides them",
    )
    p.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    p.add_argument("--quiet", action="store_true", help="no live progress on stderr")
    p.set_defaults(func=cmd_diagnose, error_exit=3)


def check_names(library: Library, variables: Mapping[str, object]) -> None:
    """An unknown ``--var`` name is an error listing every playbook's variables (a sweep uses them all)."""
    from runbook.errors import RunbookError
    from runbook.walk.known_variables import known_variables

    known = {v.name for pid in library.playbooks for v in known_variables(library, pid)}
    unknown = sorted(set(variables) - known)
    if unknown:
        raise RunbookError(
            f"unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"the playbooks' variables: {', '.join(sorted(known))} (see: runbook walk triage --list-vars)"
        )


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
    check_names(content.library, variables)
    incident_id = None
    if args.incident:
        inc = services.incident(args.incident)
        incident_id = inc.id
        variables = {**inc.variables, **services.secrets.get(inc.id or 0), **variables}
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
            incident_id=incident_id,
        )
    )
    data = diagnosis_dict(result)
    print(json.dumps(data, indent=2, default=str) if args.json else diagnosis_text(data, top=args.top))
    return 1 if result.weighing.implicated else 0
