"""govern in a real process (`python -m govern`), for tests of what a user's shell sees."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path


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
