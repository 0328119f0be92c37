"""The team's own content, tried through the CLI (``runbook.cli.main``) as a new user would."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runbook.cli import main

REPO = Path(__file__).resolve().parents[2]
SHIPPED_PLAYBOOKS = REPO / "playbooks"
SHIPPED_INCIDENTS = REPO / "incidents"


class Cli:
    """``runbook ARGS`` in this process: exit code, stdout, stderr."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *argv: str) -> Any:
        code, out, err = self(*argv, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture()
def cli(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("RUNBOOK_DB", f"sqlite:///{tmp_path / 'record.db'}")
    monkeypatch.setenv("RUNBOOK_AUTHOR", "ana")
    return Cli(capsys)


@pytest.fixture()
def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """A config file (``RUNBOOK_CONFIG``) with the given keys (lists of directories)."""

    def write(**keys: Any) -> Path:
        path = tmp_path / "cfg" / "config.toml"
        path.parent.mkdir(exist_ok=True)
        lines = [
            f"{k} = {json.dumps([str(v) for v in vals] if isinstance(vals, list) else str(vals))}"
            for k, vals in keys.items()
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        monkeypatch.setenv("RUNBOOK_CONFIG", str(path))
        return path

    return write
