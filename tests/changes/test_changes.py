"""govern people add / grant / ungrant / account add: the inventory changed without opening it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.changes.conftest import run

ADD = ("people", "add", "mvol", "--name", "Maria Vol", "--email", "m@stmary.example")


def data(org: Path) -> dict:  # type: ignore[type-arg]
    loaded: dict = yaml.safe_load((org / "inventory.yaml").read_text())  # type: ignore[type-arg]
    return loaded


def grants(org: Path, account: str) -> list[dict]:  # type: ignore[type-arg]
    return next(a for a in data(org)["accounts"] if a["id"] == account).get("access", [])


def test_people_add_writes_the_person_keeping_comments(org: Path) -> None:
    before = (org / "inventory.yaml").read_text()
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    result = run(*ADD, "--level", "C", "--trained-on", "2026-10-01")
    assert result.exit_code == 0, result.output
    assert "+  - id: mvol" in result.output
    assert "Wrote inventory.yaml: added person mvol." in result.output
    person = next(p for p in data(org)["people"] if p["id"] == "mvol")
    assert person["email"] == "m@stmary.example"
    assert str(person["trained_on"]) == "2026-10-01"
    after = (org / "inventory.yaml").read_text()
    assert [line for line in after.splitlines() if line.lstrip().startswith("#")] == comments
    assert run("validate").exit_code == 0


def test_people_add_refuses_a_bad_email_as_the_loader_would(org: Path) -> None:
    before = (org / "inventory.yaml").read_bytes()
    result = run("people", "add", "mvol", "--name", "M", "--email", "bad", "--level", "C")
    assert result.exit_code == 2
    assert "inventory.yaml:" in result.output and "email: must be an email address" in result.output
    assert "Traceback" not in result.output
    assert (org / "inventory.yaml").read_bytes() == before


def test_people_add_refuses_an_existing_id_and_a_bad_date(org: Path) -> None:
    result = run("people", "add", "mreyes", "--name", "M", "--email", "m@x.org", "--level", "C")
    assert result.exit_code == 2 and "already" in result.output
    result = run(*ADD, "--level", "C", "--trained-on", "31/12/2026")
    assert result.exit_code == 2 and "--trained-on: '31/12/2026' is not a date" in result.output


def test_grant_refused_with_the_rules_explanation_then_allowed(org: Path) -> None:
    assert run(*ADD, "--level", "C").exit_code == 0
    before = (org / "inventory.yaml").read_bytes()
    result = run("grant", "mvol", "st-mary-facebook", "editor", "--expires", "2026-12-31")
    assert result.exit_code == 1
    assert "training-current" in result.output
    assert "Managers must know the policy" in result.output  # the rule's explanation
    assert "Nothing was written" in result.output
    assert (org / "inventory.yaml").read_bytes() == before
    result = run(
        "grant", "mvol", "st-mary-facebook", "editor", "--expires", "2026-12-31",
        "--note", "festival", "--allow-findings",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    mine = [g for g in grants(org, "st-mary-facebook") if g["person"] == "mvol"]
    assert len(mine) == 1
    assert mine[0]["role"] == "editor" and str(mine[0]["expires"]) == "2026-12-31"
    assert mine[0]["note"] == "festival"


def test_grant_accepted_when_the_rules_accept_it(org: Path) -> None:
    assert run(*ADD, "--level", "C", "--trained-on", "2026-10-01").exit_code == 0
    result = run("grant", "mvol", "st-mary-facebook", "editor", "--expires", "2026-12-31")
    assert result.exit_code == 0, result.output
    assert "+      - {person: mvol, role: editor, expires: 2026-12-31}" in result.output
    # granting again with a new role changes the grant, not a second one
    result = run("grant", "mvol", "st-mary-facebook", "analyst", "--expires", "2026-12-31")
    assert result.exit_code == 0, result.output
    mine = [g for g in grants(org, "st-mary-facebook") if g["person"] == "mvol"]
    assert [g["role"] for g in mine] == ["analyst"]


def test_grant_refuses_unknown_names_and_a_role_the_platform_lacks(org: Path) -> None:
    result = run("grant", "nobody", "st-mary-facebook", "editor")
    assert result.exit_code == 2 and "no person 'nobody'" in result.output
    result = run("grant", "mreyes", "no-such-account", "editor")
    assert result.exit_code == 2 and "no account 'no-such-account'" in result.output
    result = run("grant", "mreyes", "st-mary-facebook", "emperor")
    assert result.exit_code == 2
    assert "inventory.yaml:" in result.output and "Traceback" not in result.output


def test_ungrant_removes_the_grant(org: Path) -> None:
    holder = grants(org, "st-mary-facebook")[-1]["person"]
    result = run("ungrant", holder, "st-mary-facebook")
    assert result.exit_code == 0, result.output
    assert holder not in [g["person"] for g in grants(org, "st-mary-facebook")]
    result = run("ungrant", holder, "st-mary-facebook")
    assert result.exit_code == 2 and "holds no grant" in result.output


def test_account_add_validated_like_the_loader(org: Path) -> None:
    result = run(
        "account", "add", "st-mary-tiktok", "--entity", "st-mary", "--platform", "tiktok",
        "--handle", "stmary", "--credential-ref", "st-mary-tiktok", "--mfa",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "This change adds" in result.output and "min-admins" in result.output  # shown
    assert "fix: govern grant PERSON st-mary-tiktok admin" in result.output
    added = next(a for a in data(org)["accounts"] if a["id"] == "st-mary-tiktok")
    assert added["credential"] == {"ref": "st-mary-tiktok", "mfa": True}
    result = run(
        "account", "add", "x2", "--entity", "st-maryx", "--platform", "tiktok", "--handle", "h"
    )
    assert result.exit_code == 2
    assert "unknown entity 'st-maryx' (did you mean 'st-mary'?)" in result.output


def test_dry_run_writes_nothing(org: Path) -> None:
    before = (org / "inventory.yaml").read_bytes()
    result = run(*ADD, "--level", "C", "--dry-run")
    assert result.exit_code == 0 and "+  - id: mvol" in result.output
    assert "nothing was written" in result.output
    assert (org / "inventory.yaml").read_bytes() == before


def git(org: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=org, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_branch_commits_only_the_inventory(org: Path) -> None:
    git(org, "init", "-q", "-b", "main")
    git(org, "-c", "user.name=t", "-c", "user.email=t@x.org", "add", ".")
    git(org, "-c", "user.name=t", "-c", "user.email=t@x.org", "commit", "-qm", "start")
    (org / "notes.txt").write_text("mine\n")
    result = run(*ADD, "--level", "C", "--branch", "people/mvol")
    assert result.exit_code == 0, result.output
    assert "Committed on branch people/mvol." in result.output
    assert git(org, "rev-parse", "--abbrev-ref", "HEAD") == "people/mvol"
    shown = git(org, "show", "--name-only", "--format=%s", "HEAD").splitlines()
    assert [line for line in shown if line] == [
        "govern: added person mvol",
        "inventory.yaml",
    ]


def test_recording_the_training_lets_the_grant_through(org: Path) -> None:
    assert run(*ADD, "--level", "C").exit_code == 0
    assert run("grant", "mvol", "st-mary-facebook", "editor").exit_code == 1
    result = run("people", "trained", "mvol", "--on", "2026-11-28")
    assert result.exit_code == 0, result.output
    assert "+    trained_on: 2026-11-28" in result.output
    person = next(p for p in data(org)["people"] if p["id"] == "mvol")
    assert str(person["trained_on"]) == "2026-11-28"
    assert run("grant", "mvol", "st-mary-facebook", "editor").exit_code == 0
    result = run("people", "trained", "nobody")
    assert result.exit_code == 2 and "no person 'nobody'" in result.output
