"""The Markdown ``runbook learn`` writes: a draft rule, an incident record, and the conclusion
node that names the draft rule in a playbook. Text from the record goes in as one line, a
heading or a paragraph, escaped for where it lands (a table cell, a YAML value); every file is
valid as written and the team edits the prose (:mod:`runbook.services.team.learn` decides what
is written where).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from runbook.report.context import PostmortemContext


def conclusion_node(node_id: str, rule_id: str, ctx: PostmortemContext) -> list[str]:
    """The lines of a playbook node that concludes ``rule_id``: a heading with its anchor, where
    it was learned from, and a ``conclusion`` block (the fix, the incident's actions)."""
    fix = one_line(ctx.resolution) or f"Draft from {ctx.header.ref}: write the fix here."
    block: dict[str, Any] = {"rules": [rule_id], "fix": fix}
    actions = [
        {
            "text": one_line(a.text),
            "type": a.type if a.type in ("mitigate", "prevent") else "prevent",
            "owner": _owner(a.owner, a.type),
        }
        for a in ctx.actions
        if one_line(a.text)
    ]
    if actions:
        block["actions"] = actions
    return [
        f"## {_heading(ctx.header.title)} {{#{node_id}}}",
        "",
        " ".join(
            filter(
                None,
                [
                    f"Learned from {ctx.header.ref} by `runbook learn` (draft rule {rule_id}): review the",
                    "wording, then commit.",
                    one_line(ctx.summary),
                ],
            )
        ),
        "",
        "```conclusion",
        yaml.safe_dump(block, sort_keys=False, allow_unicode=True, width=100).rstrip(),
        "```",
    ]


def rule_text(
    rule_id: str,
    ref: str,
    ctx: PostmortemContext,
    title: str | None,
    concluded_at: str | None,
    checks: list[dict[str, Any]],
) -> str:
    """A draft rule record: front matter (``concluded_at``: the node that names it, if any; the
    checks the incident ran) and the sections a rule has, filled from the record where it can."""
    meta: dict[str, Any] = {
        "id": rule_id,
        "title": title or f"Draft: {one_line(ctx.header.title)}",
        "incident": ref,
        "status": "draft",
        "failure_mode": one_line(ctx.summary) or one_line(ctx.header.title),
        "demand": f"Draft from {ref}: what the rule demands, in one paragraph.",
        "checks": checks,
        "conclusions": [concluded_at] if concluded_at else [],
        "causes": [],
    }
    detect = "\n".join(f"- `{c['type']}`" for c in checks)
    return "\n".join(
        [
            "---",
            yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100).rstrip(),
            "---",
            "",
            f"# {rule_id}: {_heading(meta['title'])}",
            "",
            f"Draft written by `runbook learn` from {ref}. Review every section, then drop `status: draft`.",
            "",
            "## Failure mode",
            "",
            _para(ctx.summary) or "What breaks, in one paragraph.",
            "",
            "## Anti-pattern",
            "",
            "```go",
            f"// draft ({ref}): the code that caused the incident",
            "```",
            "",
            "## Fix",
            "",
            "```go",
            f"// draft ({ref}): the code that fixes it",
            "```",
            "",
            "## Why it happens",
            "",
            _para(ctx.trigger) or "The runtime or library facts behind the failure mode.",
            "",
            "## How to detect it live",
            "",
            f"The checks {ref} ran (most telling first):",
            "",
            detect,
            "",
            "## Corrections to the source",
            "",
            f"None: this rule comes from the team's own incident {ref}.",
            "",
        ]
    )


def incident_text(ref: str, ctx: PostmortemContext, rules: tuple[str, ...], playbook: str, draft: bool) -> str:
    """An incident record for ``incidents/postmortems/``: front matter, root causes, timeline,
    findings, checks, actions, lessons and the narrative, from the postmortem's context."""
    h = ctx.header
    meta: dict[str, Any] = {
        "id": ref,
        "title": one_line(h.title),
        "severity": h.severity or "P2",
        "summary": one_line(ctx.summary) or one_line(h.title),
        "rules": list(rules),
        "causes": [],
        "playbook": playbook,
        "timeline": "recorded",
        "record": ref,
        "started": h.started,
    }
    root = []
    for rc in ctx.root_causes:
        root.append(f"- **{rc.rule_id}**: {one_line(rc.title)} (concluded at `{rc.concluded_by}`)")
    if draft:
        root += [f"- **{r}** (draft rule): the cause the walk did not know; see `rules/{r}.md`" for r in rules]
    timeline = [f"| time ({ctx.tz}) | event |", "|---|---|"]
    timeline += [f"| {_cell(e.at)} | {_cell(e.text)}{' (undone)' if e.undone else ''} |" for e in ctx.timeline]
    findings = [f"- {e.at} {one_line(e.text)}" for e in ctx.timeline if e.kind == "finding"]
    checks = [f"- {e.at} {one_line(e.text)}" for e in ctx.timeline if e.kind == "check_run"]
    actions = ["| action | type | owner |", "|---|---|---|"]
    actions += [
        f"| {_cell(a.text)} | {a.type if a.type in ('mitigate', 'prevent') else 'prevent'} | {_cell(_owner(a.owner, a.type))} |"
        for a in ctx.actions
        if one_line(a.text)
    ] or ["| Review this postmortem and add the action items | prevent | incident commander |"]
    lessons = [f"- **{les.rule_id}**: {one_line(les.demand or les.title)}" for les in ctx.lessons]

    def notes(items: Sequence[Any]) -> list[str]:
        return [f"- {one_line(n.text)}" for n in items] or ["- Nothing recorded."]

    sections = [
        ("Summary", [_para(ctx.summary) or one_line(h.title)]),
        ("Impact", [_para(ctx.impact) or "Not recorded; add who was affected, how, and for how long."]),
        ("Detection", [_para(ctx.detection.text) or "Not recorded."]),
        ("Trigger", [_para(ctx.trigger) or "Not recorded."]),
        ("Timeline", timeline if ctx.timeline else ["- Nothing recorded."]),
        ("Root causes", root or ["- Not found."]),
        ("Contributing factors", [f"- {one_line(f.title or f.summary)}" for f in ctx.factors] or ["- None recorded."]),
        ("What went well", notes(ctx.went_well)),
        ("What went wrong", notes(ctx.went_wrong)),
        ("Where we got lucky", notes(ctx.lucky)),
        ("Action items", actions),
        ("Lessons", lessons or ["- See the root causes."]),
        ("Findings", findings or ["- None recorded."]),
        ("Checks", checks or ["- None run."]),
    ]
    out = ["---", yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100).rstrip(), "---", ""]
    out += [f"# {ref}: {_heading(h.title)}", "", f"Learned from the record by `runbook learn` ({ctx.generated}).", ""]
    for title, body in sections:
        out += [f"## {title}", "", *body, ""]
    return "\n".join(out)


def one_line(text: str | None) -> str:
    """Text with its whitespace folded to single spaces (a title, a YAML value, a list item)."""
    return " ".join((text or "").split())


def _heading(text: str) -> str:
    return one_line(text).replace("{", "(").replace("}", ")").lstrip("#").strip() or "Untitled"


def _para(text: str | None) -> str:
    """User text as a paragraph that cannot open a heading or a fence of its own."""
    lines = [ln.rstrip() for ln in (text or "").strip().splitlines()]
    return "\n".join("\\" + ln if ln.lstrip().startswith(("#", "```", "~~~", "---")) else ln for ln in lines)


def _cell(text: str) -> str:
    return one_line(text).replace("|", "\\|")


def _owner(owner: str, kind: str) -> str:
    return one_line(owner) or ("on-call" if kind == "mitigate" else "service owner")
