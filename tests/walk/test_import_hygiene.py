"""The walk engine is core: importing it (and its CLI commands) never pulls in the UI."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = ["runbook.walk.engine", "runbook.walk.autopilot", "runbook.walk.diagnose", "runbook.walk.diagnose_view",
           "runbook.walk.similar", "runbook.walk.summary", "runbook.walk.factory", "runbook.commands.walk",
           "runbook.commands.diagnose"]


@pytest.mark.parametrize("module", MODULES)
def test_no_textual(module):
    code = f"import sys, {module}; assert 'textual' not in sys.modules, 'textual imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
