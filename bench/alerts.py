"""Benchmark: how long an alert takes to become a finding, and what a burst of groups costs.

1. The same check (``label_cardinality`` on a faulty prometheus_client target with 1200
   request-scoped series) run alone from the CLI (``runbook check``, process start included),
   against a webhook POST to a running ``runbook alerts serve`` until the first check result
   is in the record. The receiver's own start (until it answers) is measured apart.
   Aim: POST -> first finding at most 1.2x the CLI check, plus the server's start.
2. A burst of 100 distinct alert groups POSTed at once to one receiver (8 walks at a time):
   the wall time until all 100 are diagnosed, against the slowest single diagnosis in it.

Run: python bench/alerts.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runbook.record import repo
from runbook.services import build_services
from tests.alerts.conftest import notification
from tests.fixtures.metrics_targets import MetricsTarget, user_id_registry
from tests.fixtures.proc import free_port


def _post(url: str, body: dict) -> int:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/healthy", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


def cli_check(metrics_url: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "runbook", "check", "label_cardinality", "--param", f"metrics_url={metrics_url}"],
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - t0


def webhook_to_finding(tmp: Path, instance: str, round_no: int) -> tuple[float, float]:
    """(receiver start until it answers, POST until the first check result is recorded)."""
    db_url = f"sqlite:///{tmp / f'r{round_no}.db'}"
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "runbook", "--db", db_url, "alerts", "serve", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not _healthy(port):
            time.sleep(0.01)
        start_s = time.perf_counter() - t0
        services = build_services(db_url=db_url)
        t1 = time.perf_counter()
        _post(f"http://127.0.0.1:{port}/alertmanager", notification(f"bench-{round_no}", labels={"instance": instance}))
        while True:
            with services.session() as s:
                if repo.check_results(1, session=s):
                    break
            time.sleep(0.005)
        finding_s = time.perf_counter() - t1
        services.close()
        return start_s, finding_s
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def burst(tmp: Path, instance: str, groups: int = 100) -> tuple[float, float]:
    """(wall time until every group is diagnosed, the slowest single diagnosis)."""
    from runbook.alerts.intake import AlertIntake
    from runbook.alerts.server import AlertServer
    from runbook.alerts.walks import WalkQueue

    services = build_services(db_url=f"sqlite:///{tmp / 'burst.db'}")
    services.content  # noqa: B018 - loaded before the clock starts, as `alerts serve` does
    walks = WalkQueue(services, concurrency=8).start()
    server = AlertServer(AlertIntake(services), walks, port=0, log=open(os.devnull, "w"))  # noqa: SIM115
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.port}/alertmanager"
    notes = [notification(f"burst-{i}", labels={"instance": instance, "pod": f"p{i}"}) for i in range(groups)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=25) as pool:
        codes = list(pool.map(lambda n: _post(url, n), notes))
    walks.wait_idle(600)
    wall = time.perf_counter() - t0
    assert codes == [200] * groups, codes
    slowest = 0.0
    with services.session() as s:
        for inc in repo.list_incidents(session=s):
            events = repo.timeline(inc.id, session=s)
            entered = next(e.at for e in events if e.kind == "node_entered")
            stopped = next(e.at for e in events if e.summary.startswith("autopilot stopped"))
            slowest = max(slowest, (stopped - entered).total_seconds())
    server.shutdown()
    walks.stop(5)
    services.close()
    return wall, slowest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    target = MetricsTarget(user_id_registry(1200))
    instance = f"127.0.0.1:{target.port}"
    try:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            cli, start, finding = [], [], []
            for r in range(args.rounds):  # alternating, in one run
                cli.append(cli_check(f"http://{instance}/metrics"))
                s, f = webhook_to_finding(tmp, instance, r)
                start.append(s)
                finding.append(f)
            c, s, f = statistics.median(cli), statistics.median(start), statistics.median(finding)
            print(f"check alone from the CLI (process start included): {c * 1000:7.0f} ms")
            print(f"receiver start until it answers:                    {s * 1000:7.0f} ms")
            print(f"webhook POST -> first finding recorded:             {f * 1000:7.0f} ms")
            print(f"ratio POST->finding / CLI check: {f / c:.2f}x   (aim: at most 1.2x, plus the start above)")
            wall, slowest = burst(tmp, instance)
            print(f"burst of 100 groups, all diagnosed (8 walks at once): {wall:6.2f} s")
            print(f"slowest single diagnosis in the burst:               {slowest:6.2f} s")
            print(f"ratio burst wall / slowest diagnosis: {wall / slowest:.1f}x")
    finally:
        target.close()


if __name__ == "__main__":
    main()
