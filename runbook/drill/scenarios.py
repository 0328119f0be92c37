"""Drill scenarios: an incident with a known root cause, a briefing, hints and a replay.

A scenario is a Markdown file in ``incidents/drills/`` (any configured incident directory):
YAML front matter with the ground truth and the wiring, and a Markdown body that is the
briefing the responder reads. Scenarios are validated like playbooks: every problem is a
``path:line: what is wrong`` error, and one broken file never stops the others from loading.
The format is documented in ``docs/drills.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runbook.drill.drill_scenario import DrillScenario
from runbook.drill.validate import validate_scenario
from runbook.errors import PlaybookError
from runbook.playbook.yaml_blocks import load_yaml_mapping

__all__ = ["DrillScenario", "drill_files", "load_scenarios", "parse_scenario", "recording_dirs"]

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
REQUIRED = ("id", "title", "incident", "truth", "playbook", "lab")
OPTIONAL = ("replay", "hints", "variables", "par_s", "difficulty", "mitigation", "mitigation_par_s")


def drill_files(incident_dirs: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for d in incident_dirs:
        drills = d / "drills"
        if drills.is_dir():
            files += sorted(f for f in drills.glob("*.md") if f.name.lower() != "readme.md")
    return files


def recording_dirs(incident_dirs: Sequence[Path]) -> list[Path]:
    """Recording directories, the last layer first: a team's recording replaces a shipped one."""
    dirs = [d / "drills" / "recordings" for d in incident_dirs if (d / "drills" / "recordings").is_dir()]
    unique = list({d.resolve(): d for d in dirs}.values())
    return unique[::-1]


def parse_scenario(path: Path, text: str | None = None) -> tuple[DrillScenario | None, list[PlaybookError]]:
    """Parse one scenario file (structure only; cross-checks are in ``validate_scenario``)."""
    errors: list[PlaybookError] = []

    def err(line: int, problem: str) -> None:
        errors.append(PlaybookError(str(path), line, problem))

    try:
        text = path.read_text(encoding="utf-8") if text is None else text
    except OSError as exc:
        err(1, f"cannot read the file: {exc}")
        return None, errors
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        err(
            1,
            "no front matter; start the file with a '---' YAML block holding id, title, incident, truth, "
            "playbook and lab",
        )
        return None, errors
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        err(1, "front matter is not closed; end it with a '---' line")
        return None, errors
    data = load_yaml_mapping("\n".join(lines[1:end]), 2, "front matter", err)
    if data is None:
        return None, errors

    def line_of(key: str) -> int:
        return next((i + 1 for i in range(1, end) if lines[i].startswith(f"{key}:")), 1)

    for key in data:
        if key not in REQUIRED + OPTIONAL:
            err(line_of(str(key)), f"front matter: unknown key {key!r}; known keys: {', '.join(REQUIRED + OPTIONAL)}")
    for key in REQUIRED:
        if not data.get(key):
            err(line_of(key) if key in data else 1, f"front matter: '{key}' is missing; add '{key}: ...'")
    ident = str(data.get("id") or "")
    if ident and not ID_RE.match(ident):
        err(line_of("id"), f"front matter: id {ident!r} is not valid; use lowercase letters, digits and '-'")
    truth = data.get("truth") or []
    if isinstance(truth, str):
        truth = [truth]
    if not isinstance(truth, list) or not all(isinstance(t, str) for t in truth):
        err(line_of("truth"), "front matter: 'truth' must be a list of rule ids, e.g. [R1], or [unexplained]")
        truth = []
    hints = data.get("hints") or []
    if not isinstance(hints, list) or not all(isinstance(h, str) and h.strip() for h in hints):
        err(line_of("hints"), "front matter: 'hints' must be a list of non-empty strings")
        hints = []
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        err(line_of("variables"), "front matter: 'variables' must be a mapping of name: value")
        variables = {}
    try:
        par_s = float(data.get("par_s", 600))
        if par_s <= 0:
            raise ValueError
    except (TypeError, ValueError):
        err(line_of("par_s"), "front matter: 'par_s' must be a positive number of seconds")
        par_s = 600.0
    mitigation = str(data.get("mitigation") or "")
    if mitigation and "#" not in mitigation:
        err(line_of("mitigation"), "front matter: 'mitigation' must be a node reference playbook#node")
    try:
        mitigation_par_s = float(data.get("mitigation_par_s", 300))
        if mitigation_par_s <= 0:
            raise ValueError
    except (TypeError, ValueError):
        err(line_of("mitigation_par_s"), "front matter: 'mitigation_par_s' must be a positive number of seconds")
        mitigation_par_s = 300.0
    briefing = "\n".join(lines[end + 1 :]).strip()
    if not briefing:
        err(end + 2, "the briefing is empty; write what the responder sees below the front matter")
    if errors:
        return None, errors
    return DrillScenario(
        id=ident,
        title=str(data["title"]),
        incident=str(data["incident"]),
        truth=tuple(truth),
        playbook=str(data["playbook"]),
        lab=str(data["lab"]),
        replay=str(data.get("replay") or data["lab"]),
        briefing=briefing,
        hints=tuple(h.strip() for h in hints),
        variables={str(k): str(v) for k, v in variables.items()},
        par_s=par_s,
        difficulty=str(data.get("difficulty") or "normal"),
        mitigation=mitigation,
        mitigation_par_s=mitigation_par_s,
        path=path,
        line=1,
        key_lines={str(k): line_of(str(k)) for k in data},
    ), errors


def load_scenarios(
    incident_dirs: Sequence[Path], library: Any, knowledge: Any = None
) -> tuple[dict[str, DrillScenario], list[PlaybookError]]:
    """Every scenario under ``<dir>/drills/``, validated against the library and the knowledge base.

    The directories are layers: a later directory's scenario replaces an earlier one's with the
    same id (two in one directory are an error); the same file reached twice is loaded once.
    """
    out: dict[str, DrillScenario] = {}
    layer_of: dict[str, int] = {}
    errors: list[PlaybookError] = []
    recordings = recording_dirs(incident_dirs)
    seen: set[Path] = set()
    for layer, base in enumerate(incident_dirs):
        for path in drill_files([base]):
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            scenario, errs = parse_scenario(path)
            errors += errs
            if scenario is None:
                continue
            if layer_of.get(scenario.id) == layer:
                errors.append(
                    PlaybookError(
                        str(path),
                        1,
                        f"drill id '{scenario.id}' is already used by {out[scenario.id].path}; give this drill its own id",
                    )
                )
                continue
            out[scenario.id] = scenario
            layer_of[scenario.id] = layer
    for scenario in out.values():
        errors += validate_scenario(scenario, library, knowledge, recordings)
    return out, errors
