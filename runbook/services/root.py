"""The composition root: what every face (CLI, UI, drills, tests) gets from the core.

``cli.main`` builds one :class:`Services` from the settings and hands it to the command handler
or to ``make_app``; tests and drills build it the same way with their own pieces (database URL,
check runner, clock). Each use case is one method here, the only path its faces take:
open an incident, build a walk engine, render a postmortem, search, similar incidents.

Everything heavy is created on first use: the UI's first screen must appear before the database
is opened or the playbooks are parsed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbook.config import Settings, load_settings

if TYPE_CHECKING:
    # Types only: importing the record, the content or the walk engine at start-up would cost the
    # UI its first paint (they are imported where they are used).
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from runbook.record.incidents import OpenedIncident
    from runbook.record.lifecycle import ProposedAction
    from runbook.record.models import ActionItem, Incident
    from runbook.record.search import SearchHit
    from runbook.record.similar import SimilarIncident
    from runbook.services.content import Content
    from runbook.services.lifecycle import ActionChange
    from runbook.walk.engine import CheckRunner, WalkEngine
    from runbook.walk.observer import WalkObserver


def utcnow() -> datetime:
    return datetime.now(UTC)


class SecretVault:
    """Secret variables by incident, for this process only (never written anywhere).

    A resumed incident whose secrets are not here has its checks ask for them again.
    """

    def __init__(self) -> None:
        self._by_incident: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def keep(self, incident_id: int, secrets: Mapping[str, Any]) -> None:
        if secrets:
            with self._lock:
                self._by_incident.setdefault(incident_id, {}).update(secrets)

    def get(self, incident_id: int) -> dict[str, Any]:
        with self._lock:
            return dict(self._by_incident.get(incident_id, {}))


@dataclass
class Services:
    """Settings, record, content, check runner and clock, built once per process."""

    settings: Settings
    check_runner: CheckRunner | None = None
    """Replaces ``runbook.checks.runner.run_check`` (tests and replay drills plug in their own)."""
    clock: Callable[[], datetime] = utcnow
    secrets: SecretVault = field(default_factory=SecretVault)
    _engine: Engine | None = None
    _content: Content | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- owned resources -----------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The record's SQLAlchemy engine (opened and migrated on first use)."""
        with self._lock:
            if self._engine is None:
                from runbook.record.db import connect

                self._engine = connect(self.settings.db_url)
            return self._engine

    @property
    def content(self) -> Content:
        """Playbooks, knowledge base and drill scenarios (loaded and validated on first use)."""
        with self._lock:
            if self._content is None:
                from runbook.services.content import load_content

                self._content = load_content(self.settings)
            return self._content

    @property
    def content_loaded(self) -> bool:
        return self._content is not None

    def session(self) -> Session:
        """A new session on the record: one per thread or task, never shared between them."""
        from runbook.record.db import open_session

        return open_session(self.engine)

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        with self.session() as session:
            yield session

    def close(self) -> None:
        """Dispose of the database engine (its pool's connections)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    # -- use cases -----------------------------------------------------------------------------

    def open_incident(
        self,
        title: str,
        *,
        severity: str = "P2",
        service: str = "",
        variables: Mapping[str, Any] | None = None,
        is_drill: bool = False,
    ) -> OpenedIncident:
        """Open an incident: safe variables recorded, secrets kept in this process's vault."""
        from runbook.record.incidents import open_incident

        with self.session() as session:
            opened = open_incident(
                session=session,
                title=title,
                severity=severity,
                service=service,
                variables=variables,
                is_drill=is_drill,
                author=self.settings.author,
            )
        self.secrets.keep(opened.id, opened.secrets)
        return opened

    # -- the incident's life: status, severity, narrative, action items (services/lifecycle.py) --

    def incident(self, incident: int | str) -> Incident:
        """The incident row, read on a session of its own."""
        from runbook.services import lifecycle

        return lifecycle.incident(self, incident)

    def set_status(self, incident: int | str, status: str, *, note: str = "", at: datetime | None = None) -> Incident:
        """Move the incident to ``status``, stamping that milestone now (or ``at``)."""
        from runbook.services import lifecycle

        return lifecycle.set_status(self, incident, status, note=note, at=at)

    def set_severity(self, incident: int | str, severity: str) -> Incident:
        from runbook.services import lifecycle

        return lifecycle.set_severity(self, incident, severity)

    def save_narrative(self, incident: int | str, sections: Mapping[str, str]) -> Incident:
        """Write postmortem sections (summary, impact ... ``runbook.record.narrative.NARRATIVE``)."""
        from runbook.services import lifecycle

        return lifecycle.save_narrative(self, incident, sections)

    def proposed_actions(self, incident: int | str) -> list[ProposedAction]:
        """What the incident's conclusions propose, each marked once a responder accepted it."""
        from runbook.services import lifecycle

        return lifecycle.proposed_actions(self, incident)

    def accept_action(self, incident: int | str, key: str, change: ActionChange | None = None) -> ActionItem:
        from runbook.services import lifecycle

        return lifecycle.accept_action(self, incident, key, change)

    def add_action(self, incident: int | str, change: ActionChange) -> ActionItem:
        from runbook.services import lifecycle

        return lifecycle.add_action(self, incident, change)

    def edit_action(self, action_id: int, change: ActionChange) -> ActionItem:
        from runbook.services import lifecycle

        return lifecycle.edit_action(self, action_id, change)

    def action_items(self, incident: int | str) -> list[ActionItem]:
        from runbook.services import lifecycle

        return lifecycle.action_items(self, incident)

    def walk_engine(
        self,
        incident_id: int | str | None = None,
        *,
        observer: WalkObserver | None = None,
        runner: CheckRunner | None = None,
    ) -> WalkEngine:
        """A walk engine on its own session, bound to ``incident_id`` (with its secrets) if given."""
        from runbook.walk.engine import WalkEngine

        content = self.content
        engine = WalkEngine(
            content.library,
            self.session(),
            runner=runner or self.check_runner,
            observer=observer,
            clock=self.clock,
            author=self.settings.author,
            knowledge=content.knowledge,
        )
        if incident_id is not None:
            engine.resume(incident_id)
            assert engine.incident_id is not None
            engine.bind(engine.incident_id, secrets=self.secrets.get(engine.incident_id))
        return engine

    def engine_factory(self) -> Callable[..., WalkEngine]:
        """``factory(runner=..., observer=...)``: how the drills build their walk engines."""

        def build(*, runner: CheckRunner | None = None, observer: WalkObserver | None = None) -> WalkEngine:
            return self.walk_engine(runner=runner, observer=observer)

        return build

    def postmortem(
        self,
        incident: int | str,
        *,
        fmt: str = "md",
        template: str | Path | None = None,
        tz: str = "UTC",
    ) -> str:
        """The postmortem of ``incident`` as Markdown, HTML or JSON (the template's context).

        Knowledge records are linked under the settings' ``knowledge_url``, else embedded: the
        text does not depend on where it will be written.
        """
        from runbook.services.postmortems import postmortem_text

        return postmortem_text(self, incident, fmt=fmt, template=template, tz=tz)

    def render_knowledge_example(self, record_id: str, *, fmt: str = "md", template: str | Path | None = None) -> str:
        """A knowledge-base P0 record rendered as a postmortem (the worked examples)."""
        from runbook.services.postmortems import knowledge_text

        return knowledge_text(self, record_id, fmt=fmt, template=template)

    def search(
        self,
        query: str,
        *,
        include_drills: bool = False,
        kinds: Sequence[str] | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        """Full-text search over the record and the knowledge base (re-fed from files first)."""
        from runbook.record.search import search
        from runbook.services.search_feed import refresh_search_index

        with self.session() as session:
            refresh_search_index(session, self.content)
            return search(query, session=session, include_drills=include_drills, kinds=kinds, limit=limit)

    def similar_incidents(
        self, node_ref: str, *, exclude: int | None = None, limit: int | None = 10
    ) -> list[SimilarIncident]:
        """What happened the last times someone stood at ``node_ref`` (the first ``limit``): the
        walk engine's lookup, on a session of its own (safe from a worker thread)."""
        from runbook.record import repo
        from runbook.record.similar import similar_incidents

        content = self.content
        with self.session() as session:
            # What ``WalkEngine.similar`` asks, without rebuilding the asking incident's walk
            # (only its playbook, for a bare node id, and whether it is a drill are needed).
            drill = False
            if exclude is not None:
                drill = repo.get_incident(exclude, session=session).is_drill
                if "#" not in node_ref and (step := repo.current_step(exclude, session=session)) is not None:
                    node_ref = f"{step.playbook_id}#{node_ref}"
            node = content.library.node(node_ref)
            kb = content.knowledge
            return similar_incidents(
                session=session,
                rules=node.conclusion.rules if node.conclusion else (),
                nodes=[(node.playbook, node.id)],
                knowledge=kb.incidents.values() if kb is not None else (),
                exclude=exclude,
                drill=drill,
                limit=limit,
            )


def build_services(
    settings: Settings | None = None,
    *,
    db_url: str | None = None,
    check_runner: Callable[..., Any] | None = None,
    clock: Callable[[], datetime] | None = None,
    content: Content | None = None,
) -> Services:
    """The one way to build :class:`Services`: from settings (read once here) plus overrides.

    ``content``: already loaded content to share (tests parse the shipped playbooks once).
    """
    settings = settings or load_settings(db_url=db_url)
    if db_url and settings.db_url != db_url:
        from dataclasses import replace

        settings = replace(settings, db_url=db_url)
    return Services(settings=settings, check_runner=check_runner, clock=clock or utcnow, _content=content)
