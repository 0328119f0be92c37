"""The walk engine is core: importing it (and its CLI commands) never pulls in the UI."""

from __future__ import annotations

import subprocess
import sys

MODULES = [
    "runbook.walk.engine",
    "runbook.walk.autopilot",
    "runbook.walk.diagnose",
    "runbook.walk.diagnose_view",
    "runbook.record.similar",
    "runbook.walk.summary",
    "runbook.commands.walk",
    "runbook.commands.diagnose",
]


def test_no_textual():
    # One fresh interpreter for all of them: each import would otherwise cost a start-up.
    code = (
        "import importlib, sys\n"
        f"for m in {MODULES!r}:\n"
        "    importlib.import_module(m)\n"
        "    assert 'textual' not in sys.modules, m + ' imported textual'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
