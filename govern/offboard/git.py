"""`govern revoke --branch`: commit exactly what the revoke changed on a branch.

Checked before the revoke (`check_branch`): git is there, the inventory is in a work tree,
the branch name is valid, and the files the revoke will change carry no uncommitted edits
of the user's (they would end up in the commit). After the revoke (`commit_revoke`): switch
to the branch, add and commit only those files (`git commit -- PATHS`, so nothing else the
user staged or edited goes in). A git failure there is not the revoke's failure: the access
is already cut, so it comes back as a warning with the exact commands to finish.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from govern.errors import UsageError


class GitFailed(Exception):
    pass


def _git(cwd: Path, *args: str, strip: bool = True) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise GitFailed("git is not on PATH") from None
    if done.returncode != 0:
        raise GitFailed(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip() if strip else done.stdout


@dataclass(frozen=True)
class Repo:
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
        root = Path(_git(cwd, "rev-parse", "--show-toplevel")).resolve()
        _git(cwd, "check-ref-format", "--branch", branch)
    except GitFailed as exc:
        raise UsageError(
            f"--branch {branch}: {exc}; nothing was changed",
            hint="run it inside a git work tree with a valid branch name, or without --branch",
        ) from None
    repo = Repo(root=root, branch=branch)
    relative = repo.relative(paths)
    dirty = _git(
        root, "status", "--porcelain", "--untracked-files=no", "--", *relative, strip=False
    ).splitlines()
    if dirty:
        names = ", ".join(line[3:] for line in dirty)
        raise UsageError(
            f"--branch {branch}: {names} ha{'s' if len(dirty) == 1 else 've'} "
            "uncommitted changes, which would go into the revoke's commit; nothing was changed",
            hint="commit or stash them first, or run without --branch",
        )
    return repo


def commands(repo: Repo, paths: Sequence[Path], message: str) -> list[str]:
    """The git commands that commit the revoke (what `commit_revoke` runs)."""
    relative = repo.relative(paths)
    quoted = " ".join(shlex.quote(p) for p in relative)
    where = shlex.quote(str(repo.root))
    return [
        f"git -C {where} switch -c {shlex.quote(repo.branch)}  "
        f"# or `git switch {shlex.quote(repo.branch)}` if it exists",
        f"git -C {where} add -- {quoted}",
        f"git -C {where} commit -m {shlex.quote(message)} -- {quoted}",
    ]


def commit_revoke(
    repo: Repo, paths: Sequence[Path], message: str, *, what: str = "the revoke"
) -> str | None:
    """Commit the revoke's files on the branch; None on success, else the warning.
    `what` names the change in the warning (`govern grant` commits this way too)."""
    relative = [p for p in repo.relative(paths)]
    try:
        current = _git(repo.root, "rev-parse", "--abbrev-ref", "HEAD")
        if current != repo.branch:
            exists = _git(repo.root, "branch", "--list", repo.branch)
            if exists:
                _git(repo.root, "switch", repo.branch)
            else:
                _git(repo.root, "switch", "-c", repo.branch)
        changed = _git(repo.root, "status", "--porcelain", "--", *relative)
        if not changed:
            return None
        _git(repo.root, "add", "--", *relative)
        _git(repo.root, "commit", "-m", message, "--", *relative)
    except GitFailed as exc:
        steps = "\n".join(f"  {line}" for line in commands(repo, paths, message))
        return (
            f"warning: {what} is done, but committing it failed ({exc}).\n"
            f"To finish by hand:\n{steps}"
        )
    return None
