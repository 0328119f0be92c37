"""Build a :class:`PostmortemContext` from a knowledge-base P0 record (a worked example).

The P0 records in ``incidents/p0/`` are already shaped like postmortems; rendering them
through the same template as a walked incident shows a team what a finished postmortem
looks like, and proves the template carries a real one. Their text is trusted Markdown
(written in this repository), so it keeps its formatting. The diagnosis path is the
playbook's shortest route to each rule's conclusion, with the check verdicts that choose
each branch on the way: the walk a responder would make today.
"""

from __future__ import annotations

import re

from runbook.errors import NotFoundError
from runbook.knowledge import KnowledgeBase
from runbook.playbook.library import Library
from runbook.record.similar import SimilarIncident
from runbook.report.context import (
    ActionRow,
    Citation,
    Detection,
    DiagnosisStep,
    Factor,
    Header,
    Lesson,
    Markdown,
    Note,
    PostmortemContext,
    RootCause,
    TimelineEntry,
)
from runbook.report.kb import flat, incident_sections, rule_sections
from runbook.report.links import KnowledgeLinks

_BULLET_ID = re.compile(r"^\*\*(?P<id>[A-Z]+\d+)\*\*\s*:?\s*(?P<text>.*)$", re.DOTALL)


def bullets(markdown: str) -> list[Markdown]:
    """Top-level ``-`` list items (continuation lines folded in); prose around them is dropped."""
    items: list[str] = []
    for line in markdown.splitlines():
        if line.startswith(("- ", "* ")):
            items.append(line[2:].strip())
        elif items and line.startswith("  ") and line.strip():
            items[-1] += " " + line.strip()
        elif not line.strip():
            continue
        elif items:
            items.append("")  # prose after a list ends it
    return [Markdown(i) for i in items if i]


def table_rows(markdown: str) -> list[list[Markdown]]:
    """Body rows of the first GFM table (cells split on unescaped ``|``)."""
    rows: list[list[Markdown]] = []
    lines = [ln.strip() for ln in markdown.splitlines() if ln.strip().startswith("|")]
    for ln in lines[2:]:  # header and delimiter rows
        cells = re.split(r"(?<!\\)\|", ln.strip().strip("|"))
        rows.append([Markdown(c.strip()) for c in cells])
    return rows


def _first_paragraph(markdown: str) -> str:
    return markdown.strip().split("\n\n")[0] if markdown.strip() else ""


def _diagnosis(playbook_id: str, rules: tuple[str, ...], library: Library | None) -> tuple[DiagnosisStep, ...]:
    """The playbook's shortest route to each rule's conclusion, one route after another."""
    if library is None or playbook_id not in library.playbooks:
        return ()
    from runbook.playbook.graph import shortest_path_to_rule

    start = f"{playbook_id}#{library.playbooks[playbook_id].start}"
    steps: list[DiagnosisStep] = []
    for rule in rules:
        path = shortest_path_to_rule(library.graph, start, rule) or []
        for here, nxt in zip(path, [*path[1:], None], strict=True):
            node = library.node(here)
            choice = node.choice_for(nxt) if nxt else None
            local = nxt.split("#", 1)[1] if nxt and nxt.startswith(f"{node.playbook}#") else nxt
            verdicts = tuple(
                Citation(
                    chk.check_type,
                    " or ".join(v for v, target in chk.verdicts.items() if target in (nxt, local)),
                    "",
                    "",
                    "the verdict that takes this branch",
                )
                for chk in node.checks
                if nxt and any(t in (nxt, local) for t in chk.verdicts.values())
            )
            concl = node.conclusion
            steps.append(
                DiagnosisStep(
                    seq=len(steps) + 1,
                    playbook_id=node.playbook,
                    node_id=node.id,
                    entered="",
                    choice=choice.label if choice else "",
                    next_node_id=nxt or "",
                    automatic=bool(verdicts),
                    author="",
                    undone=False,
                    verdicts=verdicts,
                    conclusion=node.title if concl else "",
                    rules=tuple(concl.rules) if concl else (),
                )
            )
    return tuple(steps)


def context_from_kb(
    incident_id: str,
    *,
    knowledge: KnowledgeBase,
    library: Library | None = None,
    links: KnowledgeLinks | None = None,
) -> PostmortemContext:
    """The postmortem context of knowledge-base record ``incident_id`` (``P0-1``).

    ``links``: where references to knowledge records point; by default they are embedded in the
    document's appendix (the worked examples in ``docs/examples/`` link to ``../../incidents``).
    """
    kb = knowledge
    links = links or KnowledgeLinks()
    info = kb.incidents.get(incident_id) or kb.incidents.get(incident_id.upper())
    if info is None:
        known = ", ".join(sorted(kb.incidents)) or "none"
        raise NotFoundError(f"no knowledge-base incident {incident_id!r} (known: {known})")
    meta, sec = info.meta, incident_sections(info)
    rules = tuple(str(r) for r in meta.get("rules") or ())
    illustrative = str(meta.get("timeline", "")).lower() == "illustrative"

    def rule_link(rid: str) -> str:
        return links.href(kb.rules.get(rid))

    timeline = tuple(
        TimelineEntry(
            at=row[0],
            kind="reconstructed",
            author="",
            text=Markdown(" | ".join(row[1:])),
            source=f"{info.id} record" + (" (illustrative)" if illustrative else ""),
        )
        for row in table_rows(sec.get("timeline", ""))
        if row
    )
    root_causes = []
    for rid in rules:
        rule = kb.rules.get(rid)
        if rule is None:
            root_causes.append(
                RootCause(rid, "not in the knowledge base", info.id, Markdown(""), Markdown(""), Markdown(""), "")
            )
            continue
        where = rule.conclusions[0] if rule.conclusions else f"{info.id} record"
        root_causes.append(RootCause(rid, rule.title, where, *rule_sections(rule), rule_link(rid)))
    factors = []
    for item in bullets(sec.get("contributing factors", "")):
        m = _BULLET_ID.match(item)
        cid, text = (m["id"], Markdown(m["text"].strip())) if m else ("", item)
        cause = kb.causes.get(cid)
        via = tuple(r for r in rules if (r in kb.rules and cid in kb.rules[r].causes) or (cause and r in cause.rules))
        factors.append(Factor(cid, cause.title if cause else "", text, via, links.href(cause)))
    actions = tuple(
        ActionRow(
            text=row[0],
            type=row[1] if len(row) > 1 else "",
            owner=row[2] if len(row) > 2 else "",
            due="not set",
            status="proposed",
            rule=_rule_of(row[0], rules),
        )
        for row in table_rows(sec.get("action items", ""))
        if row
    )
    similar = tuple(
        SimilarIncident(
            "knowledge",
            other.id,
            other.title,
            f"knowledge base; shares contributing factors: {', '.join(shared)}",
            link=links.href(other),
        )
        for other in kb.incidents.values()
        if other.id != info.id
        for shared in [sorted(set(other.causes) & set(info.causes))]
        if shared
    )
    lessons = tuple(
        Lesson(rid, kb.rules[rid].title, flat(kb.rules[rid].demand), rule_link(rid)) for rid in rules if rid in kb.rules
    )
    lessons += tuple(Lesson("", "", item) for item in bullets(sec.get("lessons", "")))
    return PostmortemContext(
        header=Header(
            title=info.title,
            ref=info.id,
            severity=str(meta.get("severity", "P0")),
            status="resolved",
            postmortem_status="reviewed",
            service="Go microservices" + (f" (chapter {meta['chapter']} of the source)" if meta.get("chapter") else ""),
            authors=("runbook knowledge base",),
            started="T+0" if illustrative else "",
            detected="see Detection",
            mitigated="see the timeline",
            resolved="see the timeline",
            closed="",
            illustrative_times=illustrative,
        ),
        tz="relative to T+0" if illustrative else "UTC",
        generated="",
        summary=sec.get("summary", Markdown(str(meta.get("summary", "")))),
        impact=sec.get("impact", Markdown("")),
        trigger=sec.get("trigger", Markdown("")),
        resolution=sec.get("resolution", Markdown("")) or _resolution_from(actions),
        detection=Detection(text=sec.get("detection", Markdown("")), derived=False),
        timeline=timeline,
        diagnosis=_diagnosis(str(meta.get("playbook", "")), rules, library),
        root_causes=tuple(root_causes),
        factors=tuple(factors),
        went_well=tuple(Note(i) for i in bullets(sec.get("what went well", ""))),
        went_wrong=tuple(Note(i) for i in bullets(sec.get("what went wrong", ""))),
        lucky=tuple(Note(i) for i in bullets(sec.get("where we got lucky", ""))),
        actions=actions,
        similar=similar,
        lessons=lessons,
        evidence=(),
        source="knowledge",
        references=links.references(
            [
                *(kb.rules.get(r) for r in rules),
                *(kb.causes.get(f.cause_id) for f in factors),
                *(kb.incidents.get(s.ref) for s in similar),
            ]
        ),
    )


def _rule_of(text: str, rules: tuple[str, ...]) -> str:
    """The rules an action names (``... (R1)``); empty when it names none."""
    named = [r for r in rules if re.search(rf"\b{re.escape(r)}\b", text)]
    return ", ".join(named)


def _resolution_from(actions: tuple[ActionRow, ...]) -> Markdown:
    mitigations = [a.text for a in actions if a.type == "mitigate"]
    if not mitigations:
        return Markdown("")
    return Markdown("Mitigated by: " + "; ".join(m.rstrip(".") for m in mitigations) + ".")
