"""Full-text search over the record and the knowledge base: ranked hits with a snippet.

What is searched: every ``search_doc`` row, i.e. incidents, findings and check summaries
(written by the repository in the same transaction as their source), plus whatever the
knowledge-base and playbook owners feed in through :func:`index_documents` (rules, playbook
nodes). Hits belonging to drill incidents are left out unless ``include_drills=True``.

User text is never handed to the query parser as syntax: it is cut into word tokens, and the
tokens are quoted (FTS5) or passed to ``plainto_tsquery`` (PostgreSQL), so ``"``, ``NEAR(``,
``col:`` or ``OR`` in a query are just words and can never raise a syntax error. One piece of
syntax is kept: a ``*`` right after a word makes it a prefix (``keepal*`` finds keepalive), as
FTS5 ``"keepal"*`` or a ``'keepal':*`` lexeme in ``to_tsquery``; the word is still only
word characters, quoted, so nothing else can reach either parser.
All words must match; when no document has them all, any word may (so a stray word does not
empty the list). SQLite ranks with BM25 (title weighted twice the body),
PostgreSQL with ``ts_rank``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, text
from sqlmodel import Session, col

from runbook.record.db import begin_write
from runbook.record.models import SearchDoc, incident_ref
from runbook.record.search_index import PG_TSVECTOR, upsert_doc

if TYPE_CHECKING:
    from sqlalchemy import Row

    #: Result rows of the raw search SQL (columns by position).
    _Rows = Sequence[Row[*tuple[Any, ...]] | tuple[Any, ...]]

#: Kinds the repository writes itself; ``index_documents`` is for the others.
RECORD_KINDS = frozenset({"incident", "finding", "check"})
MAX_TOKENS = 32
_TOKEN = re.compile(r"\w+", re.UNICODE)
_TERM = re.compile(r"(\w+)(\*?)", re.UNICODE)


@dataclass(frozen=True)
class SearchDocument:
    """A document fed to the index by its owner (a rule, a playbook node, ...)."""

    kind: str
    """``rule``, ``playbook_node``, ``kb_incident`` ... (not one of RECORD_KINDS)."""
    ref: str
    """Stable id within the kind: ``R5``, ``registry#keepalive``."""
    title: str
    text: str


@dataclass(frozen=True)
class SearchHit:
    kind: str
    ref: str
    """``INC-0007`` for incidents, the row id for findings/checks, the owner's ref otherwise."""
    title: str
    snippet: str
    """Matched words wrapped in ``[`` ``]``."""
    score: float
    """Higher is better (comparable only within one result list)."""
    incident_id: int | None
    is_drill: bool

    @property
    def incident_ref(self) -> str | None:
        return incident_ref(self.incident_id) if self.incident_id else None


def query_tokens(query: str) -> list[str]:
    """The words of a user's query (punctuation and operators dropped)."""
    return _TOKEN.findall(query.replace("\x00", " "))[:MAX_TOKENS]


def query_terms(query: str) -> list[tuple[str, bool]]:
    """The words of a query, each with whether it is a prefix (a ``*`` right after it)."""
    return [(m[1], bool(m[2])) for m in _TERM.finditer(query.replace("\x00", " "))][:MAX_TOKENS]


def fts5_query(query: str, *, any_word: bool = False) -> str | None:
    """An FTS5 MATCH expression meaning "all these words" (or "any", None if no words)."""
    terms = query_terms(query)
    return _fts5_match(terms, any_word) if terms else None


def _fts5_match(terms: Sequence[tuple[str, bool]], any_word: bool) -> str:
    return (" OR " if any_word else " ").join(f'"{t}"*' if prefix else f'"{t}"' for t, prefix in terms)


def index_documents(docs: Iterable[SearchDocument], *, session: Session, replace_kinds: Iterable[str] = ()) -> int:
    """Add or update documents (by kind + ref) in one transaction; return how many.

    ``replace_kinds``: documents of these kinds that are not in ``docs`` are removed, so a
    loader can re-feed its whole set (e.g. all rules) and deleted ones disappear.
    """
    docs = list(docs)
    reserved = {d.kind for d in docs} & RECORD_KINDS
    if reserved:
        raise ValueError(f"kinds {sorted(reserved)} are written by the record itself")
    begin_write(session)
    try:
        for kind in set(replace_kinds) - RECORD_KINDS:
            keep = [d.ref for d in docs if d.kind == kind]
            session.execute(delete(SearchDoc).where(col(SearchDoc.kind) == kind, col(SearchDoc.ref).not_in(keep)))
        for d in docs:
            upsert_doc(session, kind=d.kind, ref=d.ref, title=d.title, body=d.text)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return len(docs)


def search(
    query: str,
    *,
    session: Session,
    include_drills: bool = False,
    kinds: Iterable[str] | None = None,
    limit: int = 20,
    rank_window: int | None = None,
) -> list[SearchHit]:
    """Ranked hits for ``query`` (best first); an empty list when it has no words.

    ``rank_window`` (SQLite; None = exact): when more documents match than this, rank only the
    newest ``rank_window`` matches plus every knowledge document (rules, playbook nodes: no
    incident) that matches. Exact BM25 must score every match (~2 us each in FTS5), so a word
    found in 10,000 findings costs ~20 ms exact and ~1-2 ms with a window of 500; the price is
    that older findings with such a word can be outranked by newer ones. PostgreSQL always ranks
    exactly: the same window there measured slower (finding the window's bound means fetching
    every match from the heap and sorting the ids, which costs more than ``ts_rank`` saves).
    """
    terms = query_terms(query)
    if not terms:
        return []
    kinds = sorted(set(kinds)) if kinds is not None else None
    pg = session.get_bind().dialect.name == "postgresql"
    # All words first; when nothing has them all, any of them (ranking puts the best first).
    for any_word in (False, True) if len(terms) > 1 else (False,):
        if pg:
            rows = _search_pg(session, terms, any_word, include_drills, kinds, limit)
        else:
            rows = _search_sqlite(session, _fts5_match(terms, any_word), include_drills, kinds, limit, rank_window)
        if rows:
            break
    session.commit()  # end the read transaction
    return [
        SearchHit(
            kind=r[0], ref=r[1], title=r[2], snippet=r[3], score=float(r[4]), incident_id=r[5], is_drill=bool(r[6])
        )
        for r in rows
    ]


def _drill_filter(doc: str) -> str:
    return f"(:drills OR {doc}.incident_id IS NULL OR i.is_drill = :false)"


def _kind_filter(kinds: list[str] | None, params: dict[str, Any], doc: str = "d") -> str:
    if kinds is None:
        return ""
    names = []
    for n, kind in enumerate(kinds):
        params[f"k{n}"] = kind
        names.append(f":k{n}")
    return f" AND {doc}.kind IN ({', '.join(names) or 'NULL'})"


def _search_sqlite(
    session: Session, match: str, drills: bool, kinds: list[str] | None, limit: int, window: int | None
) -> _Rows:
    params: dict[str, Any] = {"q": match, "drills": drills, "false": False, "limit": limit}
    kind_sql = _kind_filter(kinds, params)
    if window is not None and limit > 0:
        # The (window+1)-th newest match: walking the doclist in rowid order costs no ranking.
        params["w"] = max(0, window)
        bound = _run(
            session,
            "SELECT rowid FROM search_fts WHERE search_fts MATCH :q ORDER BY rowid DESC LIMIT 1 OFFSET :w",
            params,
        )
        lo = bound[0][0] if bound else None
        if lo is not None:
            params["lo"] = lo
            # A rowid bound is an index constraint for FTS5: only the newest matches are ranked.
            rows = _ranked(session, "search_fts.rowid > :lo", kind_sql, params)
            if len(rows) == limit:  # fewer: the filters ate the window, only the exact query is sure
                return _with_knowledge(session, rows, params, kind_sql)
    return _ranked(session, "1", kind_sql, params)


#: Extra matches ranked when a filter (drills, kinds) may drop some of the best ones.
_SLACK = 20
#: From this many matches on, FTS5 ranks in SQLite's top-n sorter instead of sorting them all.
_MANY = 2000


def _ranked(session: Session, rowid_cond: str, kind_sql: str, params: dict[str, Any]) -> _Rows:
    """The best ``limit`` matches passing the filters, best first.

    FTS5 ranks and cuts first, in a statement of its own shaped like a bare ``ORDER BY
    bm25(...) LIMIT n`` (SQLite's top-n sorter keeps n rows and computes a snippet only for a
    row that enters it; as a subquery of the join it measured 5x slower); the documents and
    the filters are then read for those n rows only. When the filters leave fewer than
    ``limit`` of them and more matches exist, the filtered query ranks every match instead.
    """
    filtered = not params["drills"] or bool(kind_sql)
    params = {**params, "inner": params["limit"] + (_SLACK if filtered else 0), "many": _MANY}
    # Few matches (no _MANY-th one in rowid order, a walk that ranks nothing): FTS5's own rank
    # sort and snippets for the returned rows only beat the top-n sorter's extra snippets.
    if not _run(
        session,
        f"SELECT 1 FROM search_fts WHERE search_fts MATCH :q AND {rowid_cond} ORDER BY rowid DESC LIMIT 1 OFFSET :many",
        params,
    ):
        return _run(session, _sqlite_rank_sql(rowid_cond, kind_sql), params)
    top = _run(
        session,
        f"SELECT search_fts.rowid, {_SCORE} AS s, {_SNIPPET} FROM search_fts "
        f"WHERE search_fts MATCH :q AND {rowid_cond} ORDER BY s LIMIT :inner",
        params,
    )
    if not top:
        return []
    ids = ", ".join(str(int(r[0])) for r in top)  # integers the database just gave
    docs = {
        r[0]: r[1:]
        for r in _run(
            session,
            "SELECT d.id, d.kind, d.ref, d.title, d.incident_id, COALESCE(i.is_drill, 0) FROM search_doc d "
            f"LEFT JOIN incident i ON i.id = d.incident_id WHERE d.id IN ({ids}) AND {_drill_filter('d')}{kind_sql}",
            params,
        )
    }
    rows: list[tuple[Any, ...]] = []
    for rowid, score, snip in top:
        if rowid in docs:
            kind, ref, title, incident_id, drill = docs[rowid]
            rows.append((kind, ref, title, snip, -score, incident_id, drill))
    if filtered and len(rows) < params["limit"] and len(top) == params["inner"]:
        return _run(session, _sqlite_sql(rowid_cond, kind_sql), params)  # more matches may pass
    return rows[: params["limit"]]


def _run(session: Session, sql: str, params: dict[str, Any]) -> _Rows:
    # Straight to the driver (sqlite3 takes :name parameters itself), on the session's
    # connection and inside its transaction: the ORM's statement machinery costs ~0.3 ms a
    # call and Core's result objects ~0.1 ms more, as much as the FTS5 query of a rare word.
    driver = session.connection().connection.driver_connection
    assert driver is not None  # a live connection of the session's transaction
    rows: list[tuple[Any, ...]] = driver.execute(sql, params).fetchall()
    return rows


def _with_knowledge(session: Session, rows: _Rows, params: dict[str, Any], kind_sql: str) -> _Rows:
    """Window hits merged with the matching knowledge documents (no incident) older than the window."""
    # Knowledge is fed in batches, so its ids sit in a few narrow ranges: bounding the rowid to
    # the knowledge id range (an FTS5 index constraint) skips most of the findings' doclist.
    ((kmin, kmax),) = _run(session, "SELECT min(id), max(id) FROM search_doc WHERE incident_id IS NULL", {})
    if kmin is None or kmin > params["lo"]:
        return rows
    params = {**params, "kmin": kmin, "kmax": min(kmax, params["lo"])}
    # "+" keeps the membership test a filter (not one FTS5 lookup per id), and sorting outside
    # FTS5 ranks only the rows that pass; same index as the window, so the scores compare.
    known = _run(
        session,
        _sqlite_sql(
            "search_fts.rowid >= :kmin AND search_fts.rowid <= :kmax AND +search_fts.rowid IN "
            "(SELECT id FROM search_doc WHERE incident_id IS NULL)",
            kind_sql,
        ),
        params,
    )
    return sorted([*rows, *known], key=lambda r: -r[4])[: params["limit"]]


_SCORE = "bm25(search_fts, 2.0, 1.0)"  # search_index.SQLITE_RANK: the title weighs twice the body
_SNIPPET = "snippet(search_fts, -1, '[', ']', '...', 16)"


def _sqlite_rank_sql(rowid_cond: str, kind_sql: str) -> str:
    # ORDER BY rank hands the sort to FTS5 (the bm25 weights are the table's rank setting); rows
    # leave it best first, so snippet(), the join and the drill filter run only until LIMIT.
    return (
        f"SELECT d.kind, d.ref, d.title, {_SNIPPET}, -search_fts.rank AS score, d.incident_id, "
        "COALESCE(i.is_drill, 0) FROM search_fts JOIN search_doc d ON d.id = search_fts.rowid "
        "LEFT JOIN incident i ON i.id = d.incident_id "
        f"WHERE search_fts MATCH :q AND {rowid_cond} AND {_drill_filter('d')}{kind_sql} "
        "ORDER BY search_fts.rank LIMIT :limit"  # no tie-break: it would defeat the FTS5 rank fast path
    )


def _sqlite_sql(rowid_cond: str, kind_sql: str) -> str:
    """The filtered query: the filters on every match, then the sort (only rows that pass are
    ranked), for filters that keep few rows."""
    return (
        f"SELECT d.kind, d.ref, d.title, {_SNIPPET}, -{_SCORE} AS score, d.incident_id, COALESCE(i.is_drill, 0) "
        "FROM search_fts JOIN search_doc d ON d.id = search_fts.rowid "
        "LEFT JOIN incident i ON i.id = d.incident_id "
        f"WHERE search_fts MATCH :q AND {rowid_cond} AND {_drill_filter('d')}{kind_sql} "
        "ORDER BY score DESC LIMIT :limit"
    )


def _search_pg(
    session: Session, terms: list[tuple[str, bool]], any_word: bool, drills: bool, kinds: list[str] | None, limit: int
) -> _Rows:
    tokens = [t for t, _ in terms]
    if any(prefix for _, prefix in terms):
        # Each term a quoted lexeme (only word characters inside), ``:*`` on the prefixes.
        lexemes = [f"'{t}':*" if prefix else f"'{t}'" for t, prefix in terms]
        words, parser = (" | " if any_word else " & ").join(lexemes), "to_tsquery"
    elif any_word:  # tokens are bare words, so websearch syntax can only ever mean "this or that"
        words, parser = " or ".join(tokens), "websearch_to_tsquery"
    else:
        words, parser = " ".join(tokens), "plainto_tsquery"
    params: dict[str, Any] = {"q": words, "drills": drills, "false": False, "limit": limit}
    # Rank and cut first, then build headlines only for the hits that are returned.
    sql = (
        f"WITH q AS (SELECT {parser}('english', :q) AS q), "
        "top AS (SELECT search_doc.id, ts_rank(" + PG_TSVECTOR + ", q.q) AS score, "
        "COALESCE(i.is_drill, false) AS drill "
        "FROM search_doc CROSS JOIN q LEFT JOIN incident i ON i.id = search_doc.incident_id "
        f"WHERE {PG_TSVECTOR} @@ q.q AND {_drill_filter('search_doc')}"
        f"{_kind_filter(kinds, params, 'search_doc')} "
        "ORDER BY score DESC, search_doc.id LIMIT :limit) "
        "SELECT d.kind, d.ref, d.title, ts_headline('english', d.title || ' ' || d.body, q.q, "
        "'StartSel=[, StopSel=], MaxWords=20, MinWords=6, MaxFragments=2, FragmentDelimiter=\" ... \"'), "
        "top.score, d.incident_id, top.drill "
        "FROM top JOIN search_doc d ON d.id = top.id CROSS JOIN q ORDER BY top.score DESC, d.id"
    )
    return session.execute(text(sql), params).all()


def all_documents(*, session: Session, kind: str | None = None) -> list[SearchDoc]:
    """The indexed documents (for checks and tooling)."""
    q = select(SearchDoc).order_by(col(SearchDoc.kind), col(SearchDoc.ref))
    if kind is not None:
        q = q.where(col(SearchDoc.kind) == kind)
    return list(session.scalars(q))
