"""Benchmark: full-text search against a ``LIKE '%q%'`` scan over 100,000 findings.

Builds a record with N findings (generated responder-style sentences: a Zipf-distributed
vocabulary of 5,000 words plus Go-incident jargon), then runs the same queries both ways in one
run and prints p50/p95 latency of each and the ratio:

- FTS: ``runbook.record.search.search`` (ranked, with snippets; FTS5 on SQLite, tsvector GIN
  on PostgreSQL);
- LIKE: ``SELECT ... FROM finding WHERE text LIKE '%q%' ORDER BY at DESC LIMIT 20`` (what a
  search without an index has to do: read every row).

Usage: ``python bench/search.py [--findings 100000] [--queries 200] [--url URL]``
(default: a temporary SQLite file).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402

from runbook.record import repo  # noqa: E402
from runbook.record.db import init_db, make_engine, open_session  # noqa: E402
from runbook.record.models import Event, Finding, SearchDoc  # noqa: E402
from runbook.record.search import search  # noqa: E402

JARGON = ("etcd lease keepalive ttl watcher goroutine pprof close_wait fd socket grpc unavailable "
          "fallback breaker halfopen histogram bucket p99 latency cardinality label trace span header "
          "propagator dns resolver roundrobin ringhash consul registry snapshot merkle zap sampler sink "
          "timeout retry backoff probe jitter gc pause cold start deploy rollback canary").split()


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
                findings.append({"id": i + 1, "uid": uid, "incident_id": inc.id, "kind": "observation",
                                 "tags": [], "author": "bench", "at": at, "text": sentence})
                docs.append({"kind": "finding", "ref": str(i + 1), "incident_id": inc.id, "title": "observation",
                             "body": sentence})
                events.append({"uid": uid, "incident_id": inc.id, "kind": "finding", "at": at, "author": "bench",
                               "summary": sentence, "payload": {}, "automatic": False, "undone": False})
            conn.execute(insert(Finding), findings)
            conn.execute(insert(SearchDoc), docs)
            conn.execute(insert(Event), events)
    return df


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="runs per query; the median counts")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = tempfile.TemporaryDirectory(prefix="runbook-bench-")
    url = args.url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    engine = make_engine(url)
    init_db(engine)
    words = vocabulary(rng)
    t0 = time.perf_counter()
    df = populate(engine, args.findings, rng, words)
    print(f"backend {engine.dialect.name}: {args.findings} findings loaded in {time.perf_counter() - t0:.1f}s")
    if engine.dialect.name == "postgresql":
        # What autovacuum would do after a bulk load: merge the GIN pending list, gather stats.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    # Queries by how many findings hold the word: what a responder types is mostly specific
    # (an error string, a port, a component), sometimes a word found in thousands of findings.
    bands = {"rare (<=100 docs)": (1, 100, 0.6), "medium (101-1000)": (101, 1000, 0.3),
             "common (1001-10000)": (1001, 10_000, 0.1)}
    queries: list[tuple[str, str]] = []
    for band, (lo, hi, share) in bands.items():
        pool = sorted(w for w, n in df.items() if lo <= n <= hi)
        queries += [(band, rng.choice(pool)) for _ in range(round(args.queries * share))] if pool else []
    rng.shuffle(queries)
    like_sql = text("SELECT id, text FROM finding WHERE text LIKE :q ORDER BY at DESC LIMIT 20")
    fts_s: dict[str, list[float]] = {b: [] for b in bands}
    like_s: dict[str, list[float]] = {b: [] for b in bands}
    with open_session(engine) as s:
        search(queries[0][1], session=s)  # warm caches for both
        s.execute(like_sql, {"q": f"%{queries[0][1]}%"}).all()
        gc.collect()
        gc.disable()  # a collection inside one timing is noise, not search cost
        for band, q in queries:  # side by side, interleaved, so both see the same machine state
            # Median of a few runs per query: other processes on a shared machine add spikes
            # that would otherwise decide the p95.
            fts_s[band].append(statistics.median(
                timed(lambda q=q: search(q, session=s, limit=20)) for _ in range(args.repeat)))
            like_s[band].append(statistics.median(
                timed(lambda q=q: s.execute(like_sql, {"q": f"%{q}%"}).all()) for _ in range(args.repeat)))
        gc.enable()
        s.commit()
    print(f"{len(queries)} single-word queries (median of {args.repeat} runs each); "
          "ranked FTS with snippets vs LIKE scan, limit 20")
    print(f"{'band':<22}{'n':>5}{'FTS p50':>10}{'FTS p95':>10}{'LIKE p50':>10}{'LIKE p95':>10}"
          f"{'x p50':>8}{'x p95':>8}")
    every_fts = [t for b in bands for t in fts_s[b]]
    every_like = [t for b in bands for t in like_s[b]]
    for band, f, lk in [*((b, fts_s[b], like_s[b]) for b in bands if fts_s[b]), ("all", every_fts, every_like)]:
        f50, f95, l50, l95 = pct(f, 50), pct(f, 95), pct(lk, 50), pct(lk, 95)
        print(f"{band:<22}{len(f):>5}{f50 * 1e3:>9.2f}m{f95 * 1e3:>9.2f}m{l50 * 1e3:>9.2f}m{l95 * 1e3:>9.2f}m"
              f"{l50 / f50:>7.0f}x{l95 / f95:>7.0f}x")
    print("(ms; x = LIKE time / FTS time; aim: >= 50x at p95)")
    engine.dispose()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
