"""One place that builds a walk engine from settings, for the CLI, the UI and the tests.

Dependencies are parameters (content, database URL, check runner, observer, clock), so a test
or a drill builds exactly what the CLI builds, with its own pieces swapped in.
"""

from __future__ import annotations

from typing import Any

from runbook.walk.engine import CheckRunner, Clock, WalkEngine
from runbook.walk.observer import WalkObserver


def build_engine(
    content: Any = None,
    *,
    db_url: str | None = None,
    runner: CheckRunner | None = None,
    observer: WalkObserver | None = None,
    clock: Clock | None = None,
    author: str | None = None,
) -> WalkEngine:
    """A ``WalkEngine`` on the configured record (or ``db_url``) and content (loaded if not given)."""
    from runbook.config import load_settings
    from runbook.content import load_content
    from runbook.record.db import connect, open_session

    settings = load_settings()
    content = content if content is not None else load_content(settings, validate=False)
    session = open_session(connect(db_url or settings.db_url))
    return WalkEngine(
        content.library,
        session,
        runner=runner,
        observer=observer,
        clock=clock,
        author=author or settings.author,
        knowledge=content.knowledge,
    )
