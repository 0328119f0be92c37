"""One fault lab (all three scenarios, fast mode) shared by the drill tests of a session."""

from __future__ import annotations

import pytest

from runbook.drill.lab import lab_down, lab_up


@pytest.fixture(scope="session")
def lab_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("lab")
    lab_up(fast=True, directory=directory)
    try:
        yield directory
    finally:
        lab_down(directory=directory)


@pytest.fixture(scope="session")
def lab(lab_dir):
    from runbook.drill.lab import lab_status

    return lab_status(directory=lab_dir).state
