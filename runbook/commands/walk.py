"""``runbook walk``: walk a playbook headlessly, for scripts, CI smoke tests and terminals without the UI."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from runbook.checks.base import CheckResult
    from runbook.playbook.library import Library
    from runbook.playbook.model import Node
    from runbook.services import Services
    from runbook.walk.state import ReachedConclusion, Suggestion, TakenChoice, WalkStep

EXIT_CODES = """\
exit codes:
  0  reached a conclusion
  1  stopped at a human decision (a question, or verdicts that suggest no single choice)
  2  stopped at unknown (every check at the node came back unknown)
  3  error (missing variables, unknown playbook or incident, invalid --var/--choose)
  4  reached the unexplained terminal (no rule explains it: cause unknown, escalate with the evidence)
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "walk",
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="walk a playbook headlessly: run its checks, follow verdicts, record every step",
        description="Open an incident (or continue one with --incident) and walk PLAYBOOK: run each "
        "check node's checks, follow the suggested choice with --auto, answer questions "
        "given with --choose, and print the path with each check's verdict and key "
        "figures and the conclusion(s) with their rules. Every step is recorded.",
        epilog=EXIT_CODES,
    )
    p.add_argument("playbook", help="playbook id to start (ignored when --incident has already started)")
    p.add_argument("--incident", metavar="ID", help="continue this incident (INC-0007 or 7) where it stopped")
    p.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a playbook variable (repeatable), e.g. --var etcd_url=http://127.0.0.1:2379",
    )
    p.add_argument(
        "--auto",
        action="store_true",
        help="follow the choice the checks' verdicts suggest until a question, unknown or a conclusion",
    )
    p.add_argument(
        "--choose",
        action="append",
        default=[],
        metavar="NODE=CHOICE",
        help="answer NODE (node id or playbook#node) with CHOICE (target node id or 1-based index); "
        "repeatable; each answer is used once, so repeat it for a node visited again",
    )
    p.add_argument("--title", help="title of a new incident (default: the playbook's title)")
    p.add_argument(
        "--severity",
        default="P2",
        choices=("P0", "P1", "P2", "P3", "P4"),
        help="severity of a new incident (default P2)",
    )
    p.add_argument("--max-steps", type=int, default=50, help="stop after this many moves (default 50)")
    p.add_argument("--json", action="store_true", help="print the walk as JSON")
    p.add_argument("--quiet", action="store_true", help="no live progress on stderr")
    p.add_argument(
        "--list-vars",
        action="store_true",
        help="print the variables a walk from PLAYBOOK can use (its own and those of the playbooks it "
        "leads to), with their examples, and exit",
    )
    p.set_defaults(func=cmd_walk, error_exit=3)


def cmd_walk(args: argparse.Namespace, services: Services) -> int:
    import asyncio
    import json

    from runbook.commands._pairs import parse_pairs, parse_pairs_list
    from runbook.walk.autopilot import autopilot
    from runbook.walk.known_variables import check_variable_names
    from runbook.walk.summary import walk_dict, walk_text
    from runbook.walk.variables import MissingVariables, missing_for_playbook

    variables = parse_pairs(args.var, "--var")
    answers: dict[str, list[str]] = {}
    for node, choice in parse_pairs_list(args.choose, "--choose"):
        answers.setdefault(node, []).append(choice)
    content = services.content
    playbook = content.library.get(args.playbook)
    if args.list_vars:
        return list_vars(content.library, playbook.id, as_json=args.json)
    check_variable_names(content.library, playbook.id, variables)
    observer = None if args.quiet else ProgressPrinter()
    if args.incident:
        engine = services.walk_engine(args.incident, observer=observer)
        engine.set_variables(variables)
    else:
        # Ask for every required variable the playbook's checks use before anything is recorded or run.
        needed = missing_for_playbook(playbook, variables)
        if needed:
            raise MissingVariables(needed)
        opened = services.open_incident(args.title or playbook.title, variables=variables, severity=args.severity)
        engine = services.walk_engine(opened.id, observer=observer)
    if engine.node is None:
        engine.start(playbook.id)
    try:
        stop = asyncio.run(autopilot(engine, answers=answers, follow=args.auto, max_steps=args.max_steps))
    except MissingVariables as exc:
        ref = f"INC-{engine.incident_id:04d}"
        raise MissingVariables(
            exc.needed,
            hint=f"the walk is recorded as {ref} at {engine.ref}; continue with "
            f"runbook walk {playbook.id} --incident {ref} --var NAME=VALUE ...",
        ) from None
    data = walk_dict(engine, stop)
    print(json.dumps(data, indent=2, default=str) if args.json else walk_text(data))
    return stop.exit_code


def list_vars(library: Library, playbook_id: str, *, as_json: bool = False) -> int:
    """Print the variables a walk from ``playbook_id`` can use, one per line (or as JSON)."""
    import json
    from dataclasses import asdict

    from runbook.walk.known_variables import known_variables

    known = known_variables(library, playbook_id)
    if as_json:
        print(json.dumps([asdict(v) for v in known], indent=2))
        return 0
    width = max((len(v.name) for v in known), default=0)
    for v in known:
        need = "required" if v.required else "optional"
        example = f" (e.g. {v.example})" if v.example else ""
        what = v.description or "used by a check; not described by its playbook"
        print(f"{v.name:<{width}}  {v.playbook_id}, {need}: {what}{example}")
    if not known:
        print(f"a walk from {playbook_id} uses no variables")
    return 0


class ProgressPrinter:
    """Live progress on stderr, so a long check in a terminal or CI log is visibly alive."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def _say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def node_entered(self, step: WalkStep, node: Node) -> None:
        self._say(f"[{step.seq}] {node.ref}: {node.title}")

    def check_started(self, key: str, check_type: str) -> None:
        self._say(f"    running {check_type} ...")

    def check_progress(self, key: str, fraction: float | None, message: str) -> None:
        pass  # a line per poll would drown the log

    def check_finished(self, key: str, result: CheckResult) -> None:
        self._say(f"    {result.check_type}: {result.verdict.value} in {result.duration_s:.1f}s - {result.summary}")

    def choice_suggested(self, suggestion: Suggestion | None) -> None:
        if suggestion is not None:
            self._say(f"    suggests: {suggestion.label}")

    def choice_taken(self, choice: TakenChoice) -> None:
        self._say(f"    -> {choice.label}" + (" (automatic)" if choice.automatic else ""))

    def step_undone(self, step: WalkStep) -> None:
        self._say(f"    undone: {step.ref}")

    def conclusion_reached(self, conclusion: ReachedConclusion) -> None:
        rules = ", ".join(conclusion.rules) or "no rule: cause unknown, escalate"
        self._say(f"    conclusion: {conclusion.title} [{rules}]")
