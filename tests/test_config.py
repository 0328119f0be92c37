"""Settings: defaults with nothing configured, the config file, environment overrides."""

import os
from pathlib import Path

from runbook.config import load_settings, shipped_playbooks_dir


def test_defaults_need_no_configuration():
    s = load_settings()
    assert s.db_url == f"sqlite:///{Path(os.environ['XDG_DATA_HOME']) / 'runbook' / 'runbook.db'}"
    assert s.playbook_dirs == (shipped_playbooks_dir(),)


def test_config_file_and_env_add_several_playbook_directories(tmp_path, monkeypatch):
    a, b, c = (tmp_path / n for n in "abc")
    for d in (a, b, c):
        d.mkdir()
    cfg = Path(os.environ["XDG_CONFIG_HOME"]) / "runbook" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(
        f'db = "sqlite:///{tmp_path}/team.db"\nplaybook_dirs = ["{a}", "{b}"]\n'
        f'templates_dir = "{tmp_path}"\nauthor = "oncall-7"\n'
    )
    monkeypatch.setenv("RUNBOOK_PLAYBOOKS", f"{c}{os.pathsep}{a}")
    s = load_settings()
    assert s.db_url == f"sqlite:///{tmp_path}/team.db"
    assert s.playbook_dirs == (shipped_playbooks_dir(), a, b, c)  # shipped first, duplicates once
    assert s.templates_dir == tmp_path and s.author == "oncall-7"
    monkeypatch.setenv("RUNBOOK_DB", "postgresql+psycopg://x@db/runbook")
    assert load_settings().db_url == "postgresql+psycopg://x@db/runbook"
    assert load_settings(db_url="sqlite:///explicit.db").db_url == "sqlite:///explicit.db"


def test_broken_config_file_is_a_clear_error(tmp_path):
    import pytest

    from runbook.errors import ConfigError

    cfg = Path(os.environ["XDG_CONFIG_HOME"]) / "runbook" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("db = [unclosed\n")
    with pytest.raises(ConfigError, match=r"config.toml: cannot read config file"):
        load_settings()


def test_export_dir_from_the_config_file_relative_to_it_and_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("RUNBOOK_EXPORT_DIR", raising=False)
    assert load_settings().export_dir is None  # the UI then proposes the working directory
    cfg = Path(os.environ["XDG_CONFIG_HOME"]) / "runbook" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('export_dir = "postmortems"\n')
    assert load_settings().export_dir == cfg.parent / "postmortems"
    monkeypatch.setenv("RUNBOOK_EXPORT_DIR", str(tmp_path / "pm"))
    assert load_settings().export_dir == tmp_path / "pm"


def test_config_paths_are_relative_to_the_file_and_layers_are_named(tmp_path, monkeypatch):
    """A team directory's config works from any working directory (#15)."""
    from runbook.config import shipped_incidents_dir

    team = tmp_path / "team"
    (team / "playbooks").mkdir(parents=True)
    (team / "incidents").mkdir()
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    (team / "config.toml").write_text(
        'playbook_dirs = ["playbooks"]\nincident_dirs = ["incidents"]\nteam_dir = "."\ntemplates_dir = "tpl"\n'
    )
    monkeypatch.setenv("RUNBOOK_CONFIG", str(team / "config.toml"))
    monkeypatch.setenv("RUNBOOK_INCIDENTS", str(env_dir))
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.playbook_dirs == (shipped_playbooks_dir(), team / "playbooks")
    assert s.incident_dirs == (shipped_incidents_dir(), team / "incidents", env_dir)
    assert (s.team_dir, s.templates_dir) == (team / ".", team / "tpl")
    names = [s.layer_name(d) for d in (*s.playbook_dirs, *s.incident_dirs, tmp_path)]
    assert names == ["shipped", "config", "shipped", "config", "env", "extra"]
