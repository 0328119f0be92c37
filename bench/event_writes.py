"""Benchmark: timeline event writes with one commit per event, on SQLite.

Every event is committed the moment it happens (that is the durability promise), so the write
rate a responder's process can sustain is the per-commit rate. Measured side by side in one run:

- ``add_event`` as shipped: WAL, ``synchronous=FULL`` (fsync per commit), ``BEGIN IMMEDIATE``,
  uid lookup for idempotency;
- the same with ``synchronous=NORMAL`` (survives a process kill, not a power cut);
- a floor for comparison: the same events in ONE transaction (what durability costs).

Usage: ``python bench/event_writes.py [--events 2000] [--dir DIR]`` (default: a temp dir; pass
``--dir`` to measure the disk your data directory is on).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from runbook.record import repo
from runbook.record.db import init_db, make_engine, open_session
from runbook.record.models import Event, utcnow


def engine_for(path: Path, synchronous: str | None):
    engine = make_engine(f"sqlite:///{path}", synchronous=synchronous or "FULL")
    init_db(engine)
    return engine


def per_event(engine, n: int) -> list[float]:
    with open_session(engine) as s:
        inc = repo.create_incident(session=s, title="bench")
        lat = []
        for i in range(n):
            t0 = time.perf_counter()
            repo.add_event(inc.id, "note", summary=f"note {i}", payload={"i": i}, session=s)
            lat.append(time.perf_counter() - t0)
    return lat


def one_transaction(engine, n: int) -> float:
    with open_session(engine) as s:
        inc = repo.create_incident(session=s, title="bench")
    rows = [
        {
            "uid": str(uuid.uuid4()),
            "incident_id": inc.id,
            "kind": "note",
            "at": utcnow(),
            "author": "bench",
            "summary": f"note {i}",
            "payload": {"i": i},
            "automatic": False,
            "undone": False,
        }
        for i in range(n)
    ]
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(Event), rows)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--dir", type=Path, help="directory for the database files (default: a temp dir)")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="runbook-bench-")
    base = args.dir or Path(tmp.name)
    n = args.events
    rows = []
    for label, sync in (("add_event, synchronous=FULL (shipped)", None), ("add_event, synchronous=NORMAL", "NORMAL")):
        path = base / f"events-{sync or 'full'}.db"
        path.unlink(missing_ok=True)
        engine = engine_for(path, sync)
        t0 = time.perf_counter()
        lat = per_event(engine, n)
        total = time.perf_counter() - t0
        engine.dispose()
        rows.append((label, n / total, statistics.median(lat), sorted(lat)[int(0.95 * (n - 1))]))
    path = base / "events-batch.db"
    path.unlink(missing_ok=True)
    engine = engine_for(path, None)
    batch = one_transaction(engine, n)
    engine.dispose()
    print(f"{n} timeline events on SQLite in {base}")
    print(f"{'mode':<40}{'events/s':>10}{'p50 ms':>9}{'p95 ms':>9}")
    for label, rate, p50, p95 in rows:
        print(f"{label:<40}{rate:>10.0f}{p50 * 1e3:>9.2f}{p95 * 1e3:>9.2f}")
    print(f"{'one transaction for all (no durability)':<40}{n / batch:>10.0f}")
    print(
        f"ratio: FULL per-event commits reach {rows[0][1] / (n / batch) * 100:.1f}% of the batch rate; "
        f"NORMAL/FULL = {rows[1][1] / rows[0][1]:.2f}x"
    )
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
