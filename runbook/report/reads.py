"""The record's rows a postmortem prints, read as plain rows rather than ORM objects.

A 10,000-event incident is the case this module is for. Loading each event as a SQLModel
instance (identity map, attribute instrumentation, a JSON decode of every payload, a regex
parse of every timestamp) took most of an export's time; the document needs none of that.
Each query here selects only the columns the postmortem prints, through SQLAlchemy Core on the
session's own connection (so it reads the same transaction and works on SQLite and PostgreSQL
alike; the events, by the ten thousand, go straight to SQLite's driver on that connection), and:

- the check result a ``check_run`` event refers to is read from its payload in SQL
  (``payload ->> 'check_result_id'``, for check runs only), so payloads are never decoded in Python;
- rows are fetched whole (``Result.all()``: one ``fetchall``), not one ``fetchone`` per row;
- timestamps that the timeline prints by the thousand (events, steps, findings) come back as
  the driver gives them (SQLite: the stored UTC text), and :func:`time_formatter` formats them,
  slicing the stored text when the document is in UTC rather than parsing and re-printing it.

Steps, check results and findings come back as named tuples (attribute access by column name,
like the models they stand in for, at tuple speed: a ``Row``'s attribute lookup costs ten times
an index); events as plain tuples in :data:`EVENT_COLUMNS` order, unpacked in one loop.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, NamedTuple

from sqlalchemy import String, Table, case, func, literal, select, type_coerce
from sqlmodel import Session

from runbook.record.models import CheckRecord, Event, Finding, Step
from runbook.report.timefmt import fmt

#: A selected row: a named tuple below (fields by column name), or an ORM object with those fields.
Row = Any

#: The columns of :func:`events`' tuples, in order.
EVENT_COLUMNS = ("id", "kind", "at", "author", "summary", "automatic", "undone", "check_id")


class StepRow(NamedTuple):
    id: int
    seq: int
    playbook_id: str
    node_id: str
    entered_at: object
    """Stored text (SQLite) or a datetime: :func:`time_formatter` formats either."""
    choice: str | None
    next_node_id: str | None
    automatic: bool
    author: str
    undone: bool


class CheckRow(NamedTuple):
    id: int
    step_id: int | None
    check_type: str
    verdict: str
    summary: str
    error: str | None
    figures: dict[str, Any]
    evidence_raw: object
    """The stored JSON text (SQLite) or the decoded list (PostgreSQL): see :func:`evidence_items`."""
    evidence_count: int
    started_at: object
    """Stored text (SQLite) or a datetime, as for steps: :func:`time_formatter` formats either."""


def evidence_items(check: CheckRow) -> list[dict[str, Any]]:
    """A check's evidence excerpts, decoded only when the appendix quotes them: of a thousand
    checks the appendix shows a few, and decoding every excerpt list was a tenth of the export."""
    raw = check.evidence_raw
    items = json.loads(raw) if isinstance(raw, str) else raw
    return list(items) if isinstance(items, list) else []


class FindingRow(NamedTuple):
    id: int
    kind: str
    tags: list[str]
    author: str
    at: object
    text: str
    step_id: int | None


_EVENT: Table = Event.__table__  # type: ignore[attr-defined]
_STEP: Table = Step.__table__  # type: ignore[attr-defined]
_CHECK: Table = CheckRecord.__table__  # type: ignore[attr-defined]
_FINDING: Table = Finding.__table__  # type: ignore[attr-defined]


def _raw(column: Any, name: str) -> Any:
    # The driver's value, without the ORM type's Python-side parse (SQLite: the stored text).
    return type_coerce(column, String).label(name)


def _decoded(value: object) -> Any:
    """A JSON column read through :func:`_raw`: SQLite's stored text decoded here (an empty list
    or object, the common value, without the parser), PostgreSQL's value as its driver decoded it.
    Two thousand small documents in a large postmortem went through SQLAlchemy's JSON processor,
    a wrapper per value around the same ``json.loads``."""
    if type(value) is not str:
        return value
    if value == "[]":
        return []
    if value == "{}":
        return {}
    return json.loads(value)


def events(incident_id: int, *, session: Session, limit: int | None = None) -> Sequence[Sequence[Any]]:
    """Timeline events in time order (the first ``limit``, or all), undone ones included, as tuples
    of :data:`EVENT_COLUMNS`; ``check_id`` is the payload's ``check_result_id`` (None for most).

    On SQLite the select goes straight to the driver, on the session's connection and inside its
    transaction (as ``runbook.record.search`` does): Core's statement and row machinery cost a
    sixth of reading 10,000 events. ``automatic`` and ``undone`` are then SQLite's 0 and 1, not
    bools (``== 1`` is a bool for either)."""
    if session.get_bind().dialect.name == "sqlite":
        driver = session.connection().connection.driver_connection
        assert driver is not None  # a live connection of the session's transaction
        if limit is None:
            return driver.execute(_EVENTS_SQLITE, (incident_id,)).fetchall()  # type: ignore[no-any-return]
        return driver.execute(_EVENTS_SQLITE + " LIMIT ?", (incident_id, limit)).fetchall()  # type: ignore[no-any-return]
    return events_core(incident_id, session=session, limit=limit)


def events_core(incident_id: int, *, session: Session, limit: int | None = None) -> Sequence[Sequence[Any]]:
    """:func:`events` through SQLAlchemy Core (PostgreSQL; tests compare SQLite's driver path with it)."""
    c = _EVENT.c
    q = (
        select(
            c.id,
            c.kind,
            _raw(c.at, "at"),
            c.author,
            c.summary,
            c.automatic,
            c.undone,
            # Only a check run's payload is decoded (the JSON of every event was a tenth of the read).
            case((c.kind == "check_run", c.payload["check_result_id"].as_integer())).label("check_id"),
        )
        .where(c.incident_id == incident_id)
        .order_by(c.at, c.id)
    )
    if limit is not None:
        q = q.limit(limit)
    return [tuple(r) for r in session.execute(q).all()]  # one fetchall, not a fetchone per row


#: :func:`events_core`'s select for SQLite's driver.
_EVENTS_SQLITE = (
    "SELECT id, kind, at, author, summary, automatic, undone, CASE WHEN kind = 'check_run' "
    "THEN CAST(json_extract(payload, '$.check_result_id') AS INTEGER) END "
    f"FROM {_EVENT.name} WHERE incident_id = ? ORDER BY at, id"
)


def event_count(incident_id: int, *, session: Session) -> int:
    """How many timeline events the incident has (a preview reads only the first few)."""
    c = _EVENT.c
    return int(session.scalar(select(func.count()).select_from(_EVENT).where(c.incident_id == incident_id)) or 0)


def event_authors(incident_id: int, *, session: Session) -> list[str]:
    """Everyone who wrote an event, in order of their first event (ties: the lower event id)."""
    c = _EVENT.c
    q = select(c.author).where(c.incident_id == incident_id).group_by(c.author).order_by(func.min(c.at), func.min(c.id))
    return [a for (a,) in session.execute(q)]


def steps(incident_id: int, *, session: Session) -> list[StepRow]:
    """The path through the playbooks in order, undone steps included."""
    c = _STEP.c
    q = (
        select(
            c.id,
            c.seq,
            c.playbook_id,
            c.node_id,
            _raw(c.entered_at, "entered_at"),
            c.choice,
            c.next_node_id,
            c.automatic,
            c.author,
            c.undone,
        )
        .where(c.incident_id == incident_id)
        .order_by(c.seq)
    )
    return list(map(StepRow._make, session.execute(q).all()))


def check_results(incident_id: int, *, session: Session) -> list[CheckRow]:
    """The incident's check results in time order (the columns a postmortem cites or quotes)."""
    c = _CHECK.c
    sqlite = session.get_bind().dialect.name == "sqlite"
    # SQLite counts the excerpts in SQL (the JSON stays text); PostgreSQL's driver decodes JSON anyway.
    count = func.json_array_length(c.evidence) if sqlite else literal(None)
    q = (
        select(c.id, c.step_id, c.check_type, c.verdict, c.summary, c.error, _raw(c.figures, "figures"))
        .add_columns(_raw(c.evidence, "evidence"), count, _raw(c.started_at, "started_at"))
        .where(c.incident_id == incident_id)
        .order_by(c.started_at, c.id)
    )
    out = []
    for cid, step_id, check_type, verdict, summary, error, figures, raw, n, started in session.execute(q).all():
        if n is None:
            n = len(raw) if isinstance(raw, list) else 0
        figures = _decoded(figures)
        out.append(CheckRow(cid, step_id, check_type, verdict, summary, error, figures, raw, n, started))
    return out


def findings(incident_id: int, *, session: Session) -> list[FindingRow]:
    """The incident's findings in time order."""
    c = _FINDING.c
    q = (
        select(c.id, c.kind, _raw(c.tags, "tags"), c.author, _raw(c.at, "at"), c.text, c.step_id)
        .where(c.incident_id == incident_id)
        .order_by(c.at, c.id)
    )
    return [
        FindingRow(fid, kind, _decoded(tags), author, at, text, step_id)
        for fid, kind, tags, author, at, text, step_id in session.execute(q).all()
    ]


#: Lengths of SQLite's stored timestamps: ``YYYY-MM-DD HH:MM:SS`` with or without ``.ffffff``.
_STORED_LENGTHS = (19, 26)


def time_formatter(zone_info: tzinfo) -> Callable[[object], str]:
    """Format a timestamp as :func:`runbook.report.timefmt.fmt` does, from either a ``datetime``
    or a driver's stored text (naive UTC, as ``runbook.record.models.UtcDateTime`` writes it)."""
    utc = zone_info is UTC

    def t(value: object) -> str:
        if isinstance(value, str):
            if utc and len(value) in _STORED_LENGTHS and value[10] == " ":
                return value[:19]  # already "%Y-%m-%d %H:%M:%S" in UTC: what fmt would print
            value = datetime.fromisoformat(value)
        if value is None or isinstance(value, datetime):
            return fmt(value, zone_info)
        raise TypeError(f"not a timestamp: {value!r}")

    return t
