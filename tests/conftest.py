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
