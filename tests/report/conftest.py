"""Shared fixtures for the report tests: the fixture incident in a temp SQLite record, the
repository's own knowledge base and playbooks, and helpers that read rendered Markdown back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from runbook.knowledge import KnowledgeBase, load_knowledge
from runbook.playbook.library import Library, load_library
from runbook.record.db import connect, open_session

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
#: Set to 1 to rewrite the golden files and docs/examples instead of comparing with them.
REGEN = os.environ.get("RUNBOOK_REGEN_GOLDENS") == "1"


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeBase:
    kb, _errors = load_knowledge([REPO / "incidents"])  # `runbook validate` reports the errors
    return kb


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library([REPO / "playbooks"])


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = connect(f"sqlite:///{tmp_path / 'record.db'}")
    with open_session(engine) as s:
        yield s
    engine.dispose()


def compare_or_write(path: Path, text: str) -> None:
    """Assert ``path`` holds ``text``; with RUNBOOK_REGEN_GOLDENS=1 write it instead."""
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"{path} is missing: run RUNBOOK_REGEN_GOLDENS=1 pytest tests/report"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{path} is out of date: run RUNBOOK_REGEN_GOLDENS=1 pytest tests/report and review the diff"
    )
