"""The record is core: it never pulls in the UI, and importing it touches no database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "runbook.record.models",
    "runbook.record.db",
    "runbook.record.repo",
    "runbook.record.search",
    "runbook.record.views",
    "runbook.record.schema",
]


def test_record_imports_no_ui_and_creates_no_files(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in MODULES)
        + "assert 'textual' not in sys.modules, 'textual imported'\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "data").exists()  # no database created at import time
