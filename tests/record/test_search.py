"""Search on both backends: ranking, snippets, drill exclusion, fed documents, hostile queries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbook.checks.base import CheckResult, Verdict
from runbook.record import repo
from runbook.record.search import SearchDocument, fts5_query, index_documents, search


@pytest.fixture
def filled(session):
    real = repo.create_incident(session=session, title="Trace IDs lost between services", service="gateway")
    drill = repo.create_incident(session=session, title="Drill: etcd lease expiry", is_drill=True)
    repo.add_finding(
        real.id, "The header X-Trace-Id was canonicalised and the peer looked for X-Trace-ID", session=session
    )
    repo.add_finding(real.id, "Histogram buckets too wide around p99 latency", session=session)
    repo.add_finding(drill.id, "etcd lease keepalive stream cancelled by a watcher context", session=session)
    repo.add_check_result(
        real.id,
        CheckResult(
            check_type="header_propagation",
            verdict=Verdict.FAIL,
            summary="trace header dropped by the proxy",
            figures={},
            thresholds={},
            evidence=(),
            started_at=datetime.now(UTC),
            duration_s=0.1,
            params={},
        ),
        session=session,
    )
    index_documents(
        [
            SearchDocument(
                "rule",
                "R1",
                "One lease, one keep-alive stream",
                "Start etcd lease KeepAlive once per process; a lease manager re-grants the lease.",
            ),
            SearchDocument(
                "rule",
                "R11",
                "One canonical trace header spelling",
                "CanonicalHeaderKey turns x-trace-id into X-Trace-Id; peers must agree.",
            ),
            SearchDocument(
                "playbook_node",
                "tracing#header",
                "Is the trace header forwarded?",
                "Send the trace header in each spelling and see which survive.",
            ),
        ],
        session=session,
    )
    return real, drill


def test_ranked_hits_with_snippets(session, filled) -> None:
    real, _ = filled
    hits = search("trace header", session=session)
    kinds = {(h.kind, h.ref) for h in hits}
    assert ("rule", "R11") in kinds and ("playbook_node", "tracing#header") in kinds
    assert ("incident", real.ref) not in kinds  # incident title has "trace" but not "header"
    assert all("[" in h.snippet and "]" in h.snippet for h in hits)
    assert hits == sorted(hits, key=lambda h: -h.score)
    # the title counts: the node titled with both words beats a finding that merely mentions them
    assert hits[0].kind in {"playbook_node", "rule", "check"}
    check = next(h for h in hits if h.kind == "check")
    assert check.incident_id == real.id and check.incident_ref == real.ref
    assert "[header]" in check.snippet.lower() or "[trace]" in check.snippet.lower()


def test_stemming_and_incident_hits(session, filled) -> None:
    real, _ = filled
    hits = search("services losing traces", session=session)  # stems: servic, lose/lost? trace
    assert real.ref in [h.ref for h in hits if h.kind == "incident"]
    assert [h.ref for h in search("trace services", session=session) if h.kind == "incident"] == [real.ref]


def test_drills_excluded_unless_asked(session, filled) -> None:
    _, drill = filled
    assert [h for h in search("lease", session=session) if h.incident_id == drill.id] == []
    assert [h.kind for h in search("lease", session=session)] == ["rule"]
    with_drills = search("lease", session=session, include_drills=True)
    assert {h.kind for h in with_drills if h.incident_id == drill.id} == {"incident", "finding"}
    assert all(h.is_drill for h in with_drills if h.incident_id == drill.id)


def test_kinds_filter_and_replace(session, filled) -> None:
    assert {h.kind for h in search("trace", session=session, kinds=["rule"])} == {"rule"}
    index_documents(
        [SearchDocument("rule", "R11", "Renamed rule about trace", "only this text now")],
        session=session,
        replace_kinds=["rule"],
    )
    rules = search("trace", session=session, kinds=["rule"])
    assert [(h.ref, h.title) for h in rules] == [("R11", "Renamed rule about trace")]
    assert search("manager", session=session) == []  # R1 was removed by the replace
    with pytest.raises(ValueError, match="written by the record itself"):
        index_documents([SearchDocument("finding", "1", "x", "y")], session=session)


def test_updates_reach_the_index(session, filled) -> None:
    real, _ = filled
    assert search("zanzibar", session=session) == []
    repo.update_incident(real.id, summary="zanzibar cluster overloaded", session=session)
    assert [h.ref for h in search("zanzibar", session=session)] == [real.ref]


HOSTILE = [
    '"',
    '""',
    "'",
    "*",
    "trace*",
    "NEAR(trace header)",
    "title:trace",
    "AND",
    "OR trace",
    "NOT",
    "-trace",
    "^trace",
    "(trace",
    "trace)",
    "x AND (y OR",
    "\x00trace",
    "🔥 trace 🔥",
    "%",
    "_",
    "'; DROP TABLE incident; --",
    "a" * 5000,
    " ",
    "",
    "{trace header}",
    "trace:*",
    "!trace",
    "&|",
    "\\",
    "trace\nheader",
    "<b>trace</b>",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(session, filled, query: str) -> None:
    hits = search(query, session=session)
    assert isinstance(hits, list)
    if "trace" in query:
        assert hits, query  # the words still match
    assert repo.get_incident(filled[0].id, session=session)  # and the record is intact


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_any_text_is_a_valid_query(session, query: str) -> None:
    assert isinstance(search(query, session=session), list)


@given(st.text(max_size=80))
def test_fts5_query_only_quotes_words(query: str) -> None:
    q = fts5_query(query)
    if q is not None:
        parts = q.split(" ")
        words = [p.removesuffix("*") for p in parts]  # a prefix term is "word"*
        assert all(w.startswith('"') and w.endswith('"') and '"' not in w[1:-1] for w in words)


def test_a_star_after_a_word_makes_it_a_prefix_on_both_backends(session, filled) -> None:
    assert fts5_query('keepal* "x" *') == '"keepal"* "x"'
    # the drill's "keepalive" finding and R1's "KeepAlive" (a prefix of the stemmed word "keepal")
    assert {h.kind for h in search("keepa*", session=session, include_drills=True)} == {"finding", "rule"}
    assert search("keepa", session=session, include_drills=True) == []
    assert [h.title for h in search("histo*", session=session)] == ["observation"]
    assert search("histo", session=session) == []
    hits = search("canonical* head*", session=session)  # R11 and the "canonicalised" header finding
    assert sorted(h.kind for h in hits) == ["finding", "rule"] and "R11" in {h.ref for h in hits}
    assert search("* ** *", session=session) == []  # stars alone are no words
    assert fts5_query("x*y* **z") == '"x"* "y"* "z"'


def _sqlite(session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


@pytest.fixture
def crowded(session):
    """A rule fed first, then an old finding that is the best "lease" match, then many weaker ones."""
    index_documents([SearchDocument("rule", "R1", "Lease keep-alive", "One lease per process.")], session=session)
    real = repo.create_incident(session=session, title="Registry outage")
    drill = repo.create_incident(session=session, title="Drill: registry", is_drill=True)
    best = repo.add_finding(real.id, "lease lease lease", session=session)
    for n in range(12):
        repo.add_finding(real.id, f"the lease number {n} expired after the registry restarted", session=session)
    for n in range(4):  # the newest matches belong to a drill
        repo.add_finding(drill.id, f"drill lease {n} expired while the registry restarted", session=session)
    return real, drill, best


def test_rank_window_same_as_exact_when_it_covers_all_matches(session, crowded) -> None:
    exact = search("lease", session=session, limit=5)
    assert search("lease", session=session, limit=5, rank_window=1000) == exact
    assert search("lease expired", session=session, limit=5, rank_window=100) == search(
        "lease expired", session=session, limit=5
    )


def test_rank_window_ranks_newest_matches_and_all_knowledge(session, crowded) -> None:
    _, _, best = crowded
    exact = search("lease", session=session, limit=3)
    assert {(h.kind, h.ref) for h in exact[:2]} == {("rule", "R1"), ("finding", str(best.id))}
    hits = search("lease", session=session, limit=3, rank_window=8, include_drills=True)
    if not _sqlite(session):
        assert hits == search("lease", session=session, limit=3, include_drills=True)  # exact on PostgreSQL
        return
    assert ("rule", "R1") in [(h.kind, h.ref) for h in hits]  # older knowledge still competes (and wins)
    assert str(best.id) not in [h.ref for h in hits]  # the price: an old finding outside the window
    assert hits == sorted(hits, key=lambda h: -h.score) and len(hits) == 3
    assert all("[lease]" in h.snippet.lower() for h in hits)


def test_rank_window_keeps_filters_and_falls_back_when_they_empty_it(session, crowded) -> None:
    _, drill, _ = crowded
    # The window (4 newest matches) holds only drill findings: without drills it is empty,
    # so the exact query answers and real findings are still found.
    hits = search("lease", session=session, limit=3, rank_window=4)
    assert len(hits) == 3 and not any(h.is_drill or h.incident_id == drill.id for h in hits)
    assert hits == search("lease", session=session, limit=3)
    only_rules = search("lease", session=session, kinds=["rule"], rank_window=2)
    assert [(h.kind, h.ref) for h in only_rules] == [("rule", "R1")]
    with_drills = search("lease", session=session, limit=3, rank_window=4, include_drills=True)
    assert len(with_drills) == 3
    if _sqlite(session):  # the window is the drill's findings; the rule competes from outside it
        assert ("rule", "R1") in [(h.kind, h.ref) for h in with_drills]
        assert {h.incident_id for h in with_drills if h.kind == "finding"} == {drill.id}
        assert all(h.is_drill for h in with_drills if h.kind == "finding")


def test_hostile_queries_never_raise_with_a_window(session, filled) -> None:
    for query in HOSTILE:
        hits = search(query, session=session, rank_window=1, limit=2)
        assert isinstance(hits, list) and (hits or "trace" not in query), query


def test_sqlite_plans_keep_the_fts5_rank_sort(session, filled) -> None:
    if not _sqlite(session):
        pytest.skip("FTS5 query plans")
    from sqlalchemy import text

    from runbook.record.search import _sqlite_rank_sql

    params = {"q": '"trace"', "lo": 1, "drills": False, "false": False, "limit": 20}
    for cond in ("1", "search_fts.rowid > :lo"):
        sql = "EXPLAIN QUERY PLAN " + _sqlite_rank_sql(cond, "")
        plan = " | ".join(r[3] for r in session.execute(text(sql), params))
        # Few matches: FTS5 consumes ORDER BY rank (no temp b-tree): snippets and joins run only up to LIMIT.
        assert "SCAN search_fts VIRTUAL TABLE" in plan and "TEMP B-TREE" not in plan, plan
        assert ("M2>" in plan) == (cond != "1"), plan  # the window bound is an FTS5 index constraint
    session.commit()


@pytest.mark.parametrize("slack", [0, 20])
def test_many_matches_path_ranks_the_same_hits(session, crowded, monkeypatch, slack: int) -> None:
    """Past _MANY matches FTS5 ranks in SQLite's top-n sorter and the filters run after it;
    the answers are the ones FTS5's rank sort gives (slack 0: the filters eat the top rows and
    the filtered query takes over)."""
    if not _sqlite(session):
        pytest.skip("the SQLite ranking paths")
    import runbook.record.search as search_module

    queries = [
        ("lease", {}),
        ("lease", {"include_drills": True}),
        ("lease", {"kinds": ["rule"]}),
        ("lease expired", {"limit": 3}),
        ("registry restarted", {"include_drills": True, "limit": 5}),
        ("lease", {"limit": 4, "rank_window": 6}),
    ]

    def answers() -> list[list[tuple[str, str, float, str]]]:
        out = []
        for q, kw in queries:
            hits = search(q, session=session, **kw)
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
            out.append(sorted((h.kind, h.ref, round(h.score, 9), h.snippet) for h in hits))
        return out

    few = answers()
    monkeypatch.setattr(search_module, "_MANY", 1)
    monkeypatch.setattr(search_module, "_SLACK", slack)
    assert answers() == few
    assert any(few)
