"""pre-commit: the hooks this repository publishes (`try-repo`, which builds the hook's own
environment by pip-installing this repository) and the configuration `govern init` writes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.ecosystem.conftest import REPO, govern, run, tool

HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())


def git_repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed (pre-commit needs it)")
    directory = tmp_path / "governance"
    directory.mkdir()
    assert govern("init", cwd=directory).returncode == 0
    for args in (["init", "-q"], ["add", "."]):
        subprocess.run(["git", *args], cwd=directory, check=True, capture_output=True)
    return directory


def snapshot_of_this_repository(tmp_path: Path) -> Path:
    """This working tree (tracked and untracked, not ignored files) committed in a new git
    repository: `try-repo` on the checkout itself would see modified tracked files but not new
    ones, and so test a tree that exists nowhere."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip("this source tree is not a git checkout")
    copy = tmp_path / "govern-src"
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    identity = ["-c", "user.name=govern tests", "-c", "user.email=tests@govern.invalid"]
    for args in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", *args], cwd=copy, check=True, capture_output=True)
    return copy


def test_published_hooks() -> None:
    by_id = {hook["id"]: hook for hook in HOOKS}
    assert set(by_id) == {"govern-validate", "govern-audit"}
    validate = by_id["govern-validate"]
    assert validate["entry"] == "govern validate"
    assert validate["language"] == "python"
    assert validate["pass_filenames"] is False
    assert validate["files"] == r"^(inventory\.ya?ml|policies/.*\.ya?ml)$"


def test_try_repo_runs_both_hooks_on_a_scaffolded_repository(tmp_path: Path) -> None:
    exe = tool("pre-commit", install="pre-commit")
    repo = git_repo(tmp_path)
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    source = snapshot_of_this_repository(tmp_path)
    proc = run([exe, "try-repo", str(source), "--all-files"], cwd=repo, env=env, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "govern validate" in output and "govern audit" in output
    assert output.count("Passed") == 2, output


def test_scaffolded_config_passes_then_catches_a_broken_inventory(tmp_path: Path) -> None:
    exe = tool("pre-commit", install="pre-commit")
    repo = git_repo(tmp_path)
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    ok = run([exe, "run", "--all-files"], cwd=repo, env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "govern validate" in ok.stdout
    push = run([exe, "run", "--all-files", "--hook-stage", "pre-push"], cwd=repo, env=env)
    assert push.returncode == 0 and "govern audit" in push.stdout, push.stdout + push.stderr

    inventory = repo / "inventory.yaml"
    inventory.write_text(inventory.read_text().replace("role: admin}", "role: superuser}", 1))
    subprocess.run(["git", "add", "inventory.yaml"], cwd=repo, check=True)
    bad = run([exe, "run", "--all-files"], cwd=repo, env=env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "govern validate" in bad.stdout and "Failed" in bad.stdout
    assert "inventory.yaml:47:" in bad.stdout and "role" in bad.stdout, bad.stdout
