"""Running git for govern (the `--branch` commit, the audit log's anchors): one way to call it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from govern.errors import UsageError


def run_git(directory: Path, *args: str, needed_by: str) -> str:
    """git's standard output in `directory`; a missing git or a failing command is a
    `UsageError` naming the option (`needed_by`) that needed it."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=directory, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise UsageError(f"{needed_by} needs git on PATH") from None
    if done.returncode != 0:
        raise UsageError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()
