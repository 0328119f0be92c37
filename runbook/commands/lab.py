"""``runbook lab up|status|down``: the fault lab that drills run against."""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbook.drill.lab.state import LabState
    from runbook.services import Services


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    lab = sub.add_parser(
        "lab",
        parents=[common],
        help="start, inspect or stop the local fault lab",
        description="Local services on 127.0.0.1 that misbehave like the three P0 "
        "incidents, for drills and for trying the playbooks and checks.",
    )
    lab_sub = lab.add_subparsers(dest="lab_command", metavar="ACTION", required=True)
    up = lab_sub.add_parser("up", parents=[common], help="start lab scenarios (all when none named)")
    up.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="p0-1, p0-2, p0-3 (default: all)")
    up.add_argument(
        "--fast",
        action="store_true",
        default=os.environ.get("RUNBOOK_LAB_FAST") == "1",
        help="shorter TTLs, faster growth, tighter probe timeout (for tests; env RUNBOOK_LAB_FAST=1)",
    )
    up.add_argument("--json", action="store_true", help="print the state as JSON")
    up.set_defaults(func=cmd_up)
    status = lab_sub.add_parser("status", parents=[common], help="show the running lab and its variables")
    status.add_argument("--json", action="store_true", help="print as JSON")
    status.set_defaults(func=cmd_status)
    down = lab_sub.add_parser("down", parents=[common], help="stop every lab process")
    down.set_defaults(func=cmd_down)
    scen = lab_sub.add_parser("scenarios", parents=[common], help="list the lab scenarios and their faults")
    scen.add_argument("--json", action="store_true", help="print as JSON")
    scen.set_defaults(func=cmd_scenarios)


def _print_vars(state: LabState) -> None:
    for s in state.scenarios:
        print(f"[{s.name}] {s.title}")
        for note in s.notes:
            print(f"  note: {note}")
        for k, v in s.variables.items():
            print(f"  {k}={v}")
        print("  walk: runbook walk <playbook> " + " ".join(f"--var {k}={v}" for k, v in s.variables.items()))


def cmd_up(args: argparse.Namespace, services: Services) -> int:
    from runbook.drill.lab import lab_up

    state = lab_up(args.scenarios, fast=args.fast)
    if args.json:
        print(json.dumps(state.to_dict(), indent=2))
    else:
        print(f"lab up in {state.directory} ({len(state.processes)} processes)")
        _print_vars(state)
        names = [s.name for s in state.scenarios]
        print(f"practise: runbook drill run {names[0]} --live   (runbook drill list for every scenario)")
        print("stop it with: runbook lab down")
    return 0


def cmd_status(args: argparse.Namespace, services: Services) -> int:
    from runbook.drill.lab import lab_status

    status = lab_status()
    if args.json:
        print(
            json.dumps(
                {
                    "running": status.running,
                    "state": status.state.to_dict() if status.state else None,
                    "alive": status.alive,
                },
                indent=2,
            )
        )
        return 0 if status.running else 1
    if status.state is None:
        print("no lab is running (start one with: runbook lab up)")
        return 1
    print(f"lab in {status.state.directory}, started {status.state.started_at}")
    for p in status.state.processes:
        ports = ", ".join(f"{k}={v}" for k, v in p.ports.items())
        print(f"  {p.name:16} pid {p.pid:<7} {'running' if status.alive[p.name] else 'STOPPED'}  {ports}")
    _print_vars(status.state)
    return 0 if status.running else 1


def cmd_down(args: argparse.Namespace, services: Services) -> int:
    from runbook.drill.lab import lab_down

    stopped = lab_down()
    print(f"stopped {len(stopped)} lab process(es)" if stopped else "no lab was running")
    return 0


def cmd_scenarios(args: argparse.Namespace, services: Services) -> int:
    from runbook.drill.lab import LAB_SCENARIOS

    rows = [
        {"name": s.name, "incident": s.incident, "title": s.title, "rules": list(s.rules), "faults": list(s.faults)}
        for s in LAB_SCENARIOS.values()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(f"{r['name']}  {r['title']}  ({', '.join(r['rules'])})")
        for f in r["faults"]:
            print(f"  - {f}")
    return 0
