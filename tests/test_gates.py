"""The static gates, run by the test command so a regression fails ``.ci/run``.

The types, the lint rules and the layering are declared in ``pyproject.toml`` (``[tool.mypy]``,
``[tool.ruff]``, ``[tool.importlinter]``); these tests run each tool with that configuration and
print its findings on failure. The second half tests the tests: in a throw-away copy of the
package, a wrong type, an unsorted import and a layer-breaking import must each make its gate
fail, so a gate that silently checks nothing (a config that no longer applies, a tool that no
longer runs) is caught too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINTED = ["runbook", "tests", "bench"]


def _run(*cmd: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a gate from this interpreter's environment (the pinned versions of the test extra)."""
    return subprocess.run(
        [sys.executable, "-m", *cmd] if cmd[0] in ("mypy", "ruff") else [_script(cmd[0]), *cmd[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _script(name: str) -> str:
    """A console script installed next to this interpreter (``lint-imports`` has no ``-m``)."""
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed; pip install -e '.[test]'"
    return found


def _output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"{' '.join(map(str, proc.args))}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def _expect(proc: subprocess.CompletedProcess[str], code: int, *texts: str) -> None:
    """Fail with the tool's whole output unless it exited with ``code`` and printed ``texts``."""
    missing = [t for t in texts if t not in proc.stdout]
    if proc.returncode != code or missing:
        pytest.fail(f"expected exit {code} and {missing or 'its output'}; got\n{_output(proc)}", pytrace=False)


def test_mypy_finds_no_errors() -> None:
    proc = _run("mypy")  # no arguments: the files and settings come from [tool.mypy]
    if proc.returncode != 0:
        errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
        pytest.fail(f"mypy found {len(errors)} errors:\n" + "\n".join(errors) + "\n\n" + _output(proc), pytrace=False)
    assert "Success: no issues found" in proc.stdout, _output(proc)


def test_ruff_check_is_clean() -> None:
    _expect(_run("ruff", "check", *LINTED), 0)


def test_ruff_format_is_clean() -> None:
    _expect(_run("ruff", "format", "--check", *LINTED), 0)


def test_import_contracts_are_kept() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config.get("tool", {}).get("importlinter", {}).get("contracts", [])
    assert contracts, "pyproject.toml declares no [tool.importlinter] contracts: the layering is not checked"
    _expect(_run("lint-imports"), 0, f"{len(contracts)} kept, 0 broken")


# -- the gates catch what they are for -------------------------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The package and its configuration in a fresh folder (nothing else: the gates read only these)."""
    shutil.copytree(ROOT / "runbook", tmp_path / "runbook", ignore=shutil.ignore_patterns("__pycache__", "_data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_a_wrong_type_in_the_core_fails_mypy(copy: Path) -> None:
    # errors.py imports nothing from the package, so checking it alone is quick; the untyped
    # function shows the strict core settings apply, the assignment shows a plain type error
    module = copy / "runbook" / "errors.py"
    _append(module, '\n\nretries: int = "three"\n\n\ndef untyped(x):\n    return x\n')
    lines = module.read_text(encoding="utf-8").splitlines()
    wrong, untyped = lines.index('retries: int = "three"') + 1, lines.index("def untyped(x):") + 1
    proc = _run("mypy", "--cache-dir", str(copy / ".mypy_cache"), "runbook/errors.py", cwd=copy)
    _expect(
        proc,
        1,
        f'errors.py:{wrong}: error: Incompatible types in assignment (expression has type "str", variable has type "int")',
        f"errors.py:{untyped}: error: Function is missing a type annotation  [no-untyped-def]",
    )


def test_an_unsorted_import_fails_ruff(copy: Path) -> None:
    probe = copy / "runbook" / "checks" / "probe.py"
    probe.write_text('"""Probe."""\n\nimport sys\nimport os\n\nprint(os.sep, sys.argv)\n', encoding="utf-8")
    _expect(_run("ruff", "check", "--no-cache", "runbook/checks/probe.py", cwd=copy), 1, "I001")


def test_a_layer_breaking_import_fails_the_contracts(copy: Path) -> None:
    _append(copy / "runbook" / "checks" / "base.py", "\nimport runbook.tui  # noqa: E402\n")
    # the copy shadows the installed package: grimp analyses what PYTHONPATH finds first
    env = {**os.environ, "PYTHONPATH": str(copy)}
    _expect(_run("lint-imports", "--no-cache", cwd=copy, env=env), 1, "BROKEN", "runbook.checks.base -> runbook.tui")


def test_ci_runs_the_readmes_test_command_verbatim():
    """CI must run what a newcomer runs: the README's test command is a line of ``.ci/run``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("pip install -e '.[test]'")]
    assert len(commands) == 1, commands
    assert commands[0] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert " -n " in commands[0]  # the suite runs on several workers: one process takes twice as long
