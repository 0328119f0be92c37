"""Settings: where the database lives, where playbooks and incidents are found.

Defaults work with nothing configured: an embedded SQLite database in the user's data
directory (XDG), and the playbooks and incidents shipped with the package. Teams override
with environment variables or a TOML config file:

- ``RUNBOOK_DB``: any SQLAlchemy URL (``postgresql+psycopg://...`` for a shared record).
- ``RUNBOOK_PLAYBOOKS``: extra playbook directories, separated by ``os.pathsep``.
- ``RUNBOOK_CONFIG``: path of the config file (default ``$XDG_CONFIG_HOME/runbook/config.toml``)
  with keys ``db``, ``playbook_dirs`` (list), ``incident_dirs`` (list), ``templates_dir``, ``author``,
  ``team_dir`` (where ``runbook learn`` writes), ``export_dir`` (where the UI proposes to write
  postmortems; ``RUNBOOK_EXPORT_DIR`` overrides it; default: the working directory), ``knowledge_url``
  (where postmortems link knowledge records: the web view of the incidents directory, e.g.
  ``https://git.example.com/team/runbook/-/blob/main/incidents``; ``RUNBOOK_KNOWLEDGE_URL``
  overrides it; unset, a postmortem carries the records it cites in an appendix). Relative paths in it are relative to the file, so a
  team directory made by ``runbook init`` works from any working directory.

Content directories are layers, in this order: shipped, the config file's, the environment's
(then a command's own extra paths). A later layer's playbook or record with the same id
replaces the earlier one; :attr:`Settings.layers` names each directory's layer for display.
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
    layers: tuple[tuple[Path, str], ...] = ()
    """Each content directory and the layer it comes from: ``shipped``, ``config`` or ``env``."""
    team_dir: Path | None = None
    """The team directory (``team_dir`` in the config, ``runbook init`` writes it): where
    ``runbook learn`` writes (its ``incidents/`` and ``playbooks/``)."""
    export_dir: Path | None = None
    """Where the UI proposes to export postmortems (it always asks); None: the working directory."""
    knowledge_url: str = ""
    """Base URL postmortems link knowledge records under (``{knowledge_url}/rules/R1.md``); empty:
    the records are embedded in the document's appendix. Never a local path: the link must work
    wherever the document is opened."""

    def layer_name(self, root: Path) -> str:
        """``shipped``, ``config``, ``env`` for a configured directory, else ``extra``."""
        key = _key(root)
        return next((name for d, name in self.layers if _key(d) == key), "extra")


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
    cfg_path = config_path()
    cfg = _read_config_file(cfg_path)
    here = cfg_path.parent

    def cfg_dirs(key: str) -> list[Path]:
        return [_relative_to(here, p) for p in cfg.get(key, [])]

    url = db_url or os.environ.get("RUNBOOK_DB") or cfg.get("db") or default_db_url()
    layers = [(shipped_playbooks_dir(), "shipped"), (shipped_incidents_dir(), "shipped")]
    layers += [(d, "config") for d in [*cfg_dirs("playbook_dirs"), *cfg_dirs("incident_dirs")]]
    env_playbooks = _split_paths(os.environ.get("RUNBOOK_PLAYBOOKS"))
    env_incidents = _split_paths(os.environ.get("RUNBOOK_INCIDENTS"))
    layers += [(d, "env") for d in [*env_playbooks, *env_incidents]]
    playbooks = [shipped_playbooks_dir(), *cfg_dirs("playbook_dirs"), *env_playbooks]
    playbooks += list(extra_playbook_dirs or [])
    incidents = [shipped_incidents_dir(), *cfg_dirs("incident_dirs"), *env_incidents]
    templates = _relative_to(here, cfg["templates_dir"]) if cfg.get("templates_dir") else None
    if templates is None and os.environ.get("RUNBOOK_TEMPLATES"):
        templates = Path(os.environ["RUNBOOK_TEMPLATES"]).expanduser()
    author = os.environ.get("RUNBOOK_AUTHOR") or cfg.get("author") or process_author()
    team = cfg.get("team_dir")
    team_dir = _relative_to(here, team) if team else None
    export = os.environ.get("RUNBOOK_EXPORT_DIR")
    export_dir = (
        Path(export).expanduser()
        if export
        else _relative_to(here, cfg["export_dir"])
        if cfg.get("export_dir")
        else None
    )
    knowledge_url = str(os.environ.get("RUNBOOK_KNOWLEDGE_URL") or cfg.get("knowledge_url") or "").strip()
    return Settings(
        db_url=url,
        playbook_dirs=tuple(_dedupe(playbooks)),
        incident_dirs=tuple(_dedupe(incidents)),
        templates_dir=templates,
        author=author,
        layers=tuple(layers),
        team_dir=team_dir,
        export_dir=export_dir,
        knowledge_url=knowledge_url,
    )


def _relative_to(base: Path, value: str | Path) -> Path:
    """A path from the config file: ``~`` expanded, relative ones taken from the file's directory."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _key(path: Path) -> Path:
    return path.resolve() if path.exists() else path


def _dedupe(paths: list[Path]) -> list[Path]:
    seen: set[Path] = set()
    out: list[Path] = []
    for p in paths:
        key = _key(p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
