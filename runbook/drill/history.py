"""Drill history and the leaderboard per scenario, read back from the record.

Each scored drill leaves a ``note`` event with a ``drill_score`` payload on its drill incident
(see ``session.finish_drill``); nothing else is stored, so the history survives exactly as
long as the record does and works on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runbook.drill.scoring import Score


@dataclass(frozen=True)
class HistoryEntry:
    scenario: str
    incident_id: int
    responder: str
    mode: str
    at: datetime
    score: Score

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "incident_id": self.incident_id,
            "responder": self.responder,
            "mode": self.mode,
            "at": self.at.isoformat(),
            "score": self.score.to_dict(),
        }


def drill_history(*, session: Any, scenario: str | None = None) -> list[HistoryEntry]:
    """Every scored drill (newest first), optionally of one scenario."""
    from runbook.record import repo
    from runbook.record.models import EventKind

    session.commit()  # end any open read transaction: see drills other processes recorded since
    out: list[HistoryEntry] = []
    for inc in repo.list_incidents(session=session, include_drills=True):
        if not inc.is_drill or inc.id is None:
            continue
        for ev in repo.timeline(inc.id, session=session):
            data = ev.payload or {}
            if ev.kind != EventKind.NOTE.value or "drill_score" not in data:
                continue
            if scenario is not None and data.get("scenario") != scenario:
                continue
            out.append(
                HistoryEntry(
                    scenario=str(data.get("scenario")),
                    incident_id=inc.id,
                    responder=inc.created_by,
                    mode=str(data.get("mode", "")),
                    at=ev.at,
                    score=Score.from_dict(data["drill_score"]),
                )
            )
    return out


def leaderboard(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    """Best first: higher total, then faster diagnosis, then earlier."""
    return sorted(
        entries,
        key=lambda e: (
            -e.score.total,
            e.score.seconds_to_diagnosis if e.score.seconds_to_diagnosis is not None else float("inf"),
            e.at,
        ),
    )
