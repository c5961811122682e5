"""Running git for govern: the one way to call it, and committing a change on a branch.

`run_git` serves every caller (the audit log's anchors, `--branch` commits). For `--branch`
(`govern revoke`, `grant`, `people add`, ...): checked before the change (`check_branch`):
git is there, the inventory is in a work tree, the branch name is valid, and the files the
change will touch carry no uncommitted edits of the user's (they would end up in the
commit). After the change (`commit_on_branch`): switch to the branch, add and commit only
those files (`git commit -- PATHS`, so nothing else the user staged or edited goes in). A
git failure there is not the change's failure (a revoke has already cut access), so it
comes back as a warning with the exact commands to finish.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from govern.errors import UsageError


class GitFailed(UsageError):
    """git is missing or a git command failed (exit 2: the user's repository must be fixed)."""


def run_git(directory: Path, *args: str, needed_by: str | None = None, strip: bool = True) -> str:
    """git's standard output in `directory` (stripped unless `strip=False`). A missing git or
    a failing command raises `GitFailed`; `needed_by` names the option that needed git."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=directory, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise GitFailed(
            f"{needed_by} needs git on PATH" if needed_by else "git is not on PATH"
        ) from None
    if done.returncode != 0:
        raise GitFailed(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip() if strip else done.stdout


@dataclass(frozen=True)
class Repo:
    """The work tree holding the inventory, and the branch a change is committed on."""

    root: Path
    branch: str

    def relative(self, paths: Sequence[Path]) -> list[str]:
        """The paths inside the work tree, relative to its root."""
        found: list[str] = []
        for path in paths:
            try:
                found.append(str(path.resolve().relative_to(self.root)))
            except ValueError:
                continue
        return found


def check_branch(inventory: Path, branch: str, paths: Sequence[Path]) -> Repo:
    """Refuse (exit 2, nothing changed) when the branch cannot be committed cleanly."""
    cwd = inventory.absolute().parent
    try:
        root = Path(run_git(cwd, "rev-parse", "--show-toplevel")).resolve()
        run_git(cwd, "check-ref-format", "--branch", branch)
    except GitFailed as exc:
        raise UsageError(
            f"--branch {branch}: {exc.message}; nothing was changed",
            hint="run it inside a git work tree with a valid branch name, or without --branch",
        ) from None
    repo = Repo(root=root, branch=branch)
    relative = repo.relative(paths)
    dirty = run_git(
        root, "status", "--porcelain", "--untracked-files=no", "--", *relative, strip=False
    ).splitlines()
    if dirty:
        names = ", ".join(line[3:] for line in dirty)
        raise UsageError(
            f"--branch {branch}: {names} ha{'s' if len(dirty) == 1 else 've'} "
            "uncommitted changes, which would go into the commit; nothing was changed",
            hint="commit or stash them first, or run without --branch",
        )
    return repo


def commit_commands(repo: Repo, paths: Sequence[Path], message: str) -> list[str]:
    """The git commands that commit the change (what `commit_on_branch` runs)."""
    relative = repo.relative(paths)
    quoted = " ".join(shlex.quote(p) for p in relative)
    where = shlex.quote(str(repo.root))
    return [
        f"git -C {where} switch -c {shlex.quote(repo.branch)}  "
        f"# or `git switch {shlex.quote(repo.branch)}` if it exists",
        f"git -C {where} add -- {quoted}",
        f"git -C {where} commit -m {shlex.quote(message)} -- {quoted}",
    ]


def commit_on_branch(repo: Repo, paths: Sequence[Path], message: str, *, what: str) -> str | None:
    """Commit `paths` on the branch; None on success (or nothing to commit), else the
    warning. `what` names the change in the warning ("the revoke", "the change")."""
    relative = repo.relative(paths)
    try:
        current = run_git(repo.root, "rev-parse", "--abbrev-ref", "HEAD")
        if current != repo.branch:
            exists = run_git(repo.root, "branch", "--list", repo.branch)
            if exists:
                run_git(repo.root, "switch", repo.branch)
            else:
                run_git(repo.root, "switch", "-c", repo.branch)
        changed = run_git(repo.root, "status", "--porcelain", "--", *relative)
        if not changed:
            return None
        run_git(repo.root, "add", "--", *relative)
        run_git(repo.root, "commit", "-m", message, "--", *relative)
    except GitFailed as exc:
        steps = "\n".join(f"  {line}" for line in commit_commands(repo, paths, message))
        return (
            f"warning: {what} is done, but committing it failed ({exc.message}).\n"
            f"To finish by hand:\n{steps}"
        )
    return None
