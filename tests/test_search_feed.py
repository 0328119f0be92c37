"""Rules, knowledge records and playbook nodes are searchable beside the record."""

import os
import subprocess
import sys

from runbook.config import load_settings
from runbook.playbook.library import Library
from runbook.record.db import connect, open_session
from runbook.record.search import search
from runbook.services.content import load_content
from runbook.services.search_feed import refresh_search_index


def test_knowledge_and_nodes_are_found_and_re_feeding_replaces_them(tmp_path):
    content = load_content(load_settings(), validate=False)
    engine = connect(f"sqlite:///{tmp_path / 'r.db'}")
    with open_session(engine) as s:
        n = refresh_search_index(s, content)
        assert n >= 12 + 3 + sum(len(pb.nodes) for pb in content.library.playbooks.values())
        refs = {(h.kind, h.ref) for h in search("KeepAlive lease", session=s, limit=50)}
        assert ("rule", "R1") in refs
        assert any(kind == "playbook_node" and ref.startswith("p0-1-discovery#") for kind, ref in refs)
        # a playbook that is gone from the files is gone from the index
        content.library = Library(playbooks={})
        refresh_search_index(s, content)
        refs = {(h.kind, h.ref) for h in search("KeepAlive lease", session=s, limit=50)}
        assert ("rule", "R1") in refs
        assert not any(kind == "playbook_node" for kind, _ in refs)


def test_an_unchanged_feed_writes_nothing_and_a_changed_one_is_written(tmp_path):
    from dataclasses import replace

    from sqlalchemy import event

    content = load_content(load_settings(), validate=False)
    engine = connect(f"sqlite:///{tmp_path / 'r.db'}")
    writes: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, *args) -> None:
        if statement.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "BEGIN"):
            writes.append(statement)

    with open_session(engine) as s:
        n = refresh_search_index(s, content)
        assert writes  # the first feed writes the documents
        writes.clear()
        assert refresh_search_index(s, content) == n
        assert not [w for w in writes if not w.startswith("BEGIN") or "IMMEDIATE" in w]  # read only
        rule = content.knowledge.rules["R1"]
        content.knowledge.rules["R1"] = replace(rule, title="Zyxwvut lease rule")
        refresh_search_index(s, content)
        assert [h.ref for h in search("zyxwvut", session=s)] == ["R1"]


def test_search_command_finds_rules_and_incidents(tmp_path):
    env = {**os.environ, "RUNBOOK_DB": f"sqlite:///{tmp_path / 'cli.db'}"}

    def run(*a):
        return subprocess.run(
            [sys.executable, "-m", "runbook", *a],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    assert run("incident", "new", "--title", "CLOSE_WAIT piles up on orders").returncode == 0
    out = run("search", "close_wait").stdout
    assert "INC-0001" in out and "R5" in out
