"""A responder's process for the durability tests: writes events and prints each uid once committed.

Run as ``python -m tests.record.writer URL INCIDENT_ID --count N --prefix P``. Every line on
stdout is a uid whose write has returned (so has committed); the tests kill this process at
random points and check that every printed uid is in the record. Writes cycle through steps,
check results, findings and free events so every kind of transaction is exercised. With
``--shared K`` the first K writes use uids shared by every writer (two responders recording the
same thing: it must land once). ``--go FILE`` creates ``FILE.<prefix>.ready`` once the process is up,
then waits for FILE to exist before writing, so two writers start together.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from runbook.checks.base import CheckResult, Verdict
from runbook.record import repo
from runbook.record.db import make_engine, open_session

NS = uuid.UUID("6f0d3c1e-1d5e-4bb0-9a55-3f5e3d6a2b10")


def uid_for(prefix: str, i: int) -> str:
    return str(uuid.uuid5(NS, f"{prefix}-{i}"))


def write_one(session, incident_id: int, i: int, uid: str, tag: str) -> None:
    kind = i % 4
    if kind == 0:
        repo.add_step(incident_id, "pb", f"{tag}-n{i}", session=session, uid=uid)
    elif kind == 1:
        result = CheckResult(
            check_type="probe",
            verdict=Verdict.OK,
            summary=f"{tag} probe {i}",
            figures={"i": i},
            thresholds={},
            evidence=(),
            started_at=datetime.now(UTC),
            duration_s=0.01,
            params={},
        )
        repo.add_check_result(incident_id, result, session=session, uid=uid)
    elif kind == 2:
        repo.add_finding(incident_id, f"{tag} finding {i}", session=session, uid=uid)
    else:
        repo.add_event(incident_id, "note", summary=f"{tag} note {i}", session=session, uid=uid)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("incident", type=int)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--prefix", default="w")
    ap.add_argument("--shared", type=int, default=0)
    ap.add_argument("--go")
    ap.add_argument(
        "--pause-ms",
        type=float,
        default=0.0,
        help="random pause up to this long between writes (people do not write back to back)",
    )
    args = ap.parse_args()
    engine = make_engine(args.url)
    if args.go:
        Path(f"{args.go}.{args.prefix}.ready").touch()  # imported and connected: ready to race
        while not Path(args.go).exists():
            time.sleep(0.002)
    with open_session(engine) as session:
        for i in range(args.count):
            prefix = "shared" if i < args.shared else args.prefix
            uid = uid_for(prefix, i)
            write_one(session, args.incident, i, uid, prefix)
            sys.stdout.write(uid + "\n")
            sys.stdout.flush()
            if args.pause_ms:
                time.sleep(random.uniform(0, args.pause_ms) / 1000)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
