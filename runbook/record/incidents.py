"""Opening an incident: the one path every face takes, where secrets are split off.

The CLI (``incident new``, ``walk``, ``diagnose``), the UI's start form, the drills and the alert
receiver all open incidents here. Variables whose name or value says they are credentials go back
to the caller, to be used by this process only; the record (shared on PostgreSQL, exported into
postmortems) never holds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from runbook.checks.redact import split_secrets
from runbook.record import repo
from runbook.record.models import Incident


@dataclass(frozen=True)
class OpenedIncident:
    """A new incident and the secrets that were kept out of it."""

    incident: Incident
    secrets: Mapping[str, Any] = field(default_factory=dict)
    """Secret variables: for this process's checks only, never written anywhere."""

    @property
    def id(self) -> int:
        assert self.incident.id is not None
        return self.incident.id


def open_incident(
    *,
    session: Session,
    title: str,
    severity: str = "P2",
    service: str = "",
    variables: Mapping[str, Any] | None = None,
    is_drill: bool = False,
    author: str | None = None,
    started_at: datetime | None = None,
) -> OpenedIncident:
    """Open an incident with its safe variables recorded and its secrets handed back."""
    stored, secrets = split_secrets(variables or {})
    inc = repo.create_incident(
        session=session,
        title=title,
        severity=severity,
        service=service,
        variables=stored,
        is_drill=is_drill,
        author=author,
        started_at=started_at,
    )
    return OpenedIncident(inc, secrets)
