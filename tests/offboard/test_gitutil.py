"""govern.gitutil, the one way govern runs git: a real repository in a temporary folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from govern.errors import UsageError
from govern.gitutil import GitFailed, check_branch, commit_on_branch, run_git

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    (tmp_path / "inventory.yaml").write_text("version: 1\n")
    (tmp_path / "notes.txt").write_text("mine\n")
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    subprocess.run(["git", "commit", "-qm", "start"], cwd=tmp_path, check=True)
    return tmp_path


def test_run_git_returns_output_and_names_the_failure(repo: Path) -> None:
    assert run_git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert run_git(repo, "log", "--format=%s", strip=False) == "start\n"
    with pytest.raises(GitFailed, match=r"git switch no-such failed: .*no-such"):
        run_git(repo, "switch", "no-such")


def test_a_missing_git_names_the_option_that_needed_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(repo / "empty"))
    with pytest.raises(GitFailed, match=r"^--git needs git on PATH$"):
        run_git(repo, "log", needed_by="--git")
    with pytest.raises(GitFailed, match=r"^git is not on PATH$"):
        run_git(repo, "log")
    assert issubclass(GitFailed, UsageError)  # exit 2


def test_check_branch_refuses_uncommitted_edits_and_bad_names(repo: Path) -> None:
    inventory = repo / "inventory.yaml"
    with pytest.raises(UsageError, match=r"--branch bad\.\.name: git check-ref-format"):
        check_branch(inventory, "bad..name", [inventory])
    inventory.write_text("version: 1\n# edited by hand\n")
    with pytest.raises(UsageError, match=r"inventory\.yaml has uncommitted changes"):
        check_branch(inventory, "offboard/jdoe", [inventory])
    outside = repo.parent / "elsewhere.yaml"
    with pytest.raises(UsageError, match="nothing was changed"):
        check_branch(outside, "offboard/jdoe", [outside])


def test_commit_on_branch_commits_only_the_named_files(repo: Path) -> None:
    inventory = repo / "inventory.yaml"
    found = check_branch(inventory, "offboard/jdoe", [inventory])
    assert found.root == repo.resolve() and found.branch == "offboard/jdoe"
    inventory.write_text("version: 1\npeople: []\n")
    (repo / "notes.txt").write_text("mine, not the revoke's\n")
    assert commit_on_branch(found, [inventory], "Revoke jdoe", what="the revoke") is None
    assert run_git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "offboard/jdoe"
    assert run_git(repo, "show", "--name-only", "--format=%s", "HEAD") == (
        "Revoke jdoe\n\ninventory.yaml"
    )
    assert "notes.txt" in run_git(repo, "status", "--porcelain")  # left to the user
    # Nothing changed since: nothing to commit, no warning.
    assert commit_on_branch(found, [inventory], "again", what="the revoke") is None


def test_a_failing_commit_is_a_warning_with_the_commands(repo: Path) -> None:
    inventory = repo / "inventory.yaml"
    found = check_branch(inventory, "offboard/jdoe", [inventory])
    inventory.write_text("version: 1\npeople: []\n")
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho refused by hook >&2\nexit 1\n")
    os.chmod(hook, 0o755)
    warning = commit_on_branch(found, [inventory], "Revoke jdoe", what="the change")
    assert warning is not None
    assert warning.startswith("warning: the change is done, but committing it failed (git ")
    assert "refused by hook" in warning
    assert "git -C" in warning and "commit -m 'Revoke jdoe' -- inventory.yaml" in warning
