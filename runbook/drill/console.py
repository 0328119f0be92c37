"""The drill in a plain terminal: read the node, run its checks, pick a choice, ask for hints.

A line-based face for ``runbook drill run`` when no ``--auto``/``--choose`` is given and stdin
is a terminal (the Textual UI has its own drill screen on the same engine). Input and output
are parameters, so the loop is tested without a terminal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from runbook.drill.scenarios import DrillScenario
from runbook.drill.scoring import concluded_rules
from runbook.drill.session import DrillRun, count_hints, drill_variables, finish_drill, open_drill, take_hint
from runbook.errors import RunbookError

HELP = "number: take that choice · h: hint · u: undo · q: stop and score"


async def run_console(
    scenario: DrillScenario,
    factory: Any,
    *,
    mode: str,
    recording_dirs: Sequence[Path],
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    lab_directory: Path | None = None,
) -> DrillRun:
    from runbook.playbook.model import NodeKind

    variables, runner = drill_variables(scenario, mode, recording_dirs, lab_directory)
    engine = factory(runner=runner, observer=None)
    open_drill(scenario, engine, variables, mode)

    async def ask(prompt: str) -> str:
        try:
            return (await asyncio.to_thread(read, prompt)).strip().lower()
        except EOFError:
            return "q"

    while True:
        node = engine.node
        write(f"\n## {node.title}  ({node.ref})\n{node.body.strip()[:1200]}")
        if node.kind == NodeKind.CONCLUSION:
            concl = node.conclusion
            named = ", ".join(concl.rules) or f"no rule: cause unknown, escalate to {concl.escalate}"
            write(f"conclusion: {named} - {concl.fix}")
            if set(scenario.truth) <= {r for c in engine.conclusions for r in concluded_rules(c.rules)}:
                break
            if await ask("look for a further cause from triage? [y/N] ") != "y":
                break
            engine.continue_from_triage()
            continue
        if engine.needs_checks:
            write("running checks ...")
            try:
                for r in await engine.run_checks():
                    write(f"  {r.result.check_type}: {r.verdict.value} - {r.result.summary}")
            except RunbookError as exc:  # e.g. a variable this lab does not provide: decide by hand
                write(f"  checks not run: {exc.message}")
            if engine.suggestion is not None:
                write(f"  suggests: {engine.suggestion.label}")
        for i, choice in enumerate(node.choices, 1):
            write(f"  {i}. {choice.label}")
        answer = await ask(f"[{HELP}] > ")
        if answer == "q":
            break
        if answer == "h":
            hint = take_hint(scenario, engine)
            write(f"hint {count_hints(engine)}: {hint}" if hint else "no more hints")
            continue
        if answer == "u":
            if len(engine.active_path) > 1:
                engine.undo()
            continue
        if answer.isdigit() and 1 <= int(answer) <= len(node.choices):
            engine.choose(node.choices[int(answer) - 1].ref)
            continue
        write(HELP)
    return finish_drill(scenario, engine, mode, stop_reason="conclusion" if engine.at_conclusion else "stopped")
