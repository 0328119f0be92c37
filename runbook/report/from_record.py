"""Build a :class:`PostmortemContext` from a recorded incident (and the knowledge base).

Everything the tool writes here is derived from recorded rows, so each line of the document
can be traced back: timeline lines name their event, check lines their check result, root
causes the conclusion that named the rule. Wording is blameless: it describes what the
record shows (checks, choices, conditions), never who is at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from runbook.checks.redact import redact_text
from runbook.knowledge import KnowledgeBase
from runbook.record import repo
from runbook.record.models import ActionItem, Conclusion, Incident, utcnow
from runbook.record.notes import action_items
from runbook.record.similar import SimilarIncident, similar_incidents
from runbook.record.steps import conclusions
from runbook.report.context import (
    ActionRow,
    Citation,
    Detection,
    DiagnosisStep,
    EvidenceExcerpt,
    Factor,
    Header,
    Lesson,
    Markdown,
    Note,
    PostmortemContext,
    RootCause,
    TimelineEntry,
    built,
    timeline_entry,
)
from runbook.report.kb import cause_summary, flat, rule_sections
from runbook.report.links import KnowledgeLinks
from runbook.report.reads import (
    EVENT_COLUMNS,
    CheckRow,
    Row,
    event_authors,
    event_count,
    evidence_items,
    time_formatter,
)
from runbook.report.reads import check_results as read_checks
from runbook.report.reads import events as read_events
from runbook.report.reads import findings as read_findings
from runbook.report.reads import steps as read_steps
from runbook.report.timefmt import zone

#: A postmortem lists the closest few similar incidents; the record search finds the rest.
MAX_SIMILAR = 10
#: Appendix bounds: a postmortem quotes evidence, the record keeps all of it.
MAX_EXCERPTS = 20
MAX_EXCERPTS_PER_CHECK = 3
MAX_EXCERPT_CHARS = 1200
#: A raw request or response after a check's deciding excerpt is only context: shorter.
MAX_RAW_CHARS = 400

RuleLink = Callable[[str], str]
#: Formats a recorded time in the document's zone.
TimeFmt = Callable[[Any], str]

_PM_STATUS = {"draft": "draft", "in_review": "in review", "reviewed": "reviewed", "closed": "closed"}
_AUTHOR = EVENT_COLUMNS.index("author")
_PREFIX = {"node_entered": "Entered ", "choice_taken": "Branch taken: ", "conclusion_reached": ""}


def build_context(
    incident_id: int | str,
    *,
    session: Session,
    knowledge: KnowledgeBase | None = None,
    tz: str | None = None,
    now: datetime | None = None,
    links: KnowledgeLinks | None = None,
    max_events: int | None = None,
) -> PostmortemContext:
    """Read incident ``incident_id`` and everything recorded about it, for a template.

    ``links``: where references to knowledge records point (``knowledge_url``); by default they
    are embedded in the document's own appendix, so it reads the same wherever it is opened.
    ``max_events``: read only the first events (a preview): the timeline holds them and
    ``timeline_omitted`` says how many more the record has; everything else is whole.
    """
    zone_info, tz_name = zone(tz)
    kb = knowledge or KnowledgeBase()
    links = links or KnowledgeLinks()

    def link(rule_id: str) -> str:
        return links.href(kb.rules.get(rule_id))

    inc = repo.get_incident(incident_id, session=session)
    assert inc.id is not None  # a stored row
    iid = inc.id
    # Plain rows, not ORM objects: a 10,000-event incident is read in one pass (runbook.report.reads).
    events = read_events(iid, session=session, limit=max_events)
    if max_events is None:
        events_omitted = 0
        authors = [ev[_AUTHOR] for ev in events]
    else:  # the first events only: the count and the authors come from the whole record
        events_omitted = max(0, event_count(iid, session=session) - len(events))
        authors = event_authors(iid, session=session)
    all_steps = read_steps(iid, session=session)
    checks = read_checks(iid, session=session)
    finds = read_findings(iid, session=session)
    undone_steps = {s.id for s in all_steps if s.undone}
    every_concl = conclusions(iid, session=session)
    concl = [c for c in every_concl if c.step_id not in undone_steps]
    checks_by_id = {c.id: c for c in checks if c.id is not None}
    t = time_formatter(zone_info)
    cite = _citations(checks, t)

    rule_ids = _concluded_rules(concl)
    evidence, omitted = _evidence(checks, t)
    root_causes = tuple(_root_cause(rid, where, kb, link) for rid, where in rule_ids.items())
    factors = _factors(rule_ids, kb, links)
    similar = _similar(inc, tuple(rule_ids), all_steps, session=session, kb=kb, links=links)
    referenced = [
        *(kb.rules.get(r) for r in rule_ids),
        *(kb.causes.get(f.cause_id) for f in factors),
        *(kb.incidents.get(s.ref) for s in similar if s.link),
    ]
    unexplained = tuple(c.title for c in concl if not c.rule_ids)
    return PostmortemContext(
        header=_header(inc, authors, t),
        unexplained=unexplained,
        tz=tz_name,
        generated=t(now or utcnow()),
        summary=inc.summary,
        impact=inc.impact,
        trigger=inc.trigger,
        resolution=inc.resolution,
        detection=_detection(inc, checks, finds, t, cite),
        timeline=_timeline(events, checks_by_id, t, cite),
        timeline_omitted=events_omitted,
        diagnosis=_diagnosis(all_steps, checks, every_concl, finds, t, cite),
        root_causes=root_causes,
        factors=factors,
        went_well=_tagged(finds, "went_well", t),
        went_wrong=_tagged(finds, "went_wrong", t),
        lucky=_tagged(finds, "lucky", t),
        actions=tuple(_action(a) for a in action_items(iid, session=session)),
        similar=similar,
        lessons=tuple(
            Lesson(r.rule_id, r.title, flat(kb.rules[r.rule_id].demand) if r.rule_id in kb.rules else "", r.link)
            for r in root_causes
        ),
        evidence=evidence,
        evidence_omitted=omitted,
        source="record",
        went_well_text=inc.went_well,
        went_wrong_text=inc.went_wrong,
        lucky_text=inc.lucky,
        lessons_text=inc.lessons,
        references=links.references(referenced),
    )


def _header(inc: Incident, event_authors: Sequence[str], t: TimeFmt) -> Header:
    authors = dict.fromkeys([inc.created_by, *event_authors])
    return Header(
        title=inc.title,
        ref=inc.ref,
        severity=inc.severity,
        status=inc.status,
        postmortem_status=_PM_STATUS.get(inc.postmortem_status, inc.postmortem_status),
        service=inc.service,
        authors=tuple(a for a in authors if a),
        started=t(inc.started_at),
        detected=t(inc.detected_at),
        mitigated=t(inc.mitigated_at),
        resolved=t(inc.resolved_at),
        closed=t(inc.closed_at),
        is_drill=inc.is_drill,
    )


def _citation(rec: Row, t: TimeFmt) -> Citation:
    figure = next((f"{k}={v}" for k, v in (rec.figures or {}).items()), "")
    summary = rec.summary if not rec.error or rec.error in rec.summary else f"{rec.summary} ({rec.error})"
    return built(
        Citation,
        {
            "check_type": rec.check_type,
            "verdict": rec.verdict,
            "key_figure": figure,
            "at": t(rec.started_at),
            "summary": summary,
        },
    )


def _citations(checks: Sequence[Row], t: TimeFmt) -> dict[int, Citation]:
    """Each check result's citation, built once: the timeline and the diagnosis path both print it."""
    return {c.id: _citation(c, t) for c in checks}


def _detection(
    inc: Incident, checks: Sequence[Row], finds: Sequence[Row], t: TimeFmt, cite: Mapping[int, Citation]
) -> Detection:
    failing = next((c for c in checks if c.verdict == "fail"), None)
    if inc.detection.strip():
        # The responders' own account replaces the derived one; the first failing check still
        # backs it, so a reviewer sees the evidence beside what people remember.
        return Detection(text=inc.detection, derived=False, citation=cite[failing.id] if failing is not None else None)
    if failing is not None:
        c = cite[failing.id]
        return Detection(
            text=f"The first failing check in the record was {failing.check_type} at {c.at}: {c.summary}",
            derived=True,
            citation=c,
        )
    if finds:
        first = finds[0]
        return Detection(
            text=f"The first finding in the record ({first.kind}, {t(first.at)}): {first.text}", derived=True
        )
    return Detection(
        text=f"The incident was opened in the record at {t(inc.detected_at or inc.started_at)}; "
        "no failing check or finding was recorded.",
        derived=True,
    )


def _timeline(
    events: Sequence[Sequence[Any]], checks: Mapping[int, Row], t: TimeFmt, cite: Mapping[int, Citation]
) -> tuple[TimelineEntry, ...]:
    """One line per event; a check run's line cites its check result (type, verdict, key figure)."""
    out = []
    prefix = _PREFIX.get
    entry = timeline_entry
    for eid, kind, at, author, summary, automatic, undone, ref in events:
        # ``== 1``: a bool from SQLite's 0 and 1 (reads.events) as from PostgreSQL's bools.
        if ref is not None and kind == "check_run" and ref in checks:
            c = cite[ref]
            source = f"event #{eid}, check result #{ref}"
            out.append(entry(t(at), kind, author, c.summary, source, c, automatic == 1, undone == 1))
        else:
            text = prefix(kind, "") + summary
            out.append(entry(t(at), kind, author, text, f"event #{eid}", None, automatic == 1, undone == 1))
    return tuple(out)


def _diagnosis(
    steps: Sequence[Row],
    checks: Sequence[Row],
    concl: Sequence[Conclusion],
    finds: Sequence[Row],
    t: TimeFmt,
    cite: Mapping[int, Citation],
) -> tuple[DiagnosisStep, ...]:
    """Each step with its verdicts, notes and conclusion; grouped by step once (not a scan per step)."""
    verdicts: dict[int, list[Citation]] = {}
    for c in checks:
        verdicts.setdefault(c.step_id, []).append(cite[c.id])
    notes: dict[int, list[Note]] = {}
    for f in finds:
        notes.setdefault(f.step_id, []).append(
            built(Note, {"text": f"{f.kind}: {f.text}", "author": f.author, "at": t(f.at)})
        )
    reached: dict[int | None, list[Conclusion]] = {}
    for cc in concl:
        reached.setdefault(cc.step_id, []).append(cc)
    return tuple(
        _diagnosis_step(s, verdicts.get(s.id, ()), reached.get(s.id, ()), notes.get(s.id, ()), t) for s in steps
    )


def _diagnosis_step(
    step: Row, verdicts: Sequence[Citation], here: Sequence[Conclusion], notes: Sequence[Note], t: TimeFmt
) -> DiagnosisStep:
    return built(  # DiagnosisStep(...) without a setattr per field: a walk has a thousand steps
        DiagnosisStep,
        {
            "seq": step.seq,
            "playbook_id": step.playbook_id,
            "node_id": step.node_id,
            "entered": t(step.entered_at),
            "choice": step.choice or "",
            "next_node_id": step.next_node_id or "",
            "automatic": step.automatic,
            "author": step.author,
            "undone": step.undone,
            "verdicts": tuple(verdicts),
            "conclusion": "; ".join(c.title or c.node_id or "" for c in here) if here else "",
            "rules": tuple(dict.fromkeys(str(r) for c in here for r in c.rule_ids or ())) if here else (),
            "notes": tuple(notes),
        },
    )


def _concluded_rules(conclusions: Sequence[Conclusion]) -> dict[str, str]:
    """Rule id -> the conclusion that named it first (``playbook#node`` or its title)."""
    out: dict[str, str] = {}
    for c in conclusions:
        where = f"{c.playbook_id}#{c.node_id}" if c.playbook_id and c.node_id else (c.title or c.node_id or "")
        for rid in c.rule_ids or ():
            out.setdefault(str(rid), where)
    return out


def _root_cause(rule_id: str, where: str, kb: KnowledgeBase, link: RuleLink) -> RootCause:
    rule = kb.rules.get(rule_id)
    if rule is None:
        return RootCause(rule_id, "not in the knowledge base", where, Markdown(""), Markdown(""), Markdown(""), "")
    return RootCause(rule_id, rule.title, where, *rule_sections(rule), link(rule_id))


def _factors(rule_ids: dict[str, str], kb: KnowledgeBase, links: KnowledgeLinks) -> tuple[Factor, ...]:
    via: dict[str, list[str]] = {}
    for rid in rule_ids:
        rule = kb.rules.get(rid)
        linked = [*(rule.causes if rule else ()), *(c.id for c in kb.causes.values() if rid in c.rules)]
        for cid in dict.fromkeys(linked):
            via.setdefault(cid, []).append(rid)
    return tuple(
        Factor(
            cid,
            kb.causes[cid].title,
            cause_summary(kb.causes[cid]),
            tuple(rules),
            links.href(kb.causes[cid]),
        )
        for cid, rules in via.items()
        if cid in kb.causes
    )


def _similar(
    inc: Incident,
    rule_ids: Sequence[str],
    steps: Sequence[Row],
    *,
    session: Session,
    kb: KnowledgeBase,
    links: KnowledgeLinks,
) -> tuple[SimilarIncident, ...]:
    """The record's similar incidents, each knowledge-base line with its link filled in."""
    found = similar_incidents(
        session=session,
        rules=rule_ids,
        nodes=[(s.playbook_id, s.node_id) for s in steps if not s.undone],
        knowledge=kb.incidents.values(),
        exclude=inc.id,
        drill=inc.is_drill,
        limit=MAX_SIMILAR,
    )
    return tuple(replace(s, link=links.href(kb.incidents[s.ref])) if s.ref in kb.incidents else s for s in found)


def _tagged(finds: Sequence[Row], tag: str, t: TimeFmt) -> tuple[Note, ...]:
    return tuple(
        built(Note, {"text": f.text, "author": f.author, "at": t(f.at)}) for f in finds if tag in (f.tags or ())
    )


def _action(a: ActionItem) -> ActionRow:
    return ActionRow(
        text=a.text,
        type=a.type,
        owner=a.owner or "unassigned",
        due=a.due.isoformat() if a.due else "not set",
        status=a.status,
        rule=a.rule or "",
        link=a.link or "",
    )


def _evidence(checks: Sequence[CheckRow], t: TimeFmt) -> tuple[tuple[EvidenceExcerpt, ...], int]:
    """Appendix excerpts: failing checks first; per check, the excerpts its verdict rests on
    (``deciding``) first and whole up to the bound, then a few raw ones (requests, responses)
    shortened: a reviewer checks the verdict from the first, the second only says what was asked.
    Once the appendix is full, a check's excerpts are only counted (not decoded)."""
    order = {"fail": 0, "warn": 1, "unknown": 2, "ok": 3}
    ranked = sorted(
        (c for c in checks if c.evidence_count), key=lambda c: (order.get(c.verdict, 4), c.started_at, c.id)
    )
    out: list[EvidenceExcerpt] = []
    omitted = 0
    for rec in ranked:
        if len(out) >= MAX_EXCERPTS:
            omitted += rec.evidence_count
            continue
        items = evidence_items(rec)
        deciding = [i for i in items if i.get("deciding")]
        raw = [i for i in items if not i.get("deciding")]
        for n, item in enumerate(deciding):
            if n >= MAX_EXCERPTS_PER_CHECK or len(out) >= MAX_EXCERPTS:
                omitted += 1
                continue
            out.append(_excerpt(rec, item, t, MAX_EXCERPT_CHARS, deciding=True))
        for n, item in enumerate(raw):
            if n >= MAX_EXCERPTS_PER_CHECK or len(out) >= MAX_EXCERPTS:
                omitted += 1
                continue
            out.append(_excerpt(rec, item, t, MAX_RAW_CHARS if deciding else MAX_EXCERPT_CHARS, deciding=False))
    return tuple(out), omitted


def _excerpt(rec: Row, item: Mapping[str, Any], t: TimeFmt, bound: int, *, deciding: bool) -> EvidenceExcerpt:
    text = redact_text(str(item.get("text", "")))
    at = item.get("at")
    return EvidenceExcerpt(
        check_type=rec.check_type,
        at=t(datetime.fromisoformat(at)) if isinstance(at, str) else "",
        label=str(item.get("label", "")),
        text=text[:bound],
        truncated=len(text) > bound,
        deciding=deciding,
        verdict=rec.verdict,
    )
