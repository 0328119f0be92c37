"""Walk-engine fixtures: a temp SQLite record per test, the test playbook library, an engine factory."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook.config import shipped_incidents_dir, shipped_playbooks_dir
from runbook.playbook.library import Library, load_library
from runbook.record.db import connect, open_session

DATA = Path(__file__).parent / "data"


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'record.db'}"


@pytest.fixture
def session(db_url):
    s = open_session(connect(db_url))
    yield s
    s.close()


@pytest.fixture(scope="session")
def test_library() -> Library:
    """Only ``tests/walk/data`` (the ``walktest`` playbook on the real etcd_lease_keepalive check)."""
    lib = load_library([DATA])
    assert not lib.errors, lib.errors
    return lib


@pytest.fixture(scope="session")
def shipped_library() -> Library:
    """The shipped playbooks (triage, P0-1..3)."""
    return load_library([shipped_playbooks_dir()])


@pytest.fixture(scope="session")
def knowledge():
    from runbook.knowledge import load_knowledge

    kb, _errors = load_knowledge([shipped_incidents_dir()])
    return kb


@pytest.fixture
def make_engine(session):
    from runbook.walk.engine import WalkEngine

    def make(library: Library, **kwargs) -> WalkEngine:
        return WalkEngine(library, session, author="tester", **kwargs)

    return make


@pytest.fixture
def expiring_lease(etcd_server, unique_prefix):
    """One instance registered on a 2 s lease that nobody renews: it expires during the check."""
    lease = etcd_server.grant(2)
    etcd_server.put(f"{unique_prefix}i1", "10.0.0.1:8080", lease)
    return {"etcd_url": etcd_server.url, "service_prefix": unique_prefix}


@pytest.fixture
def healthy_lease(etcd_server):
    """One instance on a 3 s lease renewed every TTL/3 by a keep-alive thread, like clientv3."""
    import secrets

    from tests.fixtures.etcd_server import LeaseKeeper

    unique_prefix = f"/t/healthy-{secrets.token_hex(4)}/"
    lease = etcd_server.grant(3)
    etcd_server.put(f"{unique_prefix}i1", "10.0.0.1:8080", lease)
    with LeaseKeeper(etcd_server, lease, 1.0):
        yield {"etcd_url": etcd_server.url, "service_prefix": unique_prefix}
    etcd_server.revoke(lease)
