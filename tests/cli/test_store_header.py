"""A tampered scrypt header cannot make govern spend gigabytes or minutes: the parameters are
capped before any key derivation, and the refusal says "tampered header", not "wrong passphrase"."""

from __future__ import annotations

import json
import resource
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import BASE
from tests.subprocess_cli import run_govern, store_env, store_x_login

PASSPHRASE = "scrypt header test passphrase"
ENV = store_env(PASSPHRASE)


def limited() -> None:  # a runaway derivation fails fast instead of swapping the test box
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))


def govern(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_govern(cwd, *args, env=ENV, stdin=stdin, preexec_fn=limited)


@pytest.fixture
def org(tmp_path: Path) -> Path:
    (tmp_path / "inventory.yaml").write_text(BASE)
    (tmp_path / "policies").mkdir()
    assert govern(tmp_path, "store", "init").returncode == 0
    store_x_login(tmp_path, ENV)
    return tmp_path


@pytest.mark.parametrize(
    "kdf",
    [
        {"n": 2**22, "r": 8, "p": 1},  # 4 GiB
        {"n": 2**17, "r": 32, "p": 1},  # 512 MiB
        {"n": 2**17, "r": 8, "p": 16},  # 16 times the time
        {"n": 2**20, "r": 8, "p": 4},  # 1 GiB, 32 times the time
        {"n": 3 * 2**15, "r": 8, "p": 1},  # not a power of two
        {"n": 2**10, "r": 8, "p": 1},  # too cheap to be one govern wrote
    ],
)
def test_tampered_scrypt_parameters_are_refused_at_once(org: Path, kdf: dict[str, int]) -> None:
    path = org / "credentials.enc"
    doc = json.loads(path.read_text())
    doc["kdf"].update(kdf)
    path.write_text(json.dumps(doc))
    started = time.monotonic()
    done = govern(org, "creds", "show", "xacct", "--reveal")
    elapsed = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert "tampered header" in done.stderr and "wrong passphrase" not in done.stderr
    assert "Traceback" not in done.stderr and "Zq8#" not in done.stdout
    assert elapsed < 10, elapsed


def test_default_parameters_still_open(org: Path) -> None:
    done = govern(org, "creds", "show", "xacct", "--reveal")
    assert done.returncode == 0, done.stderr
