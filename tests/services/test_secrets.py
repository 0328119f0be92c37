"""No byte of a secret is ever stored: every path that opens or walks an incident, on SQLite and
on PostgreSQL, and every export of what was recorded.

A variable is secret by its name (``api_token``) or by its value (``user:pass@`` in a URL). The
walk still uses it (the checks run against the URL with its credentials); the record, the timeline,
the evidence and the exports never hold it.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from runbook.cli import main
from runbook.record import repo
from runbook.record.db import connect, open_session
from runbook.record.incidents import open_incident
from runbook.services import build_services

WALK_DATA = Path(__file__).parents[1] / "walk" / "data"


@pytest.fixture
def secret_vars(etcd_server):
    """Secret-looking variables with values unique to this test, and the etcd the walk measures."""
    token = f"tok-{secrets.token_hex(8)}"
    password = f"pw-{secrets.token_hex(8)}"
    host = etcd_server.url.split("://", 1)[1]
    prefix = f"/t/secret-{secrets.token_hex(4)}/"
    lease = etcd_server.grant(2)
    etcd_server.put(f"{prefix}i1", "10.0.0.1:8080", lease)  # expires while the check watches
    return {
        "values": (token, password),
        "vars": [
            f"api_token={token}",
            f"etcd_url=http://admin:{password}@{host}",
            f"service_prefix={prefix}",
            "window_s=3",
        ],
    }


def _var_args(pairs: list[str]) -> list[str]:
    return [arg for pair in pairs for arg in ("--var", pair)]


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _sqlite_bytes(db_path: Path) -> bytes:
    """The database file and its journal/WAL side files, as they are on disk."""
    return b"".join(p.read_bytes() for p in sorted(db_path.parent.glob(db_path.name + "*")))


def _postgres_text(url: str) -> str:
    """Every row of every table of the test database, as text."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                text("select table_name from information_schema.tables where table_schema = 'public'")
            ).scalars()
            return "\n".join(
                str(row) for table in list(tables) for row in conn.execute(text(f'select t::text from "{table}" t'))
            )
    finally:
        engine.dispose()


def _exports(capsys, db: str, incidents: list[str], tmp_path: Path) -> str:
    out = []
    for ref in incidents:
        for fmt in ("md", "html"):
            target = tmp_path / f"{ref}.{fmt}"
            code, _, err = _cli(capsys, "--db", db, "export", ref, "--format", fmt, "-o", str(target))
            assert code == 0, err
            out.append(target.read_text())
    return "\n".join(out)


def _every_path(capsys, monkeypatch, db: str, secret_vars) -> list[str]:
    """incident new, walk, diagnose and drill run through the CLI, each with secret variables."""
    monkeypatch.setenv("RUNBOOK_PLAYBOOKS", str(WALK_DATA))
    var = _var_args(secret_vars["vars"])
    code, out, err = _cli(capsys, "--db", db, "incident", "new", "--title", "t", *var, "--json")
    assert code == 0, err
    opened = json.loads(out)
    assert opened["secret_variables"] == ["api_token", "etcd_url"]
    assert set(opened["variables"]) == {"service_prefix", "window_s"}
    assert "secret, kept for this process only" in err

    # walk and diagnose refuse a variable no playbook uses (api_token) before recording anything,
    # without echoing its value; they are given the playbook's own, one of which carries a password.
    code, out, err = _cli(capsys, "--db", db, "walk", "walktest", "--auto", "--quiet", "--json", *var)
    assert code == 3 and "unknown variable api_token" in err
    assert not any(value in out + err for value in secret_vars["values"])
    var = _var_args([pair for pair in secret_vars["vars"] if not pair.startswith("api_token=")])
    code, out, err = _cli(capsys, "--db", db, "walk", "walktest", "--auto", "--quiet", "--json", *var)
    walked = json.loads(out)
    # The credentials were used: etcd (auth disabled) answers a request that carries them with
    # "invalid auth token", so the verdict is unknown, with the reason and without the password.
    assert code == 2 and "invalid auth token" in out, (out, err)
    assert not any(value in out + err for value in secret_vars["values"])

    code, out, err = _cli(capsys, "--db", db, "diagnose", "--quiet", "--json", *var)
    assert code in (0, 1, 2), err
    diagnosed = json.loads(out)

    code, out, err = _cli(
        capsys,
        "--db",
        db,
        "drill",
        "run",
        "r3-dns-fixed-order",
        "--replay",
        "--auto",
        "--json",
        "--var",
        secret_vars["vars"][0],
    )
    assert code in (0, 1), err
    drilled = json.loads(out)
    return [
        opened["ref"],
        f"INC-{walked['incident_id']:04d}",
        f"INC-{diagnosed['incident_id']:04d}",
        f"INC-{drilled['incident_id']:04d}",
    ]


def test_no_secret_reaches_sqlite_or_an_export(capsys, monkeypatch, tmp_path, secret_vars):
    db_path = tmp_path / "record.db"
    db = f"sqlite:///{db_path}"
    refs = _every_path(capsys, monkeypatch, db, secret_vars)
    raw = _sqlite_bytes(db_path)
    exported = _exports(capsys, db, refs, tmp_path)
    for value in secret_vars["values"]:
        assert value.encode() not in raw
        assert value not in exported
    # the non-secret variables are recorded, so the absence above is not an empty record
    assert secret_vars["vars"][2].split("=", 1)[1].encode() in raw


@pytest.mark.slow
def test_no_secret_reaches_postgres_or_an_export(capsys, monkeypatch, tmp_path, secret_vars, postgres_url):
    refs = _every_path(capsys, monkeypatch, postgres_url, secret_vars)
    dump = _postgres_text(postgres_url)
    exported = _exports(capsys, postgres_url, refs, tmp_path)
    for value in secret_vars["values"]:
        assert value not in dump
        assert value not in exported
    assert secret_vars["vars"][2].split("=", 1)[1] in dump


def test_the_record_refuses_a_secret_from_any_other_path(tmp_path):
    session = open_session(connect(f"sqlite:///{tmp_path / 'r.db'}"))
    with pytest.raises(Exception, match=r"refusing to record secret-looking variables \(api_token\)"):
        repo.create_incident(session=session, title="t", variables={"api_token": "x" * 12})
    opened = open_incident(session=session, title="t", variables={"api_token": "x" * 12, "url": "http://h"})
    assert dict(opened.secrets) == {"api_token": "x" * 12} and opened.incident.variables == {"url": "http://h"}


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("api_token", "abc123", True),
        ("db_password", "pw", True),
        ("etcd_url", "http://admin:hunter2@127.0.0.1:2379", True),
        ("auth_header", "Bearer abcdef123456", True),
        ("probe", "http://h/x?access_key=abcd", True),
        ("metrics_url", "http://127.0.0.1:9090/metrics", False),
        ("author", "alice", False),
        ("service_prefix", "/services/orders/", False),
    ],
)
def test_what_counts_as_secret(name, value, secret):
    from runbook.checks.redact import split_secrets

    stored, kept = split_secrets({name: value})
    assert (name in kept) is secret and (name in stored) is not secret


def test_services_keep_secrets_for_the_process_and_a_resume_asks_again(tmp_path):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    services = build_services(db_url=db)
    opened = services.open_incident("t", variables={"api_token": "abcdefgh", "service_prefix": "/s/"})
    engine = services.walk_engine(opened.id)
    assert engine.variables == {"api_token": "abcdefgh", "service_prefix": "/s/"}
    # another process (a new Services) has the record but not the secret
    other = build_services(db_url=db).walk_engine(opened.id)
    assert other.variables == {"service_prefix": "/s/"}
