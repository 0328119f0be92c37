"""Read-side views of the record: one incident with everything in it, and plain-data exports.

The postmortem generator, ``runbook incident show`` and the TUI all need "the whole incident";
:func:`load_record` reads it in one go into a frozen :class:`RecordedIncident`. ``to_data``
turns any record row into JSON-ready data (ISO timestamps, plain lists) for ``--json`` output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel

from runbook.record import repo
from runbook.record.models import ActionItem, CheckRecord, Conclusion, Event, Finding, Incident, Step


@dataclass(frozen=True)
class RecordedIncident:
    """Everything recorded about one incident, each list in time order."""

    incident: Incident
    events: tuple[Event, ...]
    steps: tuple[Step, ...]
    """All steps including undone ones (``Step.undone`` tells them apart)."""
    checks: tuple[CheckRecord, ...]
    findings: tuple[Finding, ...]
    actions: tuple[ActionItem, ...]
    conclusions: tuple[Conclusion, ...]

    @property
    def path(self) -> tuple[Step, ...]:
        """The steps that count: the walk as it stands after undos."""
        return tuple(s for s in self.steps if not s.undone)

    @property
    def current_step(self) -> Step | None:
        path = self.path
        return path[-1] if path else None


def load_record(incident_id: int | str, *, session: Session) -> RecordedIncident:
    inc = repo.get_incident(incident_id, session=session)
    iid = inc.id
    assert iid is not None  # a stored row has its id
    record = RecordedIncident(
        incident=inc,
        events=tuple(repo.timeline(iid, session=session)),
        steps=tuple(repo.steps(iid, session=session, include_undone=True)),
        checks=tuple(repo.check_results(iid, session=session)),
        findings=tuple(repo.findings(iid, session=session)),
        actions=tuple(repo.action_items(iid, session=session)),
        conclusions=tuple(repo.conclusions(iid, session=session)),
    )
    session.commit()
    return record


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_data(row: SQLModel) -> dict[str, Any]:
    """A row as JSON-ready data; incidents also get their ``ref``."""
    data = {name: _plain(getattr(row, name)) for name in type(row).model_fields}
    if isinstance(row, Incident):
        data = {"ref": row.ref, **data}
    return data


def record_to_data(record: RecordedIncident) -> dict[str, Any]:
    return {
        "incident": to_data(record.incident),
        "timeline": [to_data(e) for e in record.events],
        "steps": [to_data(s) for s in record.steps],
        "checks": [to_data(c) for c in record.checks],
        "findings": [to_data(f) for f in record.findings],
        "actions": [to_data(a) for a in record.actions],
        "conclusions": [to_data(c) for c in record.conclusions],
    }
