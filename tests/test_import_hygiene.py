"""The layering, checked: the core never imports Textual; playbooks never import storage."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import runbook

ROOT = Path(runbook.__file__).parent


def _modules(prefix_path: Path, prefix: str) -> list[str]:
    # __main__ modules run the program when imported; they are entry points, not library code
    return sorted(m.name for m in pkgutil.walk_packages([str(prefix_path)], prefix) if not m.name.endswith("__main__"))


def _imports_clean(modules: list[str], forbidden: tuple[str, ...]) -> subprocess.CompletedProcess:
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        f"bad = sorted(m for m in sys.modules if m.startswith({forbidden!r}))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_core_modules_do_not_import_textual():
    core = [m for m in _modules(ROOT, "runbook.") if not m.startswith("runbook.tui")]
    assert len(core) > 10
    result = _imports_clean(core, ("textual",))
    assert result.returncode == 0, f"a core module imports textual: {result.stdout}{result.stderr[-800:]}"


def test_playbook_package_imports_no_storage_or_ui():
    mods = _modules(ROOT / "playbook", "runbook.playbook.")
    result = _imports_clean(mods, ("sqlmodel", "sqlalchemy", "runbook.record", "textual"))
    assert result.returncode == 0, result.stdout + result.stderr[-800:]
