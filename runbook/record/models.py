"""Every table of the incident record, in one module.

The record is the raw material of the postmortem and of the knowledge base, so its shape is
kept deliberately plain: integer keys, string-valued enums (validated by the repository, stored
as text so PostgreSQL needs no enum types and migrations stay simple), JSON columns that work on
SQLite and PostgreSQL alike, and timestamps that always come back timezone-aware in UTC.

Every row a process writes carries ``uid``, a client-generated UUID with a UNIQUE index: a write
that is retried (after a crash, a lock timeout, or by a second responder replaying it) finds its
own earlier row instead of adding a duplicate.

Importing this module defines tables; it never creates them (see ``runbook.record.db.init_db``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Dialect, Index, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel

#: Bumped whenever a table changes shape; ``runbook.record.schema`` migrates older databases.
SCHEMA_VERSION = 5


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uid() -> str:
    return str(uuid.uuid4())


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no timezone type and returns naive values; PostgreSQL's ``timestamptz`` returns
    aware ones in the session zone. Both come back as aware UTC so comparisons never mix kinds.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # naive values are taken to be UTC already
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite stores the isoformat text; drop the offset so stored values sort as strings.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _ts(nullable: bool = False) -> Any:
    return Column(UtcDateTime(), nullable=nullable)


def _json(nullable: bool = False) -> Any:
    return Column(JSON(), nullable=nullable)


class Severity(StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class IncidentStatus(StrEnum):
    OPEN = "open"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


class PostmortemStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    REVIEWED = "reviewed"
    CLOSED = "closed"


class EventKind(StrEnum):
    """What a timeline line is about. The repository writes most of these itself."""

    OPENED = "opened"
    NODE_ENTERED = "node_entered"
    CHECK_STARTED = "check_started"
    CHECK_RUN = "check_run"
    CHOICE_TAKEN = "choice_taken"
    STEP_UNDONE = "step_undone"
    CONCLUSION_REACHED = "conclusion_reached"
    FINDING = "finding"
    STATUS_CHANGE = "status_change"
    POSTMORTEM_STATUS = "postmortem_status"
    ACTION_ADDED = "action_added"
    NOTE = "note"
    ALERT = "alert"
    """An Alertmanager notification about the incident's alert group (firing, resolved)."""
    SEVERITY_CHANGE = "severity_change"
    ACTION_UPDATED = "action_updated"
    """An action item edited, done or dropped (adding one is ``action_added``)."""


class FindingKind(StrEnum):
    OBSERVATION = "observation"
    HYPOTHESIS = "hypothesis"
    DECISION = "decision"
    ACTION = "action"


class FindingTag(StrEnum):
    """Postmortem tags: what went well, what went wrong, where we got lucky."""

    WENT_WELL = "went_well"
    WENT_WRONG = "went_wrong"
    LUCKY = "lucky"


class ActionType(StrEnum):
    MITIGATE = "mitigate"
    PREVENT = "prevent"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


def incident_ref(incident_id: int) -> str:
    """The human reference of an incident: ``INC-0007``."""
    return f"INC-{incident_id:04d}"


class Incident(SQLModel, table=True):
    __tablename__ = "incident"
    # The home screen's newest-first page reads the first index backwards and stops at its limit;
    # its unfinished incidents (open, mitigated: never hidden behind the page) come from the second.
    __table_args__ = (
        Index("ix_incident_started_id", "started_at", "id"),
        Index("ix_incident_status_started", "status", "started_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True, max_length=36)
    title: str
    severity: str = Field(default=Severity.P2.value, max_length=2)
    status: str = Field(default=IncidentStatus.OPEN.value, max_length=16)
    service: str = ""
    started_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    """When the impact began (the responder may set it earlier than the record's creation)."""
    detected_at: datetime | None = Field(default=None, sa_column=_ts(True))
    mitigated_at: datetime | None = Field(default=None, sa_column=_ts(True))
    resolved_at: datetime | None = Field(default=None, sa_column=_ts(True))
    closed_at: datetime | None = Field(default=None, sa_column=_ts(True))
    variables: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    """Playbook variables (endpoints, service names) the checks are run with."""
    is_drill: bool = False
    created_by: str = ""
    postmortem_status: str = Field(default=PostmortemStatus.DRAFT.value, max_length=16)
    summary: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    impact: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    detection: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    """How the incident was noticed, in the responders' words; empty: the postmortem derives it
    from the record (the first failing check or finding) and says so."""
    trigger: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    resolution: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    went_well: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    """The responders' own words; tagged findings are listed after them in the postmortem."""
    went_wrong: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    lucky: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    lessons: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))

    @property
    def ref(self) -> str:
        return incident_ref(self.id or 0)


class Step(SQLModel, table=True):
    """One visit of a playbook node; ``seq`` orders the path within the incident."""

    __tablename__ = "step"
    __table_args__ = (
        UniqueConstraint("incident_id", "seq", name="uq_step_incident_seq"),
        # Similar incidents: who walked this node, newest first, without reading other nodes' steps.
        Index("ix_step_node_incident", "playbook_id", "node_id", "incident_id", "undone"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True, max_length=36)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    seq: int
    playbook_id: str
    node_id: str
    entered_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    left_at: datetime | None = Field(default=None, sa_column=_ts(True))
    choice: str | None = None
    """Label of the branch taken when leaving the node (None while still here)."""
    next_node_id: str | None = None
    automatic: bool = False
    """True when a check result chose the branch, False when a person did."""
    author: str = ""
    undone: bool = False
    undone_at: datetime | None = Field(default=None, sa_column=_ts(True))


class Event(SQLModel, table=True):
    """One line of the incident timeline."""

    __tablename__ = "event"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True, max_length=36)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str = Field(max_length=32)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    author: str = ""
    summary: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    """The line as shown on the timeline."""
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    automatic: bool = False
    step_id: int | None = Field(default=None, foreign_key="step.id", index=True)
    undone: bool = False
    """Set when the step this event belongs to was undone (kept, shown struck through)."""


class CheckRecord(SQLModel, table=True):
    """A stored ``runbook.checks.base.CheckResult`` plus where in the incident it was run."""

    __tablename__ = "check_result"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True, max_length=36)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    step_id: int | None = Field(default=None, foreign_key="step.id", index=True)
    playbook_id: str | None = None
    node_id: str | None = None
    check_type: str
    verdict: str = Field(max_length=16)
    summary: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    thresholds: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json())
    started_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    duration_s: float = 0.0
    params: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    """Parameters as run, already redacted by the check runner."""
    error: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))


class Finding(SQLModel, table=True):
    __tablename__ = "finding"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True, max_length=36)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str = Field(default=FindingKind.OBSERVATION.value, max_length=16)
    tags: list[str] = Field(default_factory=list, sa_column=_json())
    author: str = ""
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    text: str = Field(sa_column=Column(Text(), nullable=False))
    step_id: int | None = Field(default=None, foreign_key="step.id")


class ActionItem(SQLModel, table=True):
    __tablename__ = "action_item"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True, max_length=36)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    text: str = Field(sa_column=Column(Text(), nullable=False))
    type: str = Field(default=ActionType.PREVENT.value, max_length=16)
    owner: str | None = None
    due: date | None = None
    status: str = Field(default=ActionStatus.OPEN.value, max_length=16)
    rule: str | None = None
    """Knowledge-base rule id the action enforces, e.g. ``R5``."""
    link: str | None = None
    author: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Conclusion(SQLModel, table=True):
    """A playbook conclusion reached during the incident, with the rules it points at."""

    __tablename__ = "conclusion"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True, max_length=36)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    step_id: int | None = Field(default=None, foreign_key="step.id")
    playbook_id: str | None = None
    node_id: str | None = None
    title: str = ""
    rule_ids: list[str] = Field(default_factory=list, sa_column=_json())
    author: str = ""
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ConclusionRule(SQLModel, table=True):
    """One rule a conclusion named: ``Conclusion.rule_ids`` as rows, so "which incidents
    concluded R1" is an index range (a JSON list cannot be indexed on both backends)."""

    __tablename__ = "conclusion_rule"
    __table_args__ = (Index("ix_conclusion_rule_rule_incident", "rule_id", "incident_id"),)

    id: int | None = Field(default=None, primary_key=True)
    conclusion_id: int = Field(foreign_key="conclusion.id", index=True)
    incident_id: int = Field(foreign_key="incident.id")
    rule_id: str


class AlertWalkState(StrEnum):
    """Where the autopilot walk of an alert's incident is; one receiver claims it."""

    PENDING = "pending"
    RUNNING = "running"
    STOPPED = "stopped"
    """The autopilot stopped where a person is needed (``walk_stop`` says where and why)."""
    FAILED = "failed"


class AlertGroup(SQLModel, table=True):
    """An Alertmanager alert group (its ``groupKey``) and the incident it opened.

    ``group_key`` is UNIQUE: two receivers given the same notification (Alertmanager delivers
    at least once, and teams run two behind an Alertmanager pair) race on this row, and the
    database lets exactly one of them insert it together with its incident.
    """

    __tablename__ = "alert_group"
    __table_args__ = (Index("ix_alert_group_walk", "walk_state", "opened_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_key: str = Field(sa_column=Column(Text(), nullable=False, unique=True))
    incident_id: int = Field(foreign_key="incident.id", index=True)
    receiver: str = ""
    playbook_ref: str = ""
    """``playbook#node`` the alert routed to (triage's start when no playbook matched)."""
    labels: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    """The routed alert's labels, secret-looking ones masked."""
    generator_url: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    status: str = Field(default="firing", max_length=16)
    """The last notification's status: ``firing`` or ``resolved``."""
    walk_state: str = Field(default=AlertWalkState.PENDING.value, max_length=16)
    walk_owner: str = ""
    """The receiver process that claimed the walk (host:pid)."""
    walk_stop: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    opened_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class SearchDoc(SQLModel, table=True):
    """A searchable document: an incident, finding or check summary, a rule, a playbook node.

    Full-text indexes (FTS5 on SQLite, a GIN tsvector index on PostgreSQL) are built over this
    table, so every searchable thing is written here in the same transaction as its source row.
    """

    __tablename__ = "search_doc"
    __table_args__ = (UniqueConstraint("kind", "ref", name="uq_search_doc_kind_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    ref: str
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    title: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    body: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))


class SchemaVersion(SQLModel, table=True):
    """One row: the schema version the database is at."""

    __tablename__ = "schema_version"

    id: int = Field(default=1, primary_key=True)
    version: int
    upgraded_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
