"""Settings: where the database lives, where playbooks and incidents are found.

Defaults work with nothing configured: an embedded SQLite database in the user's data
directory (XDG), and the playbooks and incidents shipped with the package. Teams override
with environment variables or a TOML config file:

- ``RUNBOOK_DB``: any SQLAlchemy URL (``postgresql+psycopg://...`` for a shared record).
- ``RUNBOOK_PLAYBOOKS``: extra playbook directories, separated by ``os.pathsep``.
- ``RUNBOOK_CONFIG``: path of the config file (default ``$XDG_CONFIG_HOME/runbook/config.toml``)
  with keys ``db``, ``playbook_dirs`` (list), ``incident_dirs`` (list), ``templates_dir``, ``author``.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs

from runbook.errors import ConfigError

APP_NAME = "runbook"


def data_dir() -> Path:
    """The per-user data directory (``$XDG_DATA_HOME/runbook`` on Linux)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_path() -> Path:
    env = os.environ.get("RUNBOOK_CONFIG")
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'runbook.db'}"


def _shipped_dir(name: str) -> Path:
    """Find a shipped content directory (``playbooks`` or ``incidents``).

    An installed wheel carries them as ``runbook/_data/<name>``; an editable checkout has
    them at the repository root, next to the package.
    """
    packaged = Path(str(resources.files("runbook"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / name


def shipped_playbooks_dir() -> Path:
    return _shipped_dir("playbooks")


def shipped_incidents_dir() -> Path:
    return _shipped_dir("incidents")


def _split_paths(value: str | None) -> list[Path]:
    if not value:
        return []
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one run of the tool."""

    db_url: str
    """SQLAlchemy URL of the incident record."""
    playbook_dirs: tuple[Path, ...]
    """Shipped playbooks first, then the team's own directories."""
    incident_dirs: tuple[Path, ...]
    """Shipped knowledge base (rules, incidents, drill scenarios) first, then the team's."""
    templates_dir: Path | None = None
    """A team's own postmortem templates (Jinja2), if any."""
    author: str = field(default_factory=lambda: process_author())
    """Who is recorded as the author of events written by this process."""


def process_author() -> str:
    """Who runs this process: ``RUNBOOK_AUTHOR``, else the login name."""
    try:
        return os.environ.get("RUNBOOK_AUTHOR") or getpass.getuser()
    except Exception:  # getuser fails in some containers without a passwd entry
        return "responder"


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from exc


def load_settings(*, db_url: str | None = None, extra_playbook_dirs: list[Path] | None = None) -> Settings:
    """Resolve settings: explicit arguments, then environment, then config file, then defaults."""
    cfg = _read_config_file(config_path())
    url = db_url or os.environ.get("RUNBOOK_DB") or cfg.get("db") or default_db_url()
    playbooks = [shipped_playbooks_dir()]
    playbooks += [Path(p).expanduser() for p in cfg.get("playbook_dirs", [])]
    playbooks += _split_paths(os.environ.get("RUNBOOK_PLAYBOOKS"))
    playbooks += list(extra_playbook_dirs or [])
    incidents = [shipped_incidents_dir()]
    incidents += [Path(p).expanduser() for p in cfg.get("incident_dirs", [])]
    incidents += _split_paths(os.environ.get("RUNBOOK_INCIDENTS"))
    templates = cfg.get("templates_dir") or os.environ.get("RUNBOOK_TEMPLATES")
    author = os.environ.get("RUNBOOK_AUTHOR") or cfg.get("author") or process_author()
    return Settings(
        db_url=url,
        playbook_dirs=tuple(_dedupe(playbooks)),
        incident_dirs=tuple(_dedupe(incidents)),
        templates_dir=Path(templates).expanduser() if templates else None,
        author=author,
    )


def _dedupe(paths: list[Path]) -> list[Path]:
    seen: set[Path] = set()
    out: list[Path] = []
    for p in paths:
        key = p.resolve() if p.exists() else p
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
