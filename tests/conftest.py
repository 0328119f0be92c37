"""Shared test set-up: every module in tests/fixtures/ (other than proc.py) is a pytest plugin.

Server fixtures (etcd, Prometheus, dnsmasq, NSD, nginx, PostgreSQL, gRPC, misbehaving Python
servers) live there, one module per server, so any test directory can use them.
"""

from pathlib import Path

pytest_plugins = sorted(
    f"tests.fixtures.{p.stem}"
    for p in (Path(__file__).parent / "fixtures").glob("*.py")
    if p.stem not in {"__init__", "proc"} and not p.stem.startswith("_")
)

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user's data, config or database."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for name in ("RUNBOOK_DB", "RUNBOOK_PLAYBOOKS", "RUNBOOK_INCIDENTS", "RUNBOOK_CONFIG", "RUNBOOK_TEMPLATES"):
        monkeypatch.delenv(name, raising=False)
