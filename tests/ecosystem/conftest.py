"""Helpers for the ecosystem tests: external tools (actionlint, zizmor, pre-commit,
check-jsonschema) run as real subprocesses against what govern ships and scaffolds.

A tool is looked up next to the running interpreter first (the test extra installs them into
the same environment), then on PATH. A missing tool skips its tests with the reason; a tool
that is present must pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def tool_path() -> str:
    """PATH with the interpreter's bin directory first (govern, shellcheck, the tools)."""
    return os.pathsep.join([str(BIN), os.environ.get("PATH", "")])


def tool(name: str, *, install: str) -> str:
    found = shutil.which(name, path=tool_path())
    if found is None:
        pytest.skip(f"`{name}` is not installed (pip install {install}, or the test extra)")
    return found


def run(
    args: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: int = 120,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PATH": tool_path(), "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout, check=False
    )


def govern(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "govern", *args], cwd=cwd)


@pytest.fixture(scope="session")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A governance repository made by `govern init`, shared read-only by the tests."""
    directory = tmp_path_factory.mktemp("scaffold")
    proc = govern("init", str(directory), cwd=directory)
    assert proc.returncode == 0, proc.stderr
    return directory
