"""Benchmark: full-text search against a ``LIKE '%q%'`` scan over 100,000 findings.

Builds a record with N findings (generated responder-style sentences: a Zipf-distributed
vocabulary of 5,000 words plus Go-incident jargon), then runs the same queries both ways in one
run and prints p50/p95 latency of each and the ratio:

- FTS exact: ``runbook.record.search.search`` (ranked, with snippets; FTS5 on SQLite, tsvector
  GIN on PostgreSQL), every match scored;
- FTS window: the same with ``rank_window=N`` (SQLite): a word matching more than N documents
  has only its N newest matches (and the knowledge documents) ranked; "top-20 kept" is the
  share of the exact top 20 that the windowed top 20 still holds (the price of the window);
- LIKE: ``SELECT ... FROM finding WHERE text LIKE '%q%' ORDER BY at DESC LIMIT 20`` (what a
  search without an index has to do: read every row).

The record also holds 150 knowledge documents (rules, playbook nodes) fed before the findings,
as ``runbook search`` does on a real record.

Usage: ``python bench/search.py [--findings 100000] [--queries 150] [--window 500] [--url URL]``
(default: a temporary SQLite file).

``--scale`` (SQLite): the team-scale mode (:func:`scale_main`): 10,000 incidents holding
1,000,000 events, every event past each incident's walk a finding (~910,000 searchable
findings), built with bulk inserts by ``bench/record_scale.py``'s builder; ``--keep`` caches the
file under ``/tmp/runbook-bench-cache/``. Compared with the raw FTS5 floor instead of LIKE.
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # record_scale.py, the bulk builder

from sqlalchemy import insert, text

from runbook.record import repo
from runbook.record.db import init_db, make_engine, open_session
from runbook.record.models import Event, Finding, SearchDoc
from runbook.record.search import SearchDocument, index_documents, search

JARGON = [
    "etcd",
    "lease",
    "keepalive",
    "ttl",
    "watcher",
    "goroutine",
    "pprof",
    "close_wait",
    "fd",
    "socket",
    "grpc",
    "unavailable",
    "fallback",
    "breaker",
    "halfopen",
    "histogram",
    "bucket",
    "p99",
    "latency",
    "cardinality",
    "label",
    "trace",
    "span",
    "header",
    "propagator",
    "dns",
    "resolver",
    "roundrobin",
    "ringhash",
    "consul",
    "registry",
    "snapshot",
    "merkle",
    "zap",
    "sampler",
    "sink",
    "timeout",
    "retry",
    "backoff",
    "probe",
    "jitter",
    "gc",
    "pause",
    "cold",
    "start",
    "deploy",
    "rollback",
    "canary",
]


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set(JARGON)
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(4, 10))))
    others = sorted(words - set(JARGON))
    rng.shuffle(others)
    # Jargon sits in the middle of the frequency range (ranks 300..): the terms responders
    # search for are specific, not the "the/and" of the corpus.
    return others[:300] + list(JARGON) + others[300:]


def populate(engine, n: int, rng: random.Random, words: list[str]) -> Counter:
    """Load n findings (with their events and search documents); return each word's document count."""
    df: Counter = Counter()
    cum, total = [], 0.0
    for i in range(len(words)):  # Zipf: a few words are everywhere, most are rare
        total += 1 / (i + 1)
        cum.append(total)
    with open_session(engine) as s:
        inc = repo.create_incident(session=s, title="bench incident")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch = 5000
    with engine.begin() as conn:
        for lo in range(0, n, batch):
            findings, docs, events = [], [], []
            for i in range(lo, min(n, lo + batch)):
                chosen = rng.choices(words, cum_weights=cum, k=rng.randint(8, 20))
                df.update(set(chosen))
                sentence = " ".join(chosen)
                at = start + timedelta(seconds=i)
                uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                findings.append(
                    {
                        "id": i + 1,
                        "uid": uid,
                        "incident_id": inc.id,
                        "kind": "observation",
                        "tags": [],
                        "author": "bench",
                        "at": at,
                        "text": sentence,
                    }
                )
                docs.append(
                    {
                        "kind": "finding",
                        "ref": str(i + 1),
                        "incident_id": inc.id,
                        "title": "observation",
                        "body": sentence,
                    }
                )
                events.append(
                    {
                        "uid": uid,
                        "incident_id": inc.id,
                        "kind": "finding",
                        "at": at,
                        "author": "bench",
                        "summary": sentence,
                        "payload": {},
                        "automatic": False,
                        "undone": False,
                    }
                )
            conn.execute(insert(Finding), findings)
            conn.execute(insert(SearchDoc), docs)
            conn.execute(insert(Event), events)
    return df


def feed_knowledge(engine, rng: random.Random, words: list[str], n: int = 150) -> None:
    """Rules and playbook nodes, fed first (low ids), worded from the same vocabulary."""
    docs = [
        SearchDocument(
            "rule" if i < 12 else "playbook_node",
            f"K{i}",
            " ".join(rng.choices(words[:2000], k=4)),
            " ".join(rng.choices(words[:2000], k=rng.randint(20, 60))),
        )
        for i in range(n)
    ]
    with open_session(engine) as s:
        index_documents(docs, session=s)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> int:
    if "--scale" in sys.argv[1:]:
        return scale_main([a for a in sys.argv[1:] if a != "--scale"])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=5, help="runs per query (median and min are reported)")
    ap.add_argument("--window", type=int, default=500, help="rank_window of the windowed FTS runs")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = tempfile.TemporaryDirectory(prefix="runbook-bench-")
    url = args.url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    engine = make_engine(url)
    init_db(engine)
    words = vocabulary(rng)
    t0 = time.perf_counter()
    feed_knowledge(engine, random.Random(args.seed + 1), words)
    df = populate(engine, args.findings, rng, words)
    print(f"backend {engine.dialect.name}: {args.findings} findings loaded in {time.perf_counter() - t0:.1f}s")
    if engine.dialect.name == "postgresql":
        # What autovacuum would do after a bulk load: merge the GIN pending list, gather stats.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    # Queries by how many findings hold the word: what a responder types is mostly specific
    # (an error string, a port, a component), sometimes a word found in thousands of findings.
    bands = {
        "rare (<=100 docs)": (1, 100, 0.6),
        "medium (101-1000)": (101, 1000, 0.3),
        "common (1001-10000)": (1001, 10_000, 0.1),
    }
    queries: list[tuple[str, str]] = []
    for band, (lo, hi, share) in bands.items():
        pool = sorted(w for w, n in df.items() if lo <= n <= hi)
        queries += [(band, rng.choice(pool)) for _ in range(round(args.queries * share))] if pool else []
    rng.shuffle(queries)
    like_sql = text("SELECT id, text FROM finding WHERE text LIKE :q ORDER BY at DESC LIMIT 20")
    runs: dict[str, dict[str, list[list[float]]]] = {v: {b: [] for b in bands} for v in ("exact", "window", "like")}
    kept: dict[str, list[float]] = {b: [] for b in bands}
    with open_session(engine) as s:
        search(queries[0][1], session=s)  # warm caches for all three
        search(queries[0][1], session=s, rank_window=args.window)
        s.execute(like_sql, {"q": f"%{queries[0][1]}%"}).all()
        gc.collect()
        gc.disable()  # a collection inside one timing is noise, not search cost
        for band, q in queries:  # side by side, interleaved, so all see the same machine state
            # Several runs per query: other processes on a shared machine add spikes that would
            # otherwise decide the p95 (see the two summaries below).
            runs["exact"][band].append([timed(lambda q=q: search(q, session=s, limit=20)) for _ in range(args.repeat)])
            runs["window"][band].append(
                [timed(lambda q=q: search(q, session=s, limit=20, rank_window=args.window)) for _ in range(args.repeat)]
            )
            runs["like"][band].append(
                [timed(lambda q=q: s.execute(like_sql, {"q": f"%{q}%"}).all()) for _ in range(args.repeat)]
            )
            exact = {(h.kind, h.ref) for h in search(q, session=s, limit=20)}
            windowed = {(h.kind, h.ref) for h in search(q, session=s, limit=20, rank_window=args.window)}
            kept[band].append(len(exact & windowed) / len(exact) if exact else 1.0)
        gc.enable()
        s.commit()
    print(
        f"{len(queries)} single-word queries ({args.repeat} runs each), limit 20; ranked FTS with snippets, "
        f"exact and with rank_window={args.window}, vs LIKE scan"
    )
    for stat in ("median", "min"):
        reduce = statistics.median if stat == "median" else min
        print(f"\n{stat} of the {args.repeat} runs of each query:")
        print(
            f"{'band':<21}{'n':>4}{'exact p50':>10}{'p95':>8}{'window p50':>11}{'p95':>8}{'LIKE p50':>9}"
            f"{'p95':>8}{'x p95 exact':>12}{'x p95 win':>10}{'top-20 kept':>12}"
        )
        per = {v: {b: [reduce(r) for r in runs[v][b]] for b in bands} for v in runs}
        rows = [(b, per["exact"][b], per["window"][b], per["like"][b], kept[b]) for b in bands if kept[b]]
        rows.append(
            (
                "all",
                *([t for b in bands for t in per[v][b]] for v in ("exact", "window", "like")),
                [k for b in bands for k in kept[b]],
            )
        )
        for band, e, w, lk, kp in rows:
            ms = [pct(v, p) * 1e3 for v in (e, w, lk) for p in (50, 95)]
            print(
                f"{band:<21}{len(e):>4}{ms[0]:>9.2f}m{ms[1]:>7.2f}m{ms[2]:>10.2f}m{ms[3]:>7.2f}m{ms[4]:>8.1f}m"
                f"{ms[5]:>7.1f}m{ms[5] / ms[1]:>11.0f}x{ms[5] / ms[3]:>9.0f}x{statistics.mean(kp):>11.0%}"
            )
    print(
        "(ms; x = LIKE time / FTS time; aim: >= 50x at p95; top-20 kept: share of the exact top 20 "
        "still in the windowed top 20)"
    )
    engine.dispose()
    tmp.cleanup()
    return 0


# -- team scale: 10,000 incidents, 1,000,000 events, against the raw FTS5 floor --------------------

#: The bands of the query mix: (name, share of the queries, how the query is made).
SCALE_BANDS = (
    ("rare (<=1k docs)", 0.25),
    ("medium (1k-10k)", 0.2),
    ("common (10k-100k)", 0.15),
    ("very common (>100k)", 0.1),
    ("phrase (2-3 words)", 0.15),
    ("prefix (word*)", 0.15),
)


def _zipf_sentence(words: list[str], df: Counter):
    cum, total = [], 0.0
    for i in range(len(words)):
        total += 1 / (i + 1)
        cum.append(total)

    def sentence(rng: random.Random) -> str:
        chosen = rng.choices(words, cum_weights=cum, k=rng.randint(8, 20))
        df.update(set(chosen))
        return " ".join(chosen)

    return sentence


def _scale_record(args: argparse.Namespace, words: list[str]) -> tuple[Path, Counter, float]:
    """The big record (built, or reused from the cache with --keep) and each word's finding count."""
    import json

    from record_scale import BUILDER_VERSION, CACHE, build_record

    from runbook.record.models import SCHEMA_VERSION

    key = f"search-i{args.incidents}-e{args.events}-w{len(words)}-seed{args.seed}-s{SCHEMA_VERSION}-b{BUILDER_VERSION}"
    folder = CACHE if args.keep else Path(tempfile.mkdtemp(prefix="runbook-bench-"))
    path, dfs = folder / f"{key}.db", folder / f"{key}.df.json"
    if path.exists() and dfs.exists():
        return path, Counter(json.loads(dfs.read_text())), 0.0
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    df: Counter = Counter()
    t0 = time.perf_counter()
    build_record(
        partial,
        incidents=args.incidents,
        events=args.events,
        finding_share=1.0,
        seed=args.seed,
        sentence=_zipf_sentence(words, df),
    )
    engine = make_engine(f"sqlite:///{partial}")
    init_db(engine)
    feed_knowledge(engine, random.Random(args.seed + 1), words)  # the newest documents, as a re-feed makes them
    engine.dispose()
    built = time.perf_counter() - t0
    dfs.write_text(json.dumps(df))
    partial.rename(path)
    return path, df, built


def _scale_queries(args: argparse.Namespace, df: Counter, docs: int, s) -> list[tuple[str, str]]:
    rng = random.Random(args.seed + 2)
    pools = {
        "rare (<=1k docs)": sorted(w for w, n in df.items() if 1 <= n <= 1000),
        "medium (1k-10k)": sorted(w for w, n in df.items() if 1000 < n <= 10_000),
        "common (10k-100k)": sorted(w for w, n in df.items() if 10_000 < n <= 100_000),
        "very common (>100k)": sorted(w for w, n in df.items() if n > 100_000),
    }
    queries: list[tuple[str, str]] = []
    for band, share in SCALE_BANDS:
        n = max(1, round(args.queries * share))
        if band in pools:
            queries += [(band, rng.choice(pools[band])) for _ in range(n)] if pools[band] else []
        elif band.startswith("phrase"):
            # What a responder pastes: 2-3 neighbouring words of a finding (all words must match).
            ids = rng.sample(range(1, docs), n)
            for i in ids:
                (body,) = s.execute(text("SELECT body FROM search_doc WHERE id = :i"), {"i": i}).one()
                parts = body.split()
                k = rng.randint(2, 3)
                at = rng.randrange(0, max(1, len(parts) - k))
                queries.append((band, " ".join(parts[at : at + k])))
        else:  # the first 3-5 letters of a medium or common word, as typed so far
            pool = pools["medium (1k-10k)"] + pools["common (10k-100k)"]
            for _ in range(n):
                w = rng.choice([w for w in pool if len(w) >= 5] or pool)
                queries.append((band, w[: rng.randint(3, min(5, len(w) - 1))] + "*"))
    rng.shuffle(queries)
    return queries


def scale_main(argv: list[str]) -> int:
    from runbook.record.search import fts5_query

    ap = argparse.ArgumentParser(description="search at team scale against the raw FTS5 floor")
    ap.add_argument("--incidents", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--vocabulary", type=int, default=50_000, help="words (a Zipf long tail makes rare words)")
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3, help="runs per query (the median is reported)")
    ap.add_argument("--window", type=int, default=500, help="rank_window of the windowed runs")
    ap.add_argument("--keep", action="store_true", help="keep the built record under /tmp/runbook-bench-cache")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    words = vocabulary(random.Random(args.seed), args.vocabulary)
    path, df, built = _scale_record(args, words)
    engine = make_engine(f"sqlite:///{path}")
    init_db(engine)
    with engine.connect() as conn:
        counts = {
            t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
            for t in ("incident", "event", "finding", "search_doc")
        }
    how = f"built in {built:.1f}s" if built else "reused from the cache (--keep)"
    print(f"record: {path} ({how}); rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    # The floors: FTS5 alone on the same index and the same MATCH expression search() builds,
    # rowids only (no join, no snippet, no drill filter). As the aim words it: ORDER BY bm25(...)
    # (the weights search() uses); and FTS5's rank fast path, which search() itself takes.
    floor_bm25 = "SELECT rowid FROM search_fts WHERE search_fts MATCH :q ORDER BY bm25(search_fts, 2.0, 1.0) LIMIT 20"
    floor_rank = "SELECT rowid FROM search_fts WHERE search_fts MATCH :q ORDER BY rank LIMIT 20"
    variants = ("exact", "window", "floor bm25", "floor rank")
    with open_session(engine) as s:
        queries = _scale_queries(args, df, counts["search_doc"], s)
        s.commit()
        # The floor's own connection: the sqlite3 module, no SQLAlchemy in between.
        raw = sqlite3.connect(path)

        def floor(sql: str, q: str) -> None:
            match = fts5_query(q)
            if match is not None:
                raw.execute(sql, {"q": match}).fetchall()

        run = {
            "exact": lambda q: search(q, session=s, limit=20),
            "window": lambda q: search(q, session=s, limit=20, rank_window=args.window),
            "floor bm25": lambda q: floor(floor_bm25, q),
            "floor rank": lambda q: floor(floor_rank, q),
        }
        bands = [b for b, _ in SCALE_BANDS]
        times: dict[str, dict[str, list[list[float]]]] = {v: {b: [] for b in bands} for v in variants}
        kept: dict[str, list[float]] = {b: [] for b in bands}
        for v in variants:  # warm the page cache and the statement caches
            run[v](queries[0][1])
        gc.collect()
        gc.disable()
        t0 = time.perf_counter()
        for band, q in queries:
            per: dict[str, list[float]] = {v: [] for v in variants}
            for _ in range(args.repeat):
                for v in variants:  # interleaved: every variant sees the same machine state
                    per[v].append(timed(lambda v=v, q=q: run[v](q)))
            for v in variants:
                times[v][band].append(per[v])
            exact = {(h.kind, h.ref) for h in search(q, session=s, limit=20)}
            windowed = {(h.kind, h.ref) for h in search(q, session=s, limit=20, rank_window=args.window)}
            kept[band].append(len(exact & windowed) / len(exact) if exact else 1.0)
        gc.enable()
        s.commit()
        raw.close()
    print(
        f"{len(queries)} queries, {args.repeat} interleaved runs each, limit 20, "
        f"in {time.perf_counter() - t0:.0f}s. exact = runbook.record.search.search (ranked, snippets, joins, "
        f"drill filter); window = the same with rank_window={args.window}; floors: raw FTS5 on the same index "
        "and MATCH, rowids only, ORDER BY bm25(search_fts, 2.0, 1.0) (the aim's floor) and ORDER BY rank"
    )
    for stat, reduce in (("median", statistics.median), ("best", min)):
        print(f"\n{stat} of the {args.repeat} runs of each query:")
        print(
            f"{'band':<21}{'n':>4}{'exact p50':>10}{'p95':>8}{'window p50':>11}{'p95':>8}{'bm25 p50':>9}{'p95':>8}"
            f"{'rank p50':>9}{'p95':>8}{'exact/bm25':>11}{'exact/rank':>11}{'win/bm25':>9}{'kept':>6}"
        )
        per_q = {v: {b: [reduce(r) for r in times[v][b]] for b in bands} for v in variants}
        rows = [(b, [per_q[v][b] for v in variants], kept[b]) for b in bands if kept[b]]
        rows.append(
            ("all", [[t for b in bands for t in per_q[v][b]] for v in variants], [k for b in bands for k in kept[b]])
        )
        for band, series, kp in rows:
            ms = [pct(v, p) * 1e3 for v in series for p in (50, 95)]
            print(
                f"{band:<21}{len(series[0]):>4}{ms[0]:>9.2f}m{ms[1]:>7.2f}m{ms[2]:>10.2f}m{ms[3]:>7.2f}m"
                f"{ms[4]:>8.2f}m{ms[5]:>7.2f}m{ms[6]:>8.2f}m{ms[7]:>7.2f}m{ms[1] / ms[5]:>10.2f}x"
                f"{ms[1] / ms[7]:>10.2f}x{ms[3] / ms[5]:>8.2f}x{statistics.mean(kp):>6.0%}"
            )
    print(
        "(ms; ratios are p95 / p95 of the floor; aim: exact/bm25 <= 1.5x; kept: share of the exact top 20 "
        "still in the windowed top 20)"
    )
    engine.dispose()
    if not args.keep:  # the temporary folder _scale_record built in (never the cache)
        shutil.rmtree(path.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
