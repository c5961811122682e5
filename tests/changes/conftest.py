from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from govern.cli.main import cli
from tests.conftest import REPO


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example organization (inventory and policies), as cwd."""
    shutil.copy(REPO / "inventory.yaml", tmp_path / "inventory.yaml")
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOVERN_INVENTORY", raising=False)
    monkeypatch.setenv("GOVERN_TODAY", "2026-11-30")
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)
