"""``runbook drill list|show|run|random|history|record``: practise on scenarios with a known cause."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbook.drill.scenarios import DrillScenario
    from runbook.drill.session import DrillRun
    from runbook.services import Services
    from runbook.services.content import Content

EXIT_CODES = """\
exit codes (run, random):
  0  the drill reached its true root cause(s)
  1  it stopped elsewhere: a question, an undecided node, a wrong or incomplete diagnosis
  2  it stopped at unknown (every check at a node came back unknown)
  3  error (unknown scenario, lab not running, missing recording)
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "drill",
        parents=[common],
        help="training drills: scenarios, runs, scores, history",
        description="Practise incident response on scenarios whose root cause is known: live "
        "against the fault lab ('runbook lab up') or replaying recorded check results.",
    )
    dsub = p.add_subparsers(dest="drill_command", metavar="ACTION", required=True)
    ls = dsub.add_parser("list", parents=[common], help="list the drill scenarios")
    ls.add_argument("--json", action="store_true", help="print as JSON")
    ls.set_defaults(func=cmd_list)
    show = dsub.add_parser("show", parents=[common], help="show a scenario's briefing (--reveal: the truth)")
    show.add_argument("scenario")
    show.add_argument(
        "--reveal", action="store_true", help="facilitator view: the truth, the shortest path and the checks on it"
    )
    show.add_argument("--json", action="store_true", help="print as JSON")
    show.set_defaults(func=cmd_show, error_exit=3)
    for name, helptext in (("run", "run a drill scenario"), ("random", "spin the wheel: run a random scenario")):
        r = dsub.add_parser(
            name,
            parents=[common],
            help=helptext,
            epilog=EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name == "run":
            r.add_argument("scenario")
        mode = r.add_mutually_exclusive_group()
        mode.add_argument(
            "--live",
            dest="mode",
            action="store_const",
            const="live",
            help="run the real checks against the running lab",
        )
        mode.add_argument(
            "--replay",
            dest="mode",
            action="store_const",
            const="replay",
            help="answer every check from the recording (default; no network)",
        )
        r.add_argument("--auto", action="store_true", help="follow the checks' verdicts (headless)")
        r.add_argument(
            "--choose",
            action="append",
            default=[],
            metavar="NODE=CHOICE",
            help="answer NODE with CHOICE (headless; repeatable)",
        )
        r.add_argument("--hints", type=int, default=0, metavar="N", help="hints taken before the run (headless)")
        r.add_argument(
            "--var",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="override a variable of the lab or the recording (repeatable; secrets are never recorded)",
        )
        r.add_argument("--json", action="store_true", help="print the run and its score as JSON")
        r.add_argument("--quiet", action="store_true", help="no live progress on stderr")
        r.set_defaults(func=cmd_run, mode="replay", error_exit=3)
    hist = dsub.add_parser("history", parents=[common], help="past runs of a scenario, best first")
    hist.add_argument("scenario", nargs="?", help="scenario id (default: all scenarios)")
    hist.add_argument("--json", action="store_true", help="print as JSON")
    hist.set_defaults(func=cmd_history, error_exit=3)
    rep = dsub.add_parser(
        "report", parents=[common], help="facilitator view of a finished drill: truth and path side by side, score"
    )
    rep.add_argument("incident", help="the drill incident (number or INC-0007)")
    rep.add_argument("--postmortem", action="store_true", help="append the drill's postmortem (as runbook export)")
    rep.add_argument("--json", action="store_true", help="print as JSON")
    rep.set_defaults(func=cmd_report, error_exit=3)
    rec = dsub.add_parser(
        "record",
        parents=[common],
        help="record the lab's check results for replay (needs 'runbook lab up LAB'), or a real incident's (--from)",
    )
    rec.add_argument("lab", nargs="?", help="lab scenario (p0-1, p0-2, p0-3); not with --from")
    rec.add_argument("--out", help="directory for the recording (default: the shipped incidents/drills/recordings)")
    rec.add_argument(
        "--from",
        dest="from_incident",
        metavar="INC-ID",
        help="make a replay drill from the checks recorded in this incident (after 'runbook learn INC-ID'): "
        "drills/<inc-id>.md and its recording in the team directory",
    )
    rec.add_argument(
        "--to", type=Path, metavar="DIR", help="team directory for --from (default: team_dir of the config)"
    )
    rec.add_argument("--force", action="store_true", help="with --from: overwrite an earlier drill of the incident")
    rec.set_defaults(func=cmd_record, error_exit=3)


def _scenario(content: Content, ident: str) -> DrillScenario:
    from runbook.errors import NotFoundError

    try:
        return content.scenarios[ident]
    except KeyError:
        known = ", ".join(sorted(content.scenarios)) or "none loaded"
        raise NotFoundError(f"no drill scenario {ident!r}; known scenarios: {known}") from None


def cmd_list(args: argparse.Namespace, services: Services) -> int:
    content = services.content
    rows = [
        {
            "id": s.id,
            "title": s.title,
            "incident": s.incident,
            "start": s.playbook,
            "lab": s.lab,
            "hints": len(s.hints),
            "difficulty": s.difficulty,
        }
        for s in content.scenarios.values()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(f"{r['id']:26} {r['incident']:5} start {r['start']:20} lab {r['lab']:5} {r['title']}")
    return 0


def cmd_show(args: argparse.Namespace, services: Services) -> int:
    from runbook.drill.scoring import checks_on_path, scenario_path

    content = services.content
    s = _scenario(content, args.scenario)
    data = {
        "id": s.id,
        "title": s.title,
        "incident": s.incident,
        "start": s.playbook,
        "lab": s.lab,
        "briefing": s.briefing,
        "hints": len(s.hints),
        "par_s": s.par_s,
    }
    if args.reveal:
        best = scenario_path(content.library, s)
        data.update(
            truth=list(s.truth),
            hint_texts=list(s.hints),
            optimal_path=best,
            checks=[f"{ref} {t}" for ref, _i, t in checks_on_path(content.library, best)],
        )
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"{s.id}: {s.title}  ({s.incident}, start {s.playbook}, lab {s.lab})\n")
    print(s.briefing)
    if args.reveal:
        print(f"\ntruth: {', '.join(s.truth)}\nshortest path: {' -> '.join(best)}")
        for ref, _i, t in checks_on_path(content.library, best):
            print(f"  check: {ref} {t}")
        for i, h in enumerate(s.hints, 1):
            print(f"  hint {i}: {h}")
    return 0


def cmd_run(args: argparse.Namespace, services: Services) -> int:
    import asyncio
    import random

    from runbook.commands._pairs import parse_pairs
    from runbook.commands.walk import ProgressPrinter
    from runbook.drill.scenarios import recording_dirs
    from runbook.drill.session import run_drill

    content = services.content
    if getattr(args, "scenario", None):
        scenario = _scenario(content, args.scenario)
    else:
        if not content.scenarios:
            from runbook.errors import NotFoundError

            raise NotFoundError("no drill scenarios are loaded")
        scenario = random.choice(sorted(content.scenarios.values(), key=lambda s: s.id))
    dirs = recording_dirs(services.settings.incident_dirs)
    answers = parse_pairs(args.choose, "--choose")
    headless = args.auto or answers or args.json or not sys.stdin.isatty()
    if not args.json:
        print(f"drill {scenario.id} ({args.mode}): {scenario.title}\n\n{scenario.briefing}\n", flush=True)

    factory = services.engine_factory()

    if headless:
        observer = None if (args.quiet or args.json) else ProgressPrinter()
        run = asyncio.run(
            run_drill(
                scenario,
                factory,
                mode=args.mode,
                recording_dirs=dirs,
                auto=args.auto,
                answers=answers,
                hints_taken=args.hints,
                observer=observer,
                extra_variables=parse_pairs(args.var, "--var"),
            )
        )
    else:
        from runbook.drill.console import run_console

        run = asyncio.run(run_console(scenario, factory, mode=args.mode, recording_dirs=dirs))
    if args.json:
        print(json.dumps(run.to_dict(), indent=2, default=str))
    else:
        print(format_run(run))
    if run.score is not None and not run.score.missed and not run.score.wrong:
        return 0
    return 2 if run.stop_reason == "unknown" else 1


def format_run(run: DrillRun) -> str:
    s = run.score
    lines = [
        f"\nstopped: {run.stop_reason} at {run.stop_ref}",
        f"your path:     {' -> '.join(run.path)}",
        f"shortest path: {' -> '.join(run.optimal)}",
    ]
    if s is not None:
        lines += [
            f"root cause: found {', '.join(s.found) or 'none'}"
            + (f"; missed {', '.join(s.missed)}" if s.missed else "")
            + (f"; wrong {', '.join('/'.join(w) for w in s.wrong)}" if s.wrong else ""),
            f"steps {s.steps_taken} (best {s.optimal_steps}), checks {s.checks_run} (best {s.optimal_checks}), "
            f"hints {s.hints_taken}, time to diagnosis "
            + (f"{s.seconds_to_diagnosis:.0f}s (par {s.par_s:.0f}s)" if s.seconds_to_diagnosis is not None else "-"),
            f"score: {s.total:g}/100  (root cause {s.root_cause:.2f}, path {s.path:.2f}, time {s.time:.2f}, "
            f"checks {s.checks:.2f})",
            f"record: incident {run.incident_id} (drill); postmortem: runbook export {run.incident_id}",
        ]
    return "\n".join(lines)


def cmd_history(args: argparse.Namespace, services: Services) -> int:
    from runbook.drill.history import drill_history, leaderboard

    if args.scenario:
        _scenario(services.content, args.scenario)
    with services.session() as session:
        entries = leaderboard(drill_history(session=session, scenario=args.scenario))
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], indent=2))
        return 0
    if not entries:
        print("no drills recorded yet" + (f" for {args.scenario}" if args.scenario else ""))
        return 0
    for rank, e in enumerate(entries, 1):
        t = e.score.seconds_to_diagnosis
        print(
            f"{rank:3}. {e.score.total:5g}  {e.scenario:24} {e.responder:12} {e.mode:6} "
            f"{f'{t:6.0f}s' if t is not None else '     -'}  {e.at:%Y-%m-%d %H:%M}  incident {e.incident_id}"
        )
    return 0


def cmd_report(args: argparse.Namespace, services: Services) -> int:
    from runbook.drill.report import drill_report, format_report

    with services.session() as session:
        report = drill_report(args.incident, session=session, content=services.content)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    print(format_report(report))
    if args.postmortem:
        print(services.postmortem(report.incident_id, fmt="md"))
    return 0


def cmd_record(args: argparse.Namespace, services: Services) -> int:
    import asyncio
    from pathlib import Path

    from runbook.config import shipped_incidents_dir
    from runbook.drill.lab import lab_status
    from runbook.drill.record_lab import record_lab
    from runbook.drill.recording import save_recording
    from runbook.errors import RunbookError

    if args.from_incident:
        return _record_from_incident(args, services)
    if not args.lab:
        raise RunbookError("name a lab scenario (p0-1, p0-2, p0-3), or a real incident with --from INC-ID")
    status = lab_status()
    if status.state is None or not status.running:
        raise RunbookError(f"the lab is not running; start it with 'runbook lab up {args.lab}'")
    variables = status.state.variables(args.lab)
    content = services.content
    recording = asyncio.run(record_lab(args.lab, variables, content.library))
    out = Path(args.out) if args.out else shipped_incidents_dir() / "drills" / "recordings"
    path = save_recording(recording, out)
    for key, r in recording.by_block.items():
        print(f"  {key:50} {r.verdict.value:7} {r.summary[:90]}")
    print(f"recorded {len(recording.by_block)} check result(s) to {path}")
    return 0


def _record_from_incident(args: argparse.Namespace, services: Services) -> int:
    from runbook.drill.from_incident import write_incident_drill
    from runbook.errors import RunbookError

    team = args.to or services.settings.team_dir
    if team is None:
        raise RunbookError("no team directory: pass --to DIR, or set team_dir in the config ('runbook init' does)")
    content = services.content
    with services.session() as session:
        made = write_incident_drill(
            args.from_incident,
            session=session,
            library=content.library,
            knowledge=content.knowledge,
            incidents_dir=team / "incidents",
            force=args.force,
        )
    print(f"wrote {made.scenario_path} (truth {', '.join(made.truth)}, start {made.start})")
    print(f"wrote {made.recording_path} ({made.checks} recorded check result(s))")
    print(f"run it: runbook drill run {made.scenario_id} --replay")
    return 0
