"""govern in a real process (`python -m govern`), for tests of what a user's shell sees."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


def run_python(
    cwd: Path, program: str, *args: str, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """`python -c PROGRAM ARGS` in `cwd`: for tests that watch govern from inside."""
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_govern(
    cwd: Path,
    *args: str,
    env: Mapping[str, str],
    stdin: str | None = None,
    preexec_fn: Callable[[], None] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govern", *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        preexec_fn=preexec_fn,
        check=False,
    )


def store_env(passphrase: str) -> dict[str, str]:
    """This process's environment for a file store opened with `passphrase`: no Vault, no
    keyring, no store or public key from the developer's shell."""
    return {
        **os.environ,
        "GOVERN_PASSPHRASE": passphrase,
        "GOVERN_STORE": "",
        "VAULT_ADDR": "",
        "GOVERN_ACTOR": "tester",
        "GOVERN_STORE_PUBLIC_KEY": "",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }


def store_x_login(org: Path, env: Mapping[str, str], **options: Any) -> None:
    """`govern creds set xacct` (the base inventory's X account) with a fixed password."""
    done = run_govern(
        org,
        "creds",
        "set",
        "xacct",
        "--password-stdin",
        "--username",
        "u",
        env=env,
        stdin=X_PASSWORD,
        **options,
    )
    assert done.returncode == 0, done.stderr


X_PASSWORD = "Zq8#vX2!mPa9-a-password"
