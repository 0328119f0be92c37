"""``runbook init [DIR]`` and ``runbook learn INC-ID``: the team's own content.

``init`` writes a team directory (a config, a customisable triage, an example playbook, rule
and postmortem, a README on the layers); ``learn`` turns a closed incident into knowledge
files in it. Both write files the team reviews and commits; nothing here edits the shipped
content.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbook.services import Services


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "init",
        parents=[common],
        help="create a team directory: config, a triage copy, an example playbook and rule",
        description="Create a team directory that layers over the shipped content: config.toml "
        "(playbook_dirs, incident_dirs, team_dir), playbooks/triage.md (a copy that replaces the "
        "shipped triage), an example playbook, rule and postmortem, and a README on the layers. "
        "All of it passes 'runbook validate' as written.",
    )
    p.add_argument("directory", nargs="?", default=".", type=Path, metavar="DIR", help="where (default: .)")
    p.add_argument("--force", action="store_true", help="overwrite files that already exist")
    p.add_argument("--json", action="store_true", help="print what was written as JSON")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser(
        "learn",
        parents=[common],
        help="turn a closed incident into knowledge: its postmortem record, a draft rule and branch",
        description="From a resolved or closed incident, write a knowledge incident record (its "
        "postmortem: timeline, findings, root causes, actions) into the team directory; when its "
        "cause is none of the known rules, also a draft rule record and a conclusion branch in the "
        "playbook where the walk ended (copied into the team directory first if it is not there). "
        "Every file is valid as written: review, edit and commit them.",
    )
    p.add_argument("incident", metavar="INC-ID", help="the incident (INC-0007 or 7)")
    p.add_argument("--to", type=Path, metavar="DIR", help="team directory (default: team_dir of the config)")
    p.add_argument("--rule-id", metavar="ID", help="id of the draft rule (default: the next free TEAM-n)")
    p.add_argument("--rule-prefix", default="TEAM", metavar="PREFIX", help="prefix of new rule ids (default: TEAM)")
    p.add_argument("--title", help="title of the draft rule (default: from the incident)")
    p.add_argument("--force", action="store_true", help="overwrite the incident's earlier learned record")
    p.add_argument("--json", action="store_true", help="print what was written as JSON")
    p.set_defaults(func=cmd_learn)


def cmd_init(args: argparse.Namespace, services: Services) -> int:
    from runbook.services.team.scaffold import init_team_dir

    made = init_team_dir(args.directory, force=args.force)
    if args.json:
        print(
            json.dumps(
                {"directory": str(made.directory), "config": str(made.config), "files": [str(f) for f in made.files]},
                indent=2,
            )
        )
        return 0
    for f in made.files:
        print(f"wrote {f}")
    print(f"\nnext: export RUNBOOK_CONFIG={made.config}\n      runbook validate {made.directory}")
    return 0


def cmd_learn(args: argparse.Namespace, services: Services) -> int:
    from runbook.services.team.learn import learn_incident

    learned = learn_incident(
        services,
        args.incident,
        team_dir=args.to,
        rule_id=args.rule_id,
        rule_prefix=args.rule_prefix,
        title=args.title,
        force=args.force,
    )
    if args.json:
        print(json.dumps(learned.to_dict(), indent=2))
    else:
        for line in learned.describe():
            print(line)
    return 1 if learned.errors else 0
