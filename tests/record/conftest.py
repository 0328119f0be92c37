"""Storage tests run against both backends: an SQLite file and a throwaway PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from runbook.record.db import init_db, make_engine, open_session


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A database URL on each backend (the PostgreSQL server is started once per session)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'record.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    init_db(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine):
    with open_session(engine) as s:
        yield s
