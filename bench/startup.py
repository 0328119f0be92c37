"""Benchmark: time from process start to the first screen being ready, runbook vs a bare
Textual "hello" app started the same way (headless, same interpreter), alternating, in one
run. Prints medians and the ratio (aim: at most 1.3x).

Run: python bench/startup.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

# The child reports the time from its spawn (parent's clock, passed in) to the first screen
# being ready, then leaves at once: background work (the record opening in a worker thread)
# is not part of "the first screen is ready".
REPORT = """
import os, sys, time
def report():
    sys.stdout.write(str(time.time() - float(os.environ["BENCH_T0"])))
    sys.stdout.flush()
    os._exit(0)
"""

HELLO = (
    REPORT
    + """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("hello")
    def on_ready(self):
        report()

Hello().run(headless=True)
"""
)

RUNBOOK = (
    REPORT
    + """
from runbook.tui.app import RunbookApp
from runbook.tui.screens.home import HomeScreen
from runbook.services import build_services

class Bench(RunbookApp):
    def on_ready(self):
        self.set_interval(0.001, self._check)
    def _check(self):
        if isinstance(self.screen, HomeScreen) and self.screen.is_mounted:
            report()

Bench(build_services()).run(headless=True)
"""
)


def timed(code: str, env: dict) -> float:
    env = {**env, "BENCH_T0": repr(time.time())}
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "XDG_DATA_HOME": f"{home}/data", "XDG_CONFIG_HOME": f"{home}/config"}
        env.pop("RUNBOOK_DB", None)
        timed(HELLO, env), timed(RUNBOOK, env)  # warm the OS file cache and bytecode
        hello, ours = [], []
        for _ in range(args.rounds):
            hello.append(timed(HELLO, env))
            ours.append(timed(RUNBOOK, env))
    h, o = statistics.median(hello), statistics.median(ours)
    print(f"bare Textual hello app: median {h * 1000:7.1f} ms  (min {min(hello) * 1000:.1f})")
    print(f"runbook, home screen:   median {o * 1000:7.1f} ms  (min {min(ours) * 1000:.1f})")
    print(f"ratio (runbook / hello): {o / h:.2f}x  (aim: <= 1.3x)")


if __name__ == "__main__":
    main()
