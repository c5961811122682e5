"""Faults around `govern revoke`: a corrupt audit log, a planted or stale journal, options on a
resumed run, and git failing under --branch. Each gives a clear message and leaves nothing
half-done."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from govern import auditlog
from govern.cli.main import cli
from tests.offboard.conftest import open_store
from tests.offboard.test_revoke import crash_before

JOURNAL = Path(".govern") / "revoke-dkim.json"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def snapshot(org: Path) -> dict[str, object]:
    """Everything a revoke could change."""
    store = open_store(org)
    return {
        "inventory": (org / "inventory.yaml").read_text(),
        "versions": {m.ref: m.current_version for m in store.list()},
        "log": (org / "audit.log.jsonl").read_bytes()
        if (org / "audit.log.jsonl").exists()
        else None,
        "journal": (org / JOURNAL).exists(),
    }


# -- the audit log ----------------------------------------------------------------------------


def test_a_corrupt_audit_log_stops_the_revoke_before_any_change(org: Path) -> None:
    auditlog.append(org / "audit.log.jsonl", "note", actor="x", details={})
    log = org / "audit.log.jsonl"
    log.write_text(log.read_text().replace('"actor": "x"', '"actor": "y"'))
    before = snapshot(org)
    result = run("revoke", "dkim", "--yes")
    assert result.exit_code == 2
    assert "audit log does not verify" in result.stderr
    assert "record was edited" in result.stderr
    assert "nothing was changed" in result.stderr and "restore" in result.stderr
    assert snapshot(org) == before  # no rotation, no edit, no journal
    # The same every time, and once the log is restored the revoke goes through.
    assert run("revoke", "dkim", "--yes").exit_code == 2
    log.unlink()
    done = run("revoke", "dkim", "--yes")
    assert done.exit_code == 0, done.stderr
    assert auditlog.verify(log).records == 1


def test_an_unwritable_folder_stops_before_any_change(org: Path) -> None:
    if os.geteuid() == 0:
        # root ignores permissions: block the journal's folder instead (a file in its place).
        (org / ".govern").write_text("not a folder")
        before = snapshot(org)
        result = run("revoke", "dkim", "--yes")
        assert result.exit_code == 2 and "is a file, not a folder" in result.stderr
        assert "nothing was changed" in result.stderr
        assert snapshot(org) == before
        return
    org.chmod(0o555)
    try:
        before = snapshot(org)
        result = run("revoke", "dkim", "--yes")
        assert result.exit_code == 2 and "not writable" in result.stderr
        assert "nothing was changed" in result.stderr
        assert snapshot(org) == before
    finally:
        org.chmod(0o755)


# -- the journal ------------------------------------------------------------------------------


def plant(org: Path, **changes: object) -> None:
    """A journal as a stale run or an attacker would leave it: taken from a real run of
    another plan, then edited."""
    path = org / JOURNAL
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def test_a_planted_journal_is_shown_and_refused_until_discarded(org: Path) -> None:
    journal = crash_before(org, "dkim", "inventory")
    # Planted: says the rotation is done, and claims an empty plan (nothing to remove).
    plan = dict(journal.data["plan"], grants=[], credentials=[])
    plant(org, plan=plan)
    before = snapshot(org)
    refused = run("revoke", "dkim", "--yes")
    assert refused.exit_code == 2
    assert "does not match this command" in refused.stderr
    assert "--discard-journal" in refused.stderr
    assert "Its plan:" in refused.stdout and "The plan for this command:" in refused.stdout
    assert snapshot(org) == before
    # --dry-run shows both plans and changes nothing.
    shown = run("revoke", "dkim", "--dry-run")
    assert shown.exit_code == 0 and "does not match" in shown.stdout
    assert snapshot(org) == before
    kept = run("revoke", "dkim", "--dry-run", "--discard-journal")
    assert kept.exit_code == 0 and "it is kept" in kept.stdout
    assert snapshot(org) == before
    # A discard is carried out only with the run: a refused run keeps the journal.
    assert run("revoke", "dkim", "--discard-journal").exit_code == 2  # no --yes, no terminal
    assert (org / JOURNAL).exists()
    # Discarded: planned afresh on the current inventory, carried out in full.
    done = run("revoke", "dkim", "--yes", "--discard-journal")
    assert done.exit_code == 0, done.stderr
    assert "Discarded the revoke journal" in done.stdout
    assert "{person: dkim" not in (org / "inventory.yaml").read_text()
    assert not (org / JOURNAL).exists()


def test_a_journal_with_a_forged_digest_or_blocked_plan_is_refused(org: Path) -> None:
    journal = crash_before(org, "dkim", "inventory")
    plant(org, plan=dict(journal.data["plan"], blocked=["planted"]))
    refused = run("revoke", "dkim", "--yes")
    assert refused.exit_code == 2 and "its plan is blocked: planted" in refused.stderr
    plant(org, plan=journal.data["plan"], digest="0" * 64)
    refused = run("revoke", "dkim", "--yes")
    assert refused.exit_code == 2 and "edited or planted" in refused.stderr


def test_an_unreadable_journal_names_the_way_out(org: Path) -> None:
    (org / ".govern").mkdir()
    (org / JOURNAL).write_text("{not json")
    refused = run("revoke", "dkim", "--yes")
    assert refused.exit_code == 2
    assert "journal is unreadable" in refused.stderr and "--discard-journal" in refused.stderr
    done = run("revoke", "dkim", "--yes", "--discard-journal")
    assert done.exit_code == 0, done.stderr


def test_a_journal_from_other_arguments_is_refused_not_ignored(org: Path) -> None:
    crash_before(org, "fr-mendez", "inventory", successor="cwright")
    other = run("revoke", "fr-mendez", "--successor", "pgarcia", "--yes")
    assert other.exit_code == 2
    assert "successor: journal 'cwright', now 'pgarcia'" in other.stderr
    left_on = run("revoke", "fr-mendez", "--left-on", "2020-01-01", "--yes")
    assert left_on.exit_code == 2 and "left_on: journal" in left_on.stderr
    # Without the option the journal's own arguments apply: it resumes.
    resumed = run("revoke", "fr-mendez", "--yes")
    assert resumed.exit_code == 0, resumed.stderr
    assert "Resuming" in resumed.stdout
    assert "head: cwright" in (org / "inventory.yaml").read_text()


def test_a_journal_stale_against_an_edited_inventory_is_refused(org: Path) -> None:
    crash_before(org, "dkim", "inventory")
    path = org / "inventory.yaml"
    path.write_text(path.read_text().replace("      - {person: dkim, role: editor}\n", "", 1))
    refused = run("revoke", "dkim", "--yes")
    assert refused.exit_code == 2 and "inventory changed since" in refused.stderr


def test_dry_run_with_a_pending_journal_shows_its_plan(org: Path) -> None:
    crash_before(org, "dkim", "inventory")
    before = snapshot(org)
    shown = run("revoke", "dkim", "--dry-run")
    assert shown.exit_code == 0, shown.stderr
    assert "Resuming the revoke of dkim" in shown.stdout and "done: rotate" in shown.stdout
    assert "remove editor" in shown.stdout
    assert snapshot(org) == before


def test_a_resumed_run_applies_the_vault_option_or_refuses_it(org: Path) -> None:
    """A journal started without Vault, resumed with --vault: the Vault steps are added
    (here Vault is unreachable, so the run stops with exit 3 before any further change)."""
    crash_before(org, "dkim", "inventory")
    result = run(
        "revoke",
        "dkim",
        "--yes",
        "--vault",
        env={"VAULT_ADDR": "http://127.0.0.1:9", "VAULT_TOKEN": "t"},
    )
    assert result.exit_code == 3, result.stderr
    assert "127.0.0.1:9" in result.stderr


# -- git --------------------------------------------------------------------------------------


def git(org: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=org,
        check=True,
        capture_output=True,
        text=True,
        env={**GIT_ENV, "PATH": "/usr/bin:/bin"},
    ).stdout


def repository(org: Path) -> None:
    git(org, "init", "-q", "-b", "main")
    git(org, "add", ".")
    git(org, "commit", "-qm", "initial")


def test_branch_commits_exactly_what_the_revoke_changed(org: Path) -> None:
    repository(org)
    # The user's own uncommitted work elsewhere, one file staged and one not.
    (org / "policies" / "notes.txt").write_text("mine\n")
    git(org, "add", "policies/notes.txt")
    (org / "README.local").write_text("draft\n")
    result = run("revoke", "dkim", "--yes", "--branch", "offboard/dkim", env=GIT_ENV)
    assert result.exit_code == 0, result.stderr
    assert git(org, "rev-parse", "--abbrev-ref", "HEAD").strip() == "offboard/dkim"
    committed = set(git(org, "show", "--name-only", "--format=", "HEAD").split())
    assert committed == {"inventory.yaml", "credentials.enc", "audit.log.jsonl"}
    status = git(org, "status", "--porcelain")
    assert "A  policies/notes.txt" in status and "?? README.local" in status


def test_branch_refuses_uncommitted_edits_to_the_inventory(org: Path) -> None:
    repository(org)
    path = org / "inventory.yaml"
    path.write_text(path.read_text() + "# my unrelated note\n")
    before = snapshot(org)
    result = run("revoke", "dkim", "--yes", "--branch", "offboard/dkim", env=GIT_ENV)
    assert result.exit_code == 2
    assert "inventory.yaml has uncommitted changes" in result.stderr
    assert "nothing was changed" in result.stderr
    assert snapshot(org) == before


def test_a_git_failure_is_a_warning_with_the_commands_to_finish(org: Path) -> None:
    repository(org)
    hook = org / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'refused by policy' >&2\nexit 1\n")
    hook.chmod(0o755)
    result = run("revoke", "dkim", "--yes", "--branch", "offboard/dkim", env=GIT_ENV)
    assert result.exit_code == 0, result.stderr
    # The revoke is complete and the checklist was printed before git ran.
    assert "Revoked dkim" in result.stdout and "Still to do by hand" in result.stdout
    assert result.output.index("Still to do by hand") < result.output.index("warning:")
    assert "refused by policy" in result.stderr
    assert "To finish by hand:" in result.stderr
    assert "add -- inventory.yaml audit.log.jsonl credentials.enc" in result.stderr
    assert "commit -m" in result.stderr
    assert not (org / JOURNAL).exists()
    assert auditlog.verify(org / "audit.log.jsonl").records == 1


def test_a_mismatching_journal_is_resumed_once_confirmed_on_a_terminal(org: Path) -> None:
    """On a terminal the user may confirm the journal's plan (shown with the reasons it does
    not match); answering no leaves everything as it was."""
    import pty
    import sys

    crash_before(org, "fr-mendez", "inventory", successor="cwright")

    def converse(answers: bytes) -> tuple[int, str]:
        leader, follower = pty.openpty()
        env = {
            **os.environ,
            "GOVERN_PASSPHRASE": "offboarding test passphrase",
            "GOVERN_ACTOR": "offboarder",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "govern", "revoke", "fr-mendez", "--successor", "pgarcia"],
            cwd=org,
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=follower,
            env=env,
        )
        os.close(follower)
        os.write(leader, answers)
        out, _ = child.communicate(timeout=120)
        transcript = b""
        try:
            while chunk := os.read(leader, 65536):
                transcript += chunk
        except OSError:
            pass
        os.close(leader)
        return child.returncode, out.decode() + transcript.decode(errors="replace")

    before = snapshot(org)
    code, text = converse(b"n\n")
    assert code != 0 and "does not match this command" in text
    assert "Resume the journal's revoke as shown above?" in text
    assert snapshot(org) == before
    code, text = converse(b"y\ny\n")
    assert code == 0, text
    assert "head: cwright" in (org / "inventory.yaml").read_text()  # the journal's plan
    assert not (org / JOURNAL).exists()
