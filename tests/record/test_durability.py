"""Nothing shown is lost: SIGKILL at random points, and two responders writing at once."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from runbook.record import repo
from runbook.record.db import init_db, make_engine, open_session
from runbook.record.models import CheckRecord, Event, Finding, Step
from tests.record.writer import uid_for

ROOT = Path(__file__).resolve().parents[2]
TRIALS = 20


def _writer(url: str, incident_id: int, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.record.writer", url, str(incident_id), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_trial(url: str, trial: int, rng: random.Random) -> int:
    """One writer, killed at a random point; returns how many writes it had shown."""
    engine = make_engine(url)
    init_db(engine)
    with open_session(engine) as s:
        inc = repo.create_incident(session=s, title=f"trial {trial}")
    engine.dispose()
    prefix = f"t{trial}-{inc.id}"
    proc = _writer(url, inc.id, "--count", "100000", "--prefix", prefix)
    # Kill after a random number of shown writes, at a random moment after that.
    wait_for = rng.randint(0, 60)
    shown: list[str] = []
    while len(shown) < wait_for:
        line = proc.stdout.readline()
        assert line, f"writer died early: {proc.stderr.read()}"
        shown.append(line.strip())
    time.sleep(rng.uniform(0, 0.02))
    proc.send_signal(signal.SIGKILL)
    # Read the rest through the same buffered reader: communicate() reads the raw pipe and would
    # skip lines readline() had already buffered.
    rest = proc.stdout.read()
    proc.wait(timeout=10)
    proc.stdout.close()
    proc.stderr.close()
    # Lines already in the pipe were printed (shown) before the kill: they count too.
    shown += [ln for ln in rest.splitlines() if len(ln) == 36]
    assert proc.returncode == -signal.SIGKILL
    assert shown == [uid_for(prefix, i) for i in range(len(shown))]  # line i is write i
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            conn.exec_driver_sql("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")
    with open_session(engine) as s:
        stored = set(s.scalars(select(Event.uid).where(Event.incident_id == inc.id)))
        missing = [u for u in shown if u not in stored]
        assert missing == [], f"trial {trial}: {len(missing)} shown events lost"
        # Each stored write is whole: its event and its domain row committed together.
        domain = (
            set(s.scalars(select(Step.uid)))
            | set(s.scalars(select(CheckRecord.uid)))
            | set(s.scalars(select(Finding.uid)))
        )
        notes = set(s.scalars(select(Event.uid).where(Event.incident_id == inc.id, Event.kind.in_(["note", "opened"]))))
        assert stored - notes <= domain
        # Resume: the incident continues at the last step shown (or one committed just after).
        steps_shown = [i for i in range(len(shown)) if i % 4 == 0]
        current = repo.current_step(inc.id, session=s)
        if steps_shown:
            assert current is not None
            assert current.node_id in {f"{prefix}-n{steps_shown[-1]}", f"{prefix}-n{steps_shown[-1] + 4}"}
    engine.dispose()
    return len(shown)


def test_sigkill_at_random_points_loses_nothing_shown(db_url: str, tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("KILL_SEED", "0")) or None)
    sqlite = db_url.startswith("sqlite")
    trials = TRIALS if sqlite else 6
    seeds = [rng.randrange(2**32) for _ in range(trials)]

    def trial(n: int) -> int:
        # SQLite: a fresh file per trial, so each integrity check sees one crash only.
        url = f"sqlite:///{tmp_path / f'kill{n}.db'}" if sqlite else db_url
        return _kill_trial(url, n, random.Random(seeds[n]))

    # Two trials at a time: most of a trial is a Python process starting up.
    with ThreadPoolExecutor(max_workers=2) as pool:
        shown = list(pool.map(trial, range(trials)))
    assert sum(shown) > trials  # the writers did get to write


@pytest.mark.parametrize("shared", [20])
def test_two_writers_same_incident_lose_and_duplicate_nothing(engine, db_url: str, tmp_path: Path, shared: int) -> None:
    count = 80
    with open_session(engine) as s:
        inc = repo.create_incident(session=s, title="two responders")
    go = tmp_path / "go"
    procs = [
        _writer(
            db_url,
            inc.id,
            "--count",
            str(count),
            "--prefix",
            name,
            "--shared",
            str(shared),
            "--go",
            str(go),
            "--pause-ms",
            "20",
        )
        for name in ("alice", "bob")
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"go.{n}.ready").exists() for n in ("alice", "bob")):
        assert time.monotonic() < deadline, "writers did not start"
        assert all(p.poll() is None for p in procs), [p.stderr.read() for p in procs if p.poll() is not None]
        time.sleep(0.01)
    go.touch()  # release both at once
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-2000:]
        assert len(out.split()) == count
    expected = {uid_for("shared", i) for i in range(shared)}
    expected |= {uid_for(n, i) for n in ("alice", "bob") for i in range(shared, count)}
    with open_session(engine) as s:
        uids = list(s.scalars(select(Event.uid).where(Event.incident_id == inc.id, Event.kind != "opened")))
        assert len(uids) == len(set(uids)) == len(expected)
        assert set(uids) == expected
        seqs = list(s.scalars(select(Step.seq).where(Step.incident_id == inc.id).order_by(Step.seq)))
        assert seqs == list(range(1, len(seqs) + 1))  # no gaps, no duplicates
        assert s.scalar(select(func.count()).select_from(Finding).where(Finding.incident_id == inc.id)) == len(
            [u for u in expected if u in set(s.scalars(select(Finding.uid)))]
        )
        # The two processes really did write at the same time (their events interleave).
        order = [
            e.split()[0]
            for e in s.scalars(
                select(Event.summary).where(Event.incident_id == inc.id, Event.kind == "note").order_by(Event.id)
            )
        ]
        order = [w for w in order if w != "shared"]
        switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
        assert switches >= 2, order
        if engine.dialect.name == "sqlite":
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
