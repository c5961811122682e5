"""`govern revoke` from the outside, with a real encrypted file store."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from govern import auditlog
from govern.cli._common import load
from govern.cli.main import cli
from govern.credentials import open_store as open_credentials
from govern.offboard import plan_revoke, run_revoke
from govern.offboard.journal import Journal
from tests.conftest import REPO
from tests.offboard.conftest import open_store


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def audit_findings(person: str) -> list[dict]:  # type: ignore[type-arg]
    result = run("audit", "-f", "json", "--fail-on", "never")
    return [f for f in json.loads(result.stdout)["findings"] if f["person"] == person]


def test_head_without_successor_is_refused_and_nothing_changes(org: Path) -> None:
    before = (org / "inventory.yaml").read_text()
    result = run("revoke", "fr-mendez", "--yes")
    assert result.exit_code == 2
    assert "entity st-mary: no active head" in result.stderr
    assert "--successor" in result.stderr and "--leave-uncovered" in result.stderr
    assert (org / "inventory.yaml").read_text() == before
    assert not (org / "audit.log.jsonl").exists()


def test_dry_run_prints_the_plan_only(org: Path) -> None:
    before = (org / "inventory.yaml").read_text()
    result = run("revoke", "dkim", "--dry-run")
    assert result.exit_code == 0
    assert "remove editor" in result.stdout and "rotate the shared password of chancery-x" in (
        result.stdout
    )
    assert (org / "inventory.yaml").read_text() == before


def test_no_terminal_and_no_yes_is_refused(org: Path) -> None:
    result = run("revoke", "dkim")
    assert result.exit_code == 2 and "pass --yes" in result.stderr


def test_designated_manager_successor_keeps_the_level_rule(org: Path) -> None:
    """asullivan is a designated manager (admin) of cathedral accounts; it-lnguyen, level B,
    would become one by taking over: refused, naming the rule."""
    result = run("revoke", "asullivan", "--successor", "it-lnguyen", "--yes")
    assert result.exit_code == 2
    assert "level B" in result.stderr and "manager-level" in result.stderr
    assert "cathedral-facebook" in result.stderr


def test_head_is_succeeded_by_anyone_active(org: Path) -> None:
    """Levels apply to designated managers only: a level-B person may take over a head."""
    result = run("revoke", "fr-mendez", "--successor", "it-lnguyen", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "head: it-lnguyen" in (org / "inventory.yaml").read_text()


def test_revoke_with_successor(org: Path) -> None:
    before = (org / "inventory.yaml").read_text()
    result = run(
        "revoke", "fr-mendez", "--successor", "cwright", "--yes", "--left-on", "2026-11-20"
    )
    assert result.exit_code == 0, result.stderr
    after = (org / "inventory.yaml").read_text()
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert sorted(changed) == sorted(
        [
            "+    status: departed",
            "+    left_on: 2026-11-20",
            "-    head: fr-mendez",
            "+    head: cwright",
            "-      - {person: fr-mendez, role: admin}",
            "-      - {person: fr-mendez, role: admin}",
            "-      - {person: fr-mendez, role: admin}",
        ]
    )
    # The shared password they knew has a new version; the old one is kept for recovery.
    store = open_store(org)
    meta = store.metadata("st-mary-x")
    assert meta is not None and meta.current_version == 2
    assert meta.reason == "revoke fr-mendez" and meta.rotated_by == "offboarder"
    assert store.get("st-mary-x").password != "old-password-of-st-mary-x"
    assert store.get("st-mary-x", 1).password == "old-password-of-st-mary-x"
    assert "old-password" not in result.stdout + result.stderr
    # Only the credentials they could read were rotated.
    assert store.metadata("chancery-x").current_version == 1  # type: ignore[union-attr]
    # The audit is clean of them, the log verifies, the checklist names the manual steps.
    assert audit_findings("fr-mendez") == []
    assert auditlog.verify(org / "audit.log.jsonl").records == 1
    assert "Remove fr-mendez (Facebook access with full control) from Facebook Page" in (
        result.stdout
    )
    assert "version 2 of the stored credential" in result.stdout
    # A second run has nothing left to do.
    again = run("revoke", "fr-mendez", "--yes")
    assert again.exit_code == 0 and "nothing left to do" in again.stdout
    assert auditlog.verify(org / "audit.log.jsonl").records == 1


def test_json_output_for_ticketing(org: Path) -> None:
    result = run("revoke", "dkim", "--yes", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["person"] == "dkim" and doc["log"]["seq"] == 1
    accounts = {item["account"] for item in doc["checklist"]}
    assert accounts == {
        "chancery-x",
        "chancery-facebook",
        "chancery-instagram",
        "chancery-youtube",
        "chancery-linkedin",
    }


def test_failure_midway_resumes_to_the_same_end_state(org: Path, tmp_path: Path) -> None:
    """The run dies after the Vault-less first steps (simulated: stopped before the inventory
    step, the journal keeps the plan); the same command finishes, and the result equals an
    uninterrupted run."""
    crash_before(org, "dkim", "inventory")
    journal = org / ".govern" / "revoke-dkim.json"
    assert journal.exists()
    assert "status: departed" not in (org / "inventory.yaml").read_text().split("id: dkim")[1][:200]
    finished = run("revoke", "dkim", "--yes")
    assert finished.exit_code == 0, finished.stderr
    assert "Resuming" in finished.stdout and not journal.exists()
    resumed_inventory = (org / "inventory.yaml").read_text()
    # Rotated once, not twice.
    assert open_store(org).metadata("chancery-x").current_version == 2  # type: ignore[union-attr]
    # The same revoke, uninterrupted, in a fresh copy.
    other = tmp_path / "uninterrupted"
    other.mkdir()
    for name in ("inventory.yaml",):
        (other / name).write_text((REPO / name).read_text())
    result = run(
        "revoke",
        "dkim",
        "--yes",
        "--inventory",
        str(other / "inventory.yaml"),
        "--store",
        f"file:{org / 'credentials.enc'}",
        "--log",
        str(other / "audit.log.jsonl"),
        "--left-on",
        date_of_journal_run(),
    )
    assert result.exit_code == 0, result.stderr
    assert (other / "inventory.yaml").read_text() == resumed_inventory
    assert auditlog.verify(org / "audit.log.jsonl").records == 1


def test_store_that_cannot_be_opened_changes_nothing(org: Path) -> None:
    """No passphrase: refused before the first change (no journal, no edit, no log)."""
    before = (org / "inventory.yaml").read_text()
    failed = run("revoke", "dkim", "--yes", env={"GOVERN_PASSPHRASE": ""})
    assert failed.exit_code == 2 and "nothing was changed" in failed.stderr
    assert not (org / ".govern" / "revoke-dkim.json").exists()
    assert (org / "inventory.yaml").read_text() == before
    assert not (org / "audit.log.jsonl").exists()
    assert open_store(org).metadata("chancery-x").current_version == 1  # type: ignore[union-attr]


def test_branch_commits_the_inventory_change(org: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=org, check=True, capture_output=True, text=True
        ).stdout

    git("init", "-q", "-b", "main")
    git("-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "initial")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    result = run("revoke", "dkim", "--yes", "--branch", "offboard/dkim", env=env)
    assert result.exit_code == 0, result.stderr
    assert git("rev-parse", "--abbrev-ref", "HEAD").strip() == "offboard/dkim"
    message = git("log", "-1", "--format=%s")
    assert message.startswith("Revoke dkim: remove 5 grants")
    assert "inventory.yaml" in git("show", "--stat", "HEAD")


@pytest.mark.parametrize("person", ["nobody", "dkmi"])
def test_unknown_person(org: Path, person: str) -> None:
    result = run("revoke", person, "--yes")
    assert result.exit_code == 2 and f"no person '{person}'" in result.stderr


def test_rotation_interrupted_midway_rotates_nothing_twice(org: Path) -> None:
    """it-lnguyen could read two shared logins. The first run dies as the rotation starts;
    one login then gets its new version as a dying batch write would have left it; the
    rerun rotates only the other."""
    crash_before(org, "it-lnguyen", "rotate", successor="fr-walsh")
    partial = run("creds", "rotate", "chancery-x", "--generate", "--reason", "revoke it-lnguyen")
    assert partial.exit_code == 0, partial.stderr
    finished = run("revoke", "it-lnguyen", "--yes")
    assert finished.exit_code == 0, finished.stderr
    store = open_store(org)
    assert store.metadata("chancery-x").current_version == 2  # type: ignore[union-attr]
    assert store.metadata("st-mary-x").current_version == 2  # type: ignore[union-attr]
    assert store.metadata("youth-threads").current_version == 1  # type: ignore[union-attr]


def test_crash_after_the_log_append_does_not_append_twice(org: Path) -> None:
    """The run dies between appending the audit record and journaling it (simulated: the
    run is stopped before the log step, then the record it would have written is appended);
    the rerun finds the record and appends nothing."""
    journal = crash_before(org, "dkim", "log")
    auditlog.append(
        org / "audit.log.jsonl",
        "revoke",
        actor="offboarder",
        person="dkim",
        details={"journal_started": journal.data["started_at"]},
    )
    finished = run("revoke", "dkim", "--yes")
    assert finished.exit_code == 0, finished.stderr
    assert auditlog.verify(org / "audit.log.jsonl").records == 1


class Crash(Exception):
    pass


def crash_before(org: Path, person: str, step: str, *, successor: str | None = None) -> Journal:
    """Run the revoke through the library and stop it as `step` starts (a kill -9 there);
    returns the journal left behind."""
    loaded, policy = load("inventory.yaml", "policies")
    plan = plan_revoke(loaded.inventory, policy.catalog, person, successor=successor)
    env = {"GOVERN_ACTOR": "offboarder", "GOVERN_PASSPHRASE": "offboarding test passphrase"}

    def crash(message: str) -> None:
        if message.startswith(f"{step} "):
            raise Crash

    with pytest.raises(Crash):
        run_revoke(
            plan,
            inventory=org / "inventory.yaml",
            catalog=policy.catalog,
            left_on=dt.date.today(),
            actor="offboarder",
            store=lambda: open_credentials(None, inventory_dir=org, env=env),
            vault=None,
            log_path=org / "audit.log.jsonl",
            progress=crash,
        )
    journal = Journal.load(Journal.path_for(org / "inventory.yaml", person))
    assert journal is not None
    return journal


def date_of_journal_run() -> str:
    return dt.date.today().isoformat()
