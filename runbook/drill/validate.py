"""Cross-checks of a drill scenario against the playbooks, the knowledge base and the lab.

A scenario is only useful if its truth can be reached: the start exists, every truth rule is
concluded somewhere downstream of it, the lab scenario exists for live mode, and the replay
recording answers every check on the shortest path for replay mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runbook.drill.drill_scenario import NO_LAB, DrillScenario
from runbook.errors import PlaybookError, RunbookError
from runbook.rule_ids import rule_sort_key


def validate_scenario(
    scenario: DrillScenario, library: Any, knowledge: Any, recording_dirs: Sequence[Path]
) -> list[PlaybookError]:
    from runbook.drill.lab.plan import LAB_SCENARIOS
    from runbook.drill.scoring import checks_on_path, scenario_path
    from runbook.playbook.model import UNEXPLAINED

    errors: list[PlaybookError] = []
    path = str(scenario.path)

    def err(key: str, problem: str) -> None:
        errors.append(PlaybookError(path, scenario.key_lines.get(key, 1), problem))

    rules = knowledge.rule_ids() if knowledge is not None and knowledge.rule_ids() else None
    unknown = [r for r in scenario.truth if rules is not None and r not in rules and r != UNEXPLAINED]
    known = ", ".join(sorted(rules or (), key=rule_sort_key))
    for rule in unknown:
        err("truth", f"truth names unknown rule {rule!r}; known rules: {known}")
    incidents = getattr(knowledge, "incidents", None) if knowledge is not None else None
    if incidents and scenario.incident not in incidents:
        err("incident", f"unknown incident {scenario.incident!r}; known: {', '.join(sorted(incidents))}")
    if scenario.lab not in LAB_SCENARIOS and scenario.lab != NO_LAB:
        err(
            "lab",
            f"unknown lab scenario {scenario.lab!r}; known: {', '.join(LAB_SCENARIOS)}, or {NO_LAB} (replay only)",
        )
    playbook_id, _, node_id = scenario.playbook.partition("#")
    if playbook_id not in library.playbooks:
        err(
            "playbook",
            f"start playbook {playbook_id!r} is not loaded; known playbooks: "
            f"{', '.join(sorted(library.playbooks)) or 'none'}",
        )
        return errors
    if node_id and node_id not in library.playbooks[playbook_id].nodes:
        err("playbook", f"playbook {playbook_id!r} has no node {node_id!r}")
        return errors
    if unknown:
        return errors
    if scenario.mitigation:
        mit_pb, _, mit_node = scenario.mitigation.partition("#")
        if mit_pb not in library.playbooks or mit_node not in library.playbooks[mit_pb].nodes:
            err("mitigation", f"mitigation node {scenario.mitigation!r} is not a node of the loaded playbooks")
            return errors
    try:
        best = scenario_path(library, scenario)
    except RunbookError as exc:
        err("mitigation" if "mitigation node" in exc.message else "truth", exc.message)
        return errors
    try:
        from runbook.drill.recording import load_recording

        recording = load_recording(scenario.replay, recording_dirs)
    except RunbookError as exc:
        err("replay" if "replay" in scenario.key_lines else "lab", exc.message)
        return errors
    for ref, index, check_type in checks_on_path(library, best):
        if recording.result_for(check_type, f"{ref}#{index}") is None:
            err(
                "replay" if "replay" in scenario.key_lines else "lab",
                f"replay recording {scenario.replay!r} has no result for check {check_type!r} (node {ref}) "
                f"on the shortest path; record it with 'runbook drill record {scenario.replay}'",
            )
    return errors
