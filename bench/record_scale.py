"""Benchmark: what a responder waits on stays flat as the team's record grows.

Builds two records with the same measured incident (the newest, ~200 events, a walk of the
``p0-1-discovery`` playbook that ends at a conclusion) among others: a small one of 100
incidents and a big one of 10,000 incidents holding 1,000,000 events in all (each other
incident: a walk of a shipped playbook with its steps, check results, findings, notes and
conclusion). Then it times, interleaved on both (small, big, small, big...), and prints the
big/small ratio of the median of each:

- **home**: the UI's first paint: ``make_app(build_services(...))`` run headless with
  ``App.run_test()``, from the start until the incidents table has its rows (a new app and
  ``Services`` each time, so the record is opened from scratch as ``runbook`` does);
- **walk+timeline**: opening one incident: ``Services.walk_engine(incident)`` (what the walk
  screen does: the walk rebuilt from the record) and ``record.repo.timeline`` (what the timeline
  screen polls first);
- **similar**: ``Services.similar_incidents(node, exclude=incident)`` at the incident's node;
- **export**: ``Services.postmortem(incident, fmt="md")``.

The floor of each ratio is 1.0 (the same work on the small record). Aim: each <= 1.2x.

The records are built with bulk inserts straight into SQLite (the schema made by ``init_db``,
the full-text index rebuilt once at the end). ``--keep`` keeps them under
``/tmp/runbook-bench-cache/`` keyed by their parameters, and a rerun reuses them.

Usage: ``python bench/record_scale.py [--keep] [--repeat 7] [--big-incidents 10000]
[--big-events 1000000]``
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CACHE = Path("/tmp/runbook-bench-cache")
BUILDER_VERSION = 3
"""Bumped when the generated data changes shape (part of the cache key)."""
MEASURED_PLAYBOOK = "p0-1-discovery"
MEASURED_EVENTS = 200
NOTE_WORDS = tuple(
    [
        "etcd",
        "lease",
        "keepalive",
        "ttl",
        "watcher",
        "goroutine",
        "pprof",
        "socket",
        "grpc",
        "unavailable",
        "fallback",
        "breaker",
        "histogram",
        "bucket",
        "latency",
        "label",
        "trace",
        "span",
        "header",
        "dns",
        "resolver",
        "consul",
        "registry",
        "snapshot",
        "timeout",
        "retry",
        "backoff",
        "probe",
        "jitter",
        "deploy",
        "rollback",
        "canary",
        "restart",
        "pod",
        "node",
        "leader",
    ]
)


def _ts(value: datetime) -> str:
    """How SQLAlchemy stores a UTC timestamp in SQLite (naive, microseconds)."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


class _Ids:
    """Next id per table (rows are inserted with explicit ids)."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        n = self.next.get(table, 1)
        self.next[table] = n + 1
        return n


def _walk(library: Any, playbook: str, rng: random.Random, max_steps: int = 10) -> list[Any]:
    """A random walk from the playbook's start along its choices, ending at a conclusion if reached."""
    pb = library.playbooks[playbook]
    node = pb.nodes[pb.start]
    path = [node]
    while node.choices and len(path) < max_steps:
        node = library.node(rng.choice(node.choices).ref)
        path.append(node)
    return path


class _Writer:
    """Generates incidents into row batches and flushes them with ``executemany``."""

    TABLES: ClassVar[dict[str, str]] = {
        "incident": (
            "id, uid, title, severity, status, service, started_at, detected_at, variables, is_drill, "
            "created_by, postmortem_status, summary, impact, trigger, resolution, went_well, went_wrong, "
            "lucky, lessons, detection"
        ),
        "step": "id, uid, incident_id, seq, playbook_id, node_id, entered_at, left_at, choice, next_node_id, "
        "automatic, author, undone",
        "event": "id, uid, incident_id, kind, at, author, summary, payload, automatic, step_id, undone",
        "check_result": "id, uid, incident_id, step_id, playbook_id, node_id, check_type, verdict, summary, "
        "figures, thresholds, evidence, started_at, duration_s, params",
        "finding": "id, uid, incident_id, kind, tags, author, at, text, step_id",
        "conclusion": "id, uid, incident_id, step_id, playbook_id, node_id, title, rule_ids, author, at",
        "search_doc": "id, kind, ref, incident_id, title, body",
        "conclusion_rule": "conclusion_id, incident_id, rule_id",
    }

    def __init__(self, conn: sqlite3.Connection, rng: random.Random, sentence: Callable[[random.Random], str]) -> None:
        self.conn, self.rng, self.sentence = conn, rng, sentence
        self.ids = _Ids()
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in self.TABLES}
        self.count = 0

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows[table].append(row)
        self.count += 1
        if self.count >= 50_000:
            self.flush()

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if rows:
                cols = self.TABLES[table]
                marks = ", ".join("?" * len(cols.split(",")))
                self.conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
                rows.clear()
        self.count = 0

    def incident(
        self,
        library: Any,
        playbook: str,
        started: datetime,
        n_events: int,
        finding_share: float,
        *,
        drill: bool = False,
        title: str | None = None,
        concluded: bool = False,
        status: str = "closed",
    ) -> int:
        """One incident; ``concluded``: walk until the path ends at a conclusion naming rules."""
        rng = self.rng
        iid = self.ids("incident")
        path = _walk(library, playbook, rng)
        while concluded and not (path[-1].conclusion and path[-1].conclusion.rules):
            path = _walk(library, playbook, rng)
        title = title or f"{playbook}: {' '.join(rng.choices(NOTE_WORDS, k=4))}"
        at = _ts(started)
        self.add(
            "incident",
            (iid, self.uid(), title, "P" + rng.choice("0123"), status, "svc-" + rng.choice(NOTE_WORDS), at, at, "{}",
             int(drill), "bench", "draft", "", "", "", "", "", "", "", "", ""),
        )  # fmt: skip
        self.add("search_doc", (self.ids("search_doc"), "incident", f"INC-{iid:04d}", iid, title, "svc"))
        clock = [started]

        def tick() -> str:
            clock[0] += timedelta(seconds=rng.randint(1, 20))
            return _ts(clock[0])

        self.add("event", (self.ids("event"), self.uid(), iid, "opened", at, "bench", f"P2 opened: {title}", "{}", 0,
                           None, 0))  # fmt: skip
        steps: list[tuple[int, Any]] = []
        for seq, node in enumerate(path, 1):
            sid = self.ids("step")
            nxt = path[seq].id if seq < len(path) else None
            t = tick()
            self.add("step", (sid, self.uid(), iid, seq, node.playbook, node.id, t, t if nxt else None,
                              "next" if nxt else None, nxt, 0, "bench", 0))  # fmt: skip
            self.add("event", (self.ids("event"), self.uid(), iid, "node_entered", t, "bench",
                               f"entered {node.ref}", "{}", 0, sid, 0))  # fmt: skip
            steps.append((sid, node))
        last_sid, last = steps[-1]
        if last.conclusion is not None:
            rules = "[" + ", ".join(f'"{r}"' for r in last.conclusion.rules) + "]"
            t = tick()
            concl = self.ids("conclusion")
            self.add("conclusion", (concl, self.uid(), iid, last_sid, last.playbook, last.id, last.title, rules,
                                    "bench", t))  # fmt: skip
            for rule in dict.fromkeys(last.conclusion.rules):
                self.add("conclusion_rule", (concl, iid, rule))
            self.add("event", (self.ids("event"), self.uid(), iid, "conclusion_reached", t, "bench",
                               f"conclusion: {last.title}", "{}", 0, last_sid, 0))  # fmt: skip
        for _ in range(max(0, n_events - len(path) - 2)):
            sid, node = rng.choice(steps)
            t = tick()
            roll = rng.random()
            if roll < finding_share:
                text = self.sentence(rng)
                fid, uid = self.ids("finding"), self.uid()
                self.add("finding", (fid, uid, iid, "observation", "[]", "bench", t, text, sid))
                self.add("search_doc", (self.ids("search_doc"), "finding", str(fid), iid, "observation", text))
                self.add("event", (self.ids("event"), uid, iid, "finding", t, "bench", text, "{}", 0, sid, 0))
            elif roll < finding_share + 0.1 and node.checks:
                check = node.checks[0].check_type
                cid, uid = self.ids("check_result"), self.uid()
                summary = f"{check}: {' '.join(rng.choices(NOTE_WORDS, k=6))}"
                self.add("check_result", (cid, uid, iid, sid, node.playbook, node.id, check,
                                          rng.choice(("ok", "warn", "fail")), summary, "{}", "{}", "[]", t, 0.2,
                                          "{}"))  # fmt: skip
                self.add("search_doc", (self.ids("search_doc"), "check", str(cid), iid, check, summary))
                self.add("event", (self.ids("event"), uid, iid, "check_run", t, "bench", summary,
                                   f'{{"check_id": {cid}}}', 1, sid, 0))  # fmt: skip
            else:
                self.add("event", (self.ids("event"), self.uid(), iid, "note", t, "bench",
                                   " ".join(rng.choices(NOTE_WORDS, k=10)), "{}", 0, sid, 0))  # fmt: skip
        return iid


def build_record(
    path: Path,
    *,
    incidents: int,
    events: int,
    finding_share: float = 0.2,
    seed: int = 7,
    sentence: Callable[[random.Random], str] | None = None,
    library: Any = None,
) -> dict[str, Any]:
    """Write a record of ``incidents`` incidents and ``events`` events in all to ``path``.

    The last incident is the measured one: the same ``MEASURED_EVENTS`` events and walk
    whatever the size. ``sentence(rng)``: a finding's text (default: ten jargon words).
    """
    from runbook.record.db import init_db, make_engine
    from runbook.record.search_index import _SQLITE_DDL

    if library is None:
        from runbook.services.root import build_services

        library = build_services(db_url="sqlite:///:memory:").content.library
    sentence = sentence or (lambda r: " ".join(r.choices(NOTE_WORDS, k=10)))
    engine = make_engine(f"sqlite:///{path}")
    init_db(engine)
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    # One FTS5 rebuild at the end is several times faster than a trigger call per row.
    for trigger in ("search_doc_ai", "search_doc_ad", "search_doc_au"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    conn.execute("BEGIN")
    rng = random.Random(seed)
    writer = _Writer(conn, rng, sentence)
    playbooks = sorted(library.playbooks)
    others = incidents - 1
    per = (events - MEASURED_EVENTS) / max(1, others)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    spacing = timedelta(minutes=(2 * 365 * 24 * 60) / max(1, others))  # two years of incidents
    made = 0
    for i in range(others):
        want = round(per * (i + 1)) - made  # exact total, spread evenly
        writer.incident(
            library, rng.choice(playbooks), start + spacing * i, want, finding_share, drill=rng.random() < 0.05
        )
        made += want
    # The measured incident: its own seed, so it is the same in every record.
    writer.rng = random.Random(seed + 1000)
    measured = writer.incident(
        library,
        MEASURED_PLAYBOOK,
        start + spacing * others + timedelta(hours=1),
        MEASURED_EVENTS,
        finding_share,
        title="Registry collapse: instances vanish (measured)",
        concluded=True,
        status="open",  # the one being worked on; the history before it is closed, as a team's is
    )
    writer.flush()
    conn.execute("COMMIT")
    conn.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    for ddl in _SQLITE_DDL[1:]:
        conn.execute(ddl)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    counts = {t: n - 1 for t, n in writer.ids.next.items()}
    return {"measured": measured, "counts": counts}


def cached_record(name: str, params: dict[str, Any], *, keep: bool, tmp: Path, **build: Any) -> tuple[Path, float]:
    """The record file for ``params`` (built now, or reused from the cache with ``keep``) and its build time."""
    from runbook.record.models import SCHEMA_VERSION

    key = "-".join(f"{k}{v}" for k, v in sorted(params.items()))
    folder = CACHE if keep else tmp
    path = folder / f"{name}-{key}-s{SCHEMA_VERSION}-b{BUILDER_VERSION}.db"
    if path.exists():
        return path, 0.0
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    t0 = time.perf_counter()
    build_record(partial, **params, **build)
    partial.rename(path)
    return path, time.perf_counter() - t0


def measured_incident(url: str) -> int:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        (iid,) = conn.exec_driver_sql("SELECT max(id) FROM incident").one()
    engine.dispose()
    return int(iid)


# -- the timed operations ------------------------------------------------------------------------


async def _first_paint(url: str) -> float:
    from textual.widgets import DataTable

    from runbook.services.root import build_services
    from runbook.tui.app import make_app

    t0 = time.perf_counter()
    services = build_services(db_url=url)
    app = make_app(services)
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        while True:
            tables = app.screen.query("#incidents")
            if tables and tables.first(DataTable).row_count > 0:
                break
            if time.perf_counter() - t0 > 30:
                raise RuntimeError(f"the home screen showed no incidents within 30 s ({url})")
            await pilot.pause(0.002)
        elapsed = time.perf_counter() - t0
    services.close()
    return elapsed


class Subject:
    """One record with a warm ``Services`` (content shared between both)."""

    def __init__(self, url: str, content: Any) -> None:
        from runbook.services.root import build_services

        self.url = url
        self.services = build_services(db_url=url, content=content)
        self.incident = measured_incident(url)
        with self.services.session() as s:
            from runbook.record.repo import steps

            self.node = next(
                f"{st.playbook_id}#{st.node_id}" for st in reversed(steps(self.incident, session=s)) if not st.undone
            )

    def walk_and_timeline(self) -> None:
        from runbook.record.repo import timeline

        engine = self.services.walk_engine(self.incident)
        engine.session.close()
        with self.services.session() as s:
            events = timeline(self.incident, session=s)
        assert len(events) == MEASURED_EVENTS, len(events)

    def similar(self) -> None:
        self.services.similar_incidents(self.node, exclude=self.incident)

    def export(self) -> None:
        self.services.postmortem(self.incident, fmt="md")


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--small-incidents", type=int, default=100)
    ap.add_argument("--big-incidents", type=int, default=10_000)
    ap.add_argument("--big-events", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=15, help="interleaved runs of each operation")
    ap.add_argument("--paint-repeat", type=int, default=11, help="interleaved first paints of each record")
    ap.add_argument("--keep", action="store_true", help=f"keep the records under {CACHE} and reuse them")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    from runbook.services.root import build_services

    content = build_services(db_url="sqlite:///:memory:").content
    per_incident = args.big_events / args.big_incidents
    tmp = tempfile.TemporaryDirectory(prefix="runbook-scale-")
    records = {}
    for name, n in (("small", args.small_incidents), ("big", args.big_incidents)):
        params = {"incidents": n, "events": round(per_incident * n), "seed": args.seed}
        path, built = cached_record(
            f"scale-{name}", params, keep=args.keep, tmp=Path(tmp.name), library=content.library
        )
        how = f"built in {built:.1f}s" if built else "reused from the cache"
        print(f"{name}: {n} incidents, {params['events']} events: {path} ({how})")
        records[name] = f"sqlite:///{path}"
    subjects = {name: Subject(url, content) for name, url in records.items()}
    ops: dict[str, Callable[[Subject], Any]] = {
        "walk+timeline": Subject.walk_and_timeline,
        "similar": Subject.similar,
        "export md": Subject.export,
    }
    times: dict[str, dict[str, list[float]]] = {op: {"small": [], "big": []} for op in ["home first paint", *ops]}
    for subject in subjects.values():  # warm-up: caches, imports, the first parse of templates
        for fn in ops.values():
            fn(subject)
    asyncio.run(_first_paint(records["small"]))
    for _ in range(args.paint_repeat):
        for name, url in records.items():
            times["home first paint"][name].append(asyncio.run(_first_paint(url)))
    for _ in range(args.repeat):
        for op, fn in ops.items():
            for name, subject in subjects.items():
                times[op][name].append(_timed(lambda fn=fn, subject=subject: fn(subject)))
    print(
        f"\nmedian (min) of {args.repeat} interleaved runs ({args.paint_repeat} for the first paint); "
        "floor: the same on the small record (1.0x); aim <= 1.2x"
    )
    print(f"{'operation':<18}{'small ms':>16}{'big ms':>16}{'big/small':>11}{'of mins':>9}")
    for op, by in times.items():
        s, b = statistics.median(by["small"]), statistics.median(by["big"])
        smin, bmin = min(by["small"]), min(by["big"])
        print(
            f"{op:<18}{s * 1e3:>9.1f} ({smin * 1e3:.1f}){b * 1e3:>9.1f} ({bmin * 1e3:.1f})"
            f"{b / s:>10.2f}x{bmin / smin:>8.2f}x"
        )
    for subject in subjects.values():
        subject.services.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
