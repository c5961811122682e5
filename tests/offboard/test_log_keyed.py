"""The audit log resists a forger who rewrites it: a keyed MAC (GOVERN_LOG_KEY, held outside
the log) on every record, and the head anchored in the `--branch` commit and the journal."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from govern import auditlog
from govern.cli.main import cli

KEY = "a log key of at least thirty-two characters, from CI"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def rechain(log: Path, keep: int | None = None, person: str | None = None) -> None:
    """What a forger without the key does: edit, then recompute every seq, prev and hash."""
    records = [json.loads(line) for line in log.read_text().splitlines()][:keep]
    prev = auditlog.GENESIS
    lines = []
    for seq, record in enumerate(records, start=1):
        if person and seq == 1:
            record["person"] = person
        record["seq"], record["prev"] = seq, prev
        body = {k: v for k, v in record.items() if k not in ("hash", "mac")}
        record["hash"] = hashlib.sha256(
            json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        ).hexdigest()
        prev = record["hash"]
        lines.append(json.dumps(record, sort_keys=True) + "\n")
    log.write_text("".join(lines))


def write_log(log: Path, n: int, key: str | None = KEY) -> None:
    for i in range(n):
        auditlog.append(
            log,
            "revoke",
            actor="a",
            person=f"p{i}",
            details={"i": i},
            key=key.encode() if key else None,
        )


def test_keyed_log_verifies_with_the_key(tmp_path: Path) -> None:
    log = tmp_path / "audit.log.jsonl"
    write_log(log, 3)
    result = run("log", "verify", "--log", str(log), env={"GOVERN_LOG_KEY": KEY})
    assert result.exit_code == 0, result.stderr
    assert "3 records" in result.stdout and "authenticated" in result.stdout


@pytest.mark.parametrize("forgery", ["edit-and-rechain", "rechain-without-macs"])
def test_a_rechained_log_fails_with_the_key(tmp_path: Path, forgery: str) -> None:
    log = tmp_path / "audit.log.jsonl"
    write_log(log, 3)
    rechain(log, person="someone-else")
    if forgery == "rechain-without-macs":
        log.write_text(
            "".join(
                json.dumps(
                    {k: v for k, v in json.loads(line).items() if k != "mac"}, sort_keys=True
                )
                + "\n"
                for line in log.read_text().splitlines()
            )
        )
    assert run("log", "verify", "--log", str(log)).exit_code == 0  # the chain alone passes
    result = run("log", "verify", "--log", str(log), env={"GOVERN_LOG_KEY": KEY})
    assert result.exit_code == 2
    assert f"{log}:1:1:" in result.stderr and "GOVERN_LOG_KEY" in result.stderr


def test_a_wrong_key_fails(tmp_path: Path) -> None:
    log = tmp_path / "audit.log.jsonl"
    write_log(log, 2)
    result = run(
        "log",
        "verify",
        "--log",
        str(log),
        env={"GOVERN_LOG_KEY": "another key that is also long enough!!"},
    )
    assert result.exit_code == 2


def test_without_the_key_verify_says_it_checked_the_chain_only(tmp_path: Path) -> None:
    log = tmp_path / "audit.log.jsonl"
    write_log(log, 2)
    result = run("log", "verify", "--log", str(log), env={"GOVERN_LOG_KEY": ""})
    assert result.exit_code == 0
    assert "not authenticated" in result.stderr and "GOVERN_LOG_KEY" in result.stderr


def test_a_short_key_is_a_usage_error(tmp_path: Path) -> None:
    log = tmp_path / "audit.log.jsonl"
    write_log(log, 1)
    result = run("log", "verify", "--log", str(log), env={"GOVERN_LOG_KEY": "short"})
    assert result.exit_code == 2 and "GOVERN_LOG_KEY" in result.stderr


def git(org: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=org,
        check=True,
        capture_output=True,
        text=True,
        env={**GIT_ENV, "PATH": "/usr/bin:/bin"},
    ).stdout


@pytest.mark.parametrize("forgery", ["truncate", "rechain"])
def test_the_branch_commit_anchors_the_head(org: Path, forgery: str) -> None:
    git(org, "init", "-q", "-b", "main")
    git(org, "add", ".")
    git(org, "commit", "-qm", "initial")
    env = {**GIT_ENV, "GOVERN_LOG_KEY": KEY}
    assert run("revoke", "dkim", "--yes", env=env).exit_code == 0
    git(org, "add", ".")
    git(org, "commit", "-qm", "revoke dkim")
    result = run("revoke", "it-lnguyen", "--yes", "--branch", "offboard/it", env=env)
    assert result.exit_code == 0, result.stderr
    log = org / "audit.log.jsonl"
    head = auditlog.verify(log).head
    assert f"Govern-Log-Head: 2 {head}" in git(org, "log", "-1", "--format=%B")
    ok = run("log", "verify", "--git", env=env)
    assert ok.exit_code == 0, ok.stderr
    assert "anchored" in ok.stdout
    # Truncating the last record keeps a valid, correctly MAC'd chain of one...
    if forgery == "truncate":
        log.write_text(log.read_text().splitlines(keepends=True)[0])
    else:
        rechain(log, person="someone-else")
    assert run("log", "verify").exit_code == 0
    # ...but not the head the commit recorded (checked even without the key).
    result = run("log", "verify", "--git", env={"GOVERN_LOG_KEY": ""})
    assert result.exit_code == 2, result.stdout
    assert "Govern-Log-Head" in result.stderr


def test_the_journal_anchor_catches_a_log_truncated_during_a_revoke(org: Path) -> None:
    from tests.connectors.fake_github import FakeGithub

    github = FakeGithub().start()
    try:
        github.add_member("stbrendan-diocese", "bp-oconnor", role="admin")
        env = {
            "GOVERN_LOG_KEY": KEY,
            "GOVERN_GITHUB_API_URL": github.url,
            "GOVERN_GITHUB_TOKEN": github.token,
        }
        assert run("revoke", "dkim", "--yes", env=env).exit_code == 0
        log = org / "audit.log.jsonl"
        first = log.read_text()
        # A second revoke stops after its log record: GitHub refuses the token, so the
        # last step (removal on the platforms) fails and the journal stays open...
        github.server.fail("GET", ".*", status=401, body={"message": "Bad credentials"})
        failed = run("revoke", "it-lnguyen", "--yes", env=env)
        assert failed.exit_code == 3, failed.stderr
        assert len(auditlog.read(log)) == 2
        log.write_text(first)  # ...and someone removes that record before the rerun
        result = run("revoke", "it-lnguyen", "--yes", env=env)
        assert result.exit_code == 2
        assert "removed" in result.stderr
    finally:
        github.stop()
