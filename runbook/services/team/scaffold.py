"""``runbook init``: a team directory that is valid as written and shows how the layers work.

A new team should not have to read the format documents before its first customisation: it
gets its own copy of triage (which replaces the shipped one), an example playbook reachable
from it, an example rule and the postmortem it came from (linked both ways), a config file
pointing at them, and a README. Everything passes ``runbook validate`` as written; the test
holds that.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runbook.config import shipped_playbooks_dir
from runbook.errors import RunbookError
from runbook.playbook.parser import parse_playbook

CONFIG = """\
# runbook configuration of this team directory. Use it with
#   export RUNBOOK_CONFIG={config}
# Paths are relative to this file. Layers, later wins: shipped, then these, then
# RUNBOOK_PLAYBOOKS / RUNBOOK_INCIDENTS.
playbook_dirs = ["playbooks"]
incident_dirs = ["incidents"]
# where 'runbook learn' writes postmortems, draft rules and playbook branches
team_dir = "."
# db = "postgresql+psycopg://runbook@db.internal/runbook"   # a shared record (default: SQLite)
# templates_dir = "templates"                               # the team's postmortem templates
# author = "oncall"
"""

README = """\
# Our runbook content

This directory is a layer over the playbooks and knowledge base shipped with `runbook`.
Point the tool at it with `export RUNBOOK_CONFIG={config}` (or list its directories
under `playbook_dirs` / `incident_dirs` in your own config file).

## How the layers work

Content is loaded in layers, each over the ones before it:

1. the shipped `playbooks/` and `incidents/`;
2. the directories of the config file (this directory's `playbooks/` and `incidents/`);
3. `RUNBOOK_PLAYBOOKS` and `RUNBOOK_INCIDENTS` (`:`-separated directories).

A playbook, rule, incident record or drill whose id is already loaded **replaces** the earlier
one: `playbooks/triage.md` here replaces the shipped triage. Two files with one id in the same
directory are an error. `runbook playbooks`, `runbook rules` and `runbook incidents` show where
each one comes from and what it overrides. If a replacement drops a node that another playbook
(or a rule's `conclusions`) links to, `runbook validate` names both files.

## What is here

| file | what |
|---|---|
| `config.toml` | the layers, the team directory, optionally the shared database |
| `playbooks/triage.md` | our copy of triage: add our services' symptoms and branches here |
| `playbooks/team-example.md` | an example playbook, linked from our triage; edit or delete it |
| `incidents/rules/TEAM-1.md` | an example rule with our own id scheme (`TEAM-1`, `PAY-12` ...) |
| `incidents/postmortems/EXAMPLE-1.md` | the postmortem the example rule came from |
| `incidents/drills/` | drills recorded from our incidents (`runbook drill record --from INC-ID`) |

## Growing it

- `runbook validate {here}`: every problem in this directory, checked against everything loaded.
- After an incident is closed: `runbook learn INC-0007` writes its postmortem to
  `incidents/postmortems/`, and when its cause is none of the known rules, a draft rule in
  `incidents/rules/` and a conclusion branch in the playbook where the walk ended (copied here
  first if it is a shipped one). Review them, edit, validate, commit.
- `runbook drill record --from INC-0007`: a replay drill of what really happened.

When you delete the examples, delete `TEAM-1`, `EXAMPLE-1` and `team-example` together, and the
`team-example` line of `playbooks/triage.md`.
"""

EXAMPLE_PLAYBOOK = """\
---
id: team-example
title: "Example: errors right after a config push"
summary: >-
  An example of a team playbook: one question, one live check, one conclusion naming the team's
  own rule TEAM-1. Edit it into a real one or delete it (see README.md).
symptoms:
  - errors right after a config push
rules: [TEAM-1]
start: start
variables:
  - name: health_url
    description: Full URL of the instance's health endpoint
    example: http://10.0.3.17:8080/health
---

# Example: errors right after a config push

## Did the errors start right after a config push? {#start}

Compare the first errors with the config history of the service.

- [Yes, within minutes of a push](#probe)
- [No, or not sure](triage#unexplained)

## Does the health endpoint still answer in time? {#probe}

```check
type: http_probe_flapping
params:
  url: "{{ health_url }}"
  n: 20
verdicts:
  fail: bad-config
  ok: triage#unexplained
```

- [Probes fail or time out: the pushed config broke the service](#bad-config)
- [Probes pass: the push is not it](triage#unexplained)

## The pushed config broke the service {#bad-config}

```conclusion
rules: [TEAM-1]
fix: Roll the config back, then validate every config in CI before it is pushed.
actions:
  - text: Roll back to the last good config
    type: mitigate
    owner: on-call
  - text: Validate every config push in CI against the service's schema
    type: prevent
    owner: service owner
```
"""

EXAMPLE_RULE = """\
---
id: TEAM-1
title: Validate a config before it is pushed
incident: EXAMPLE-1
failure_mode: >-
  A config push with an invalid value is loaded by every instance at once; the service keeps
  running but fails its requests (and its health checks).
demand: >-
  Every config is validated against the service's schema in CI, and loaded by the service
  only after the same validation passes at start-up.
checks:
  - type: http_probe_flapping
    params:
      url: http://10.0.3.17:8080/health
      n: 20
conclusions:
  - team-example#bad-config
causes: []
---

# TEAM-1: Validate a config before it is pushed

## Failure mode

An invalid value (a timeout of `0s`, an empty upstream list) reaches every instance at once.

## Anti-pattern

```go
// (example) the config is decoded without validation and used as it is
var cfg Config
if err := json.Unmarshal(raw, &cfg); err != nil {
	return err
}
client.Timeout = cfg.Timeout // 0: no timeout at all
```

## Fix

```go
// (example) validate before use, refuse to start with a bad config
if err := cfg.Validate(); err != nil {
	return fmt.Errorf("config %s: %w", path, err)
}
```

## Why it happens

Decoding succeeds for any well-formed document; nothing checks the values' meaning.

## How to detect it live

`http_probe_flapping` on the health endpoint fails right after the push.

## Corrections to the source

None: this rule is the team's own (an example made by `runbook init`).
"""

EXAMPLE_INCIDENT = """\
---
id: EXAMPLE-1
title: "Example: a config push broke the orders API"
severity: P2
summary: >-
  An example postmortem (made by runbook init): a config push with a zero timeout made the
  orders API fail its requests until it was rolled back.
rules: [TEAM-1]
causes: []
playbook: team-example
timeline: illustrative
---

# EXAMPLE-1: a config push broke the orders API

## Summary

A config push set the upstream timeout to `0s`; requests failed until the rollback.

## Impact

Orders failed for 20 minutes (example).

## Detection

The error-rate alert, three minutes after the push.

## Trigger

A config push.

## Timeline

- 10:00 config pushed
- 10:03 error-rate alert
- 10:20 config rolled back, errors stop

## Root causes

- **TEAM-1**: the config was not validated before it was pushed.

## Contributing factors

- The push went to every instance at once.

## What went well

- The rollback was one command.

## What went wrong

- Nothing checked the value before the push.

## Where we got lucky

- It happened in business hours.

## Action items

| action | type | owner |
|---|---|---|
| Roll back to the last good config | mitigate | on-call |
| Validate configs in CI | prevent | service owner |

## Lessons

- Validate a config before it is pushed.
"""


@dataclass(frozen=True)
class Scaffold:
    """What ``runbook init`` wrote."""

    directory: Path
    config: Path
    files: tuple[Path, ...]


def init_team_dir(directory: Path, *, force: bool = False) -> Scaffold:
    """Write a team directory at ``directory`` (refusing to overwrite unless ``force``)."""
    directory = directory.expanduser().resolve()
    config = directory / "config.toml"
    triage = _team_triage()
    files = {
        config: CONFIG.format(config=config),
        directory / "README.md": README.format(config=config, here=directory),
        directory / "playbooks" / "triage.md": triage,
        directory / "playbooks" / "team-example.md": EXAMPLE_PLAYBOOK,
        directory / "incidents" / "rules" / "TEAM-1.md": EXAMPLE_RULE,
        directory / "incidents" / "postmortems" / "EXAMPLE-1.md": EXAMPLE_INCIDENT,
    }
    existing = [p for p in files if p.exists()]
    if existing and not force:
        raise RunbookError(
            f"{existing[0]} already exists; pick an empty directory, or pass --force to overwrite "
            f"({len(existing)} file(s) would be replaced)"
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (directory / "incidents" / "drills").mkdir(exist_ok=True)
    return Scaffold(directory=directory, config=config, files=tuple(files))


def _team_triage() -> str:
    """The shipped triage, with a note for the team and a choice leading to the example playbook."""
    path = shipped_playbooks_dir() / "triage.md"
    playbook, errors = parse_playbook(path)
    text = path.read_text(encoding="utf-8")
    if playbook is None or errors:
        raise RunbookError(
            f"{path}: the shipped triage does not parse; run 'runbook validate' ({len(errors)} problems)"
        )
    lines = text.splitlines()
    start = playbook.start_node
    choice_lines = [c.line for c in start.choices]
    # The example goes just before the last choice (by convention the "none of these" exit).
    at = (choice_lines[-1] if choice_lines else len(lines)) - 1
    lines.insert(at, "- [Errors right after a config push (our example playbook)](team-example#start)")
    # A YAML comment after the opening '---' keeps the front matter valid.
    lines.insert(1, "# Our copy of the shipped triage: it replaces it (same id). Add our symptoms and branches.")
    return "\n".join(lines) + "\n"
