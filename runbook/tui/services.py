"""What the UI needs from the core, built once and passed in (the tests pass their own).

Everything is created lazily: the first screen must appear before the database is opened or
the playbooks are parsed, so that start-up stays close to a bare Textual app.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from runbook.config import Settings, load_settings


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings = field(default_factory=load_settings)
    check_runner: Callable[..., Any] | None = None
    """Replaces ``runbook.checks.runner.run_check`` (drills plug in a replay runner)."""
    clock: Callable[[], datetime] = _utcnow
    _engine: Any = None
    _content: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def engine(self):
        """The record's SQLAlchemy engine (opened and migrated on first use)."""
        with self._lock:
            if self._engine is None:
                from runbook.record.db import connect

                self._engine = connect(self.settings.db_url)
            return self._engine

    @property
    def content(self):
        """Playbooks, knowledge base and drill scenarios (loaded and validated on first use)."""
        with self._lock:
            if self._content is None:
                from runbook.content import load_content

                self._content = load_content(self.settings)
            return self._content

    def session(self):
        from runbook.record.db import open_session

        return open_session(self.engine)
