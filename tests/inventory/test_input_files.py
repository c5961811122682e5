"""Input files: symlinks are written through (a shared store does not fork), FIFOs and
devices are refused at once, oversized files get a clear error; exit 2, never a hang."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from govern.fsutil import atomic_write_text
from tests.conftest import BASE
from tests.subprocess_cli import run_govern, store_env, store_x_login

ENV = store_env("input files test passphrase")


def govern(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_govern(cwd, *args, env=ENV, stdin=stdin, timeout=60)


@pytest.fixture
def org(tmp_path: Path) -> Path:
    org = tmp_path / "org"
    org.mkdir()
    (org / "inventory.yaml").write_text(BASE)
    (org / "policies").mkdir()
    return org


def test_atomic_write_goes_through_a_symlink_chain(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "data.txt"
    real.parent.mkdir()
    real.write_text("old")
    (tmp_path / "hop").symlink_to(Path("shared") / "data.txt")  # relative
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "hop")
    atomic_write_text(link, "new")
    assert link.is_symlink() and (tmp_path / "hop").is_symlink()
    assert real.read_text() == "new"


def test_a_symlinked_store_stays_shared(org: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (org / "credentials.enc").symlink_to(shared / "credentials.enc")
    assert govern(org, "store", "init").returncode == 0
    assert (org / "credentials.enc").is_symlink() and (shared / "credentials.enc").is_file()
    store_x_login(org, ENV)
    assert (org / "credentials.enc").is_symlink()
    assert "xacct" in json.loads((shared / "credentials.enc").read_text())["entries"]
    # The lock is taken beside the real file, so two symlinks to it serialize.
    assert (shared / ".credentials.enc.lock").exists()


def test_a_symlinked_inventory_is_edited_in_place(org: Path, tmp_path: Path) -> None:
    real = tmp_path / "inventory-real.yaml"
    (org / "inventory.yaml").rename(real)
    (org / "inventory.yaml").symlink_to(real)
    done = govern(org, "revoke", "mgr2", "--yes")
    assert done.returncode == 0, done.stderr
    assert (org / "inventory.yaml").is_symlink()
    assert "status: departed" in real.read_text()


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_non_regular_inventory_is_refused(org: Path, kind: str) -> None:
    path = org / "inventory.yaml"
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    done = govern(org, "validate", str(path))
    assert done.returncode == 2, done.stderr
    assert f"{path}:1:1: " in done.stderr and "not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_non_regular_store_is_refused(org: Path, kind: str) -> None:
    path = org / "credentials.enc"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    done = govern(org, "creds", "list")
    assert done.returncode == 2, done.stderr
    assert "not a regular file" in done.stderr and "Traceback" not in done.stderr


def test_oversized_store_is_refused(org: Path) -> None:
    path = org / "credentials.enc"
    with path.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: no disk used
    done = govern(org, "creds", "list")
    assert done.returncode == 2, done.stderr
    assert "too large" in done.stderr and "Traceback" not in done.stderr


def test_non_regular_csv_and_log_are_refused(org: Path) -> None:
    fifo = org / "logins.csv"
    os.mkfifo(fifo)
    done = govern(org, "creds", "import", str(fifo))
    assert done.returncode == 2, done.stderr
    assert "not a regular file" in done.stderr
    log = org / "audit.log.jsonl"
    log.symlink_to("/dev/zero")
    done = govern(org, "log", "verify")
    assert done.returncode == 2, done.stderr
    assert "not a regular file" in done.stderr
