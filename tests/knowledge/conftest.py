"""Helpers for the knowledge tests: write small record files into a temporary incidents tree."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHIPPED_INCIDENTS = REPO / "incidents"
SHIPPED_PLAYBOOKS = REPO / "playbooks"

RULE_SECTIONS = """
# {id}: A rule

## Failure mode

It breaks.

## Anti-pattern

```go
func bad() {}
```

## Fix

```go
func good() {}
```

## Why it happens

Because.

## How to detect it live

Run the check.

## Corrections to the source

None found.
"""

INCIDENT_BODY = """
# {id}: An incident

## Summary

S.

## Impact

I.

## Detection

D.

## Trigger

T.

## Timeline

Illustrative.

## Root causes

R.

## Contributing factors

C.

## What went well

W.

## What went wrong

W.

## Where we got lucky

L.

## Action items

| action | type | owner |
|---|---|---|
| Restart it | mitigate | on-call |
| Fix it | prevent | service owner |

## Lessons

L.
"""


def rule_text(rid: str = "R1", *, incident: str = "P0-1", conclusions: str = "[pb#end]", causes: str = "[C1]") -> str:
    return (
        f'---\nid: {rid}\ntitle: Rule {rid}\nincident: {incident}\nsection: "2.1"\n'
        f"failure_mode: Something breaks.\nchecks:\n  - type: go_source_scan\n    params:\n      path: ./src\n"
        f"conclusions: {conclusions}\ncauses: {causes}\n---\n" + RULE_SECTIONS.replace("{id}", rid)
    )


def incident_text(iid: str = "P0-1", *, rules: str = "[R1]", causes: str = "[C1]", playbook: str = "pb") -> str:
    return (
        f"---\nid: {iid}\ntitle: Incident {iid}\nseverity: P0\nrules: {rules}\ncauses: {causes}\n"
        f"playbook: {playbook}\ntimeline: illustrative\n---\n" + INCIDENT_BODY.replace("{id}", iid)
    )


def cause_text(cid: str = "C1", *, rules: str = "[R1]", incidents: str = "[P0-1]") -> str:
    return f'---\nid: {cid}\ntitle: Cause {cid}\nkind: cause\nchapter: "1"\nrules: {rules}\nincidents: {incidents}\n---\n\n# {cid}\n\n## What it is\n\nX.\n'


PLAYBOOK = """---
id: pb
title: A playbook
start: begin
---

# A playbook

## Begin {#begin}

- [To the end](#end)

## The end {#end}

```conclusion
rules: [R1]
fix: Fix it.
```
"""


@pytest.fixture
def tree(tmp_path: Path):
    """A function that writes files under tmp_path/incidents and returns that directory."""
    root = tmp_path / "incidents"

    def write(rel: str, text: str) -> Path:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8")
        return path

    write.root = root  # type: ignore[attr-defined]
    return write
