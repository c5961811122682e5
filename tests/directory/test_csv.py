"""`govern people sync csv:PATH`: an HR export marks exactly the people who left."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from govern import auditlog
from govern.credentials.filestore import FileStore
from tests.directory.conftest import PASSPHRASE, added_lines, run


def roster_of_everyone(org: Path, **changes: str) -> str:
    """A roster listing every active person of the inventory; `changes` maps an email to
    `status,left_on` for that row."""
    data = yaml.safe_load((org / "inventory.yaml").read_text())
    rows = ["email,name,status,left_on"]
    for person in data["people"]:
        if person.get("status", "active") != "active":
            continue
        status = changes.get(person["email"], "active,")
        rows.append(f"{person['email']},{person['name'].replace(',', ' ')},{status}")
    return "\n".join(rows) + "\n"


def test_marks_exactly_the_people_who_left_and_keeps_every_comment(org: Path) -> None:
    (org / "roster.csv").write_text(
        roster_of_everyone(
            org, **{"mreyes@stbrendan.org": "Terminated,2026-11-01", "dkim@stbrendan.org": "leave,"}
        )
    )
    before = (org / "inventory.yaml").read_bytes()
    result = run("people", "sync", "csv:roster.csv", "--yes", "--today", "2026-11-30")
    assert result.exit_code == 1, result.output
    after = (org / "inventory.yaml").read_bytes()
    removed, added = added_lines(before.decode(), after.decode())
    assert removed == []
    assert added == [
        "    status: departed",
        "    left_on: 2026-11-01",
        "    status: departed",
        "    left_on: 2026-11-30",
    ]

    # Nothing else moved: the diff above is line-exact; comments are all there, in order.
    def comments(text: bytes) -> list[bytes]:
        return [line for line in text.splitlines() if b"#" in line]

    assert comments(after) == comments(before) and len(comments(before)) >= 10
    assert after.endswith(b"\n") and len(after) == len(before) + len(
        b"    status: departed\n    left_on: 2026-11-01\n" * 2
    )
    people = {p["id"]: p for p in yaml.safe_load(after)["people"]}
    assert people["mreyes"]["status"] == "departed"
    assert str(people["dkim"]["left_on"]) == "2026-11-30"
    assert "mreyes <mreyes@stbrendan.org> left on 2026-11-01" in result.output
    # Each departed person's revoke plan is listed.
    assert "remove: analyst on chancery-youtube" in result.output
    assert "rotate: chancery-x" in result.output
    assert "run: `govern revoke dkim`" in result.output
    assert "Wrote inventory.yaml: 2 marked departed." in result.output
    # Nothing else happened: no revoke, no log.
    assert not (org / auditlog.DEFAULT_NAME).exists()

    again = run("people", "sync", "csv:roster.csv", "--yes", "--today", "2026-11-30")
    assert again.exit_code == 0, again.output
    assert "0 departures" in again.output
    assert (org / "inventory.yaml").read_bytes() == after


def test_dry_run_shows_the_diff_and_writes_nothing(org: Path) -> None:
    (org / "roster.csv").write_text(
        roster_of_everyone(org, **{"jbrooks@stbrendan.org": "Retired,2026-10-31"})
    )
    before = (org / "inventory.yaml").read_bytes()
    result = run("people", "sync", "csv:roster.csv", "--dry-run")
    assert result.exit_code == 1
    assert "+++ b/inventory.yaml" in result.output
    assert "+    status: departed\n+    left_on: 2026-10-31\n" in result.output
    assert (org / "inventory.yaml").read_bytes() == before


def test_without_yes_and_no_terminal_the_change_is_proposed_only(org: Path) -> None:
    (org / "roster.csv").write_text(
        roster_of_everyone(org, **{"jbrooks@stbrendan.org": "Retired,2026-10-31"})
    )
    before = (org / "inventory.yaml").read_bytes()
    result = run("people", "sync", "csv:roster.csv")
    assert result.exit_code == 1
    assert "nothing was written (pass --yes to write)" in result.output
    assert (org / "inventory.yaml").read_bytes() == before


def test_missing_people_are_reported_not_marked_unless_asked(org: Path) -> None:
    full = roster_of_everyone(org)
    partial = "\n".join(line for line in full.splitlines() if "jbrooks@" not in line) + "\n"
    (org / "roster.csv").write_text(partial + "new.hire@stbrendan.org,New Hire,active,\n")
    before = (org / "inventory.yaml").read_bytes()
    reported = run("people", "sync", "csv:roster.csv", "--yes", "--format", "json")
    assert reported.exit_code == 0, reported.output
    data = json.loads(reported.output)
    assert data["missing"] == ["jbrooks"]
    assert data["new"] == ["new.hire@stbrendan.org"]
    assert data["departures"] == [] and data["written"] is False
    assert (org / "inventory.yaml").read_bytes() == before

    marked = run(
        "people",
        "sync",
        "csv:roster.csv",
        "--yes",
        "--missing-means-departed",
        "--today",
        "2026-11-29",
        "--format",
        "json",
    )
    assert marked.exit_code == 1
    data = json.loads(marked.output)
    assert [d["person"] for d in data["departures"]] == ["jbrooks"]
    assert data["departures"][0]["left_on"] == "2026-11-29"
    assert data["written"] is True
    assert data["plans"][0]["person"] == "jbrooks"
    _, added = added_lines(before.decode(), (org / "inventory.yaml").read_text())
    assert added == ["    status: departed", "    left_on: 2026-11-29"]


def test_renamed_columns_and_semicolons(org: Path) -> None:
    (org / "hr.csv").write_text(
        "Work Mail;Employment Status;Termination Date\n"
        "DKim@StBrendan.org;Terminated;2026-11-15\n"
        "mreyes@stbrendan.org;Active;\n"
    )
    result = run(
        "people",
        "sync",
        "csv:hr.csv",
        "--dry-run",
        "--format",
        "json",
        "--column",
        "email=Work Mail",
        "--column",
        "status=Employment Status",
        "--column",
        "left_on=Termination Date",
    )
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert [(d["person"], d["left_on"]) for d in data["departures"]] == [("dkim", "2026-11-15")]
    assert "mreyes" not in data["missing"] and "bp-oconnor" in data["missing"]


def test_someone_already_departed_keeps_the_recorded_date(org: Path) -> None:
    (org / "roster.csv").write_text("email,status,left_on\nmreyes@stbrendan.org,gone,2026-01-01\n")
    assert run("people", "sync", "csv:roster.csv", "--yes", "--today", "2026-11-30").exit_code == 1
    written = (org / "inventory.yaml").read_bytes()
    (org / "roster.csv").write_text("email,status,left_on\nmreyes@stbrendan.org,active,\n")
    result = run("people", "sync", "csv:roster.csv", "--yes")
    assert result.exit_code == 0
    assert "Departed in the inventory but active in the directory" in result.output
    assert (org / "inventory.yaml").read_bytes() == written


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "email,status,left_on\nmreyes@stbrendan.org,gone,2026-13-01\n",
            "roster.csv:2:27: not a date: '2026-13-01' (use YYYY-MM-DD)",
        ),
        (
            'email,status,left_on\nok@x.org,active,\n"quoted, name",active,\n',
            "roster.csv:3:1: not an email address: 'quoted, name'",
        ),
        (
            "email,status\na@x.org,active\nb@x.org,active\nA@x.org,gone\n",
            "roster.csv:4:1: a@x.org is listed twice (first at line 2; keep one row per person)",
        ),
        (
            "mail,status\na@x.org,active\n",
            "roster.csv:1:1: no column 'email' for email in the header ('mail', 'status')",
        ),
        (
            "email,status,left_on\na@x.org,gone\n",
            "roster.csv:2:13: the row has 2 fields, the header 3",
        ),
        (
            'email,status\na@x.org,"active\n',
            "roster.csv:2:9: malformed CSV: unexpected end of data",
        ),
    ],
)
def test_roster_problems_point_at_line_and_column(org: Path, text: str, expected: str) -> None:
    (org / "roster.csv").write_text(text)
    before = (org / "inventory.yaml").read_bytes()
    result = run("people", "sync", "csv:roster.csv", "--yes")
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert (org / "inventory.yaml").read_bytes() == before


def test_every_roster_problem_in_one_run(org: Path) -> None:
    (org / "roster.csv").write_text(
        "email,status,left_on\nnot-an-email,gone,\nb@x.org,gone,yesterday\n"
    )
    result = run("people", "sync", "csv:roster.csv", "--dry-run")
    assert result.exit_code == 2
    assert "roster.csv:2:1: not an email address" in result.output
    assert "roster.csv:3:14: not a date: 'yesterday'" in result.output
    assert "2 problems found" in result.output


def test_bad_usage_is_exit_2(org: Path) -> None:
    (org / "roster.csv").write_text("email\n")
    assert run("people", "sync", "ldap:x").exit_code == 2
    assert run("people", "sync", "csv:nope.csv").exit_code == 2
    assert run("people", "sync", "csv:roster.csv", "--column", "name=Name").exit_code == 2
    assert run("people", "sync", "entra", "--column", "email=Mail").exit_code == 2
    assert run("people", "sync", "csv:roster.csv", "--dry-run", "--yes").exit_code == 2
    renamed = run("people", "sync", "csv:roster.csv", "--column", "status=Employment Status")
    assert renamed.exit_code == 2
    assert "no column 'Employment Status' for status" in renamed.output


def test_revoke_runs_each_departed_persons_revoke(org: Path) -> None:
    (org / "roster.csv").write_text(
        roster_of_everyone(org, **{"dkim@stbrendan.org": "Terminated,2026-11-20"})
    )
    result = run("people", "sync", "csv:roster.csv", "--yes", "--revoke")
    assert result.exit_code == 1, result.output
    assert "revoke dkim: 5 grants removed, 1 passwords rotated" in result.output
    data = yaml.safe_load((org / "inventory.yaml").read_text())
    assert not [g for a in data["accounts"] for g in a.get("access", []) if g["person"] == "dkim"]
    dkim = next(p for p in data["people"] if p["id"] == "dkim")
    assert (dkim["status"], str(dkim["left_on"])) == ("departed", "2026-11-20")
    records = auditlog.read(org / auditlog.DEFAULT_NAME)
    assert [(r["action"], r["person"]) for r in records] == [("revoke", "dkim")]
    store = FileStore(org / "credentials.enc", env={"GOVERN_PASSPHRASE": PASSPHRASE})
    assert store.get("chancery-x").password != "old-password"


def test_help_has_examples() -> None:
    result = run("people", "sync", "--help")
    assert result.exit_code == 0
    assert "govern people sync csv:roster.csv --dry-run" in result.output
    assert "  people " in run("--help").output


def test_a_revoke_that_fails_says_how_to_finish_it(org: Path) -> None:
    (org / "roster.csv").write_text(
        roster_of_everyone(org, **{"dkim@stbrendan.org": "Terminated,2026-11-20"})
    )
    failed = run(
        "people", "sync", "csv:roster.csv", "--yes", "--revoke", env={"GOVERN_PASSPHRASE": ""}
    )
    assert failed.exit_code == 2, failed.output
    assert "finish it with `govern revoke dkim`" in failed.output
    assert "Traceback" not in failed.output
    dkim = next(
        p
        for p in yaml.safe_load((org / "inventory.yaml").read_text())["people"]
        if p["id"] == "dkim"
    )
    assert dkim["status"] == "departed"  # the sync itself is written
    finished = run("revoke", "dkim", "--yes")
    assert finished.exit_code == 0, finished.output
    records = auditlog.read(org / auditlog.DEFAULT_NAME)
    assert [(r["action"], r["person"]) for r in records] == [("revoke", "dkim")]
    assert records[0]["details"]["left_on"] == "2026-11-20"


@pytest.mark.parametrize(("answer", "written"), [("y", True), ("n", False)])
def test_on_a_terminal_it_asks_first(org: Path, answer: str, written: bool) -> None:
    import os
    import pty
    import subprocess
    import sys

    (org / "roster.csv").write_text(
        roster_of_everyone(org, **{"jbrooks@stbrendan.org": "Retired,2026-10-31"})
    )
    before = (org / "inventory.yaml").read_bytes()
    controller, terminal = pty.openpty()
    os.write(controller, f"{answer}\n".encode())
    done = subprocess.run(
        [sys.executable, "-m", "govern", "people", "sync", "csv:roster.csv"],
        stdin=terminal,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    os.close(terminal)
    os.close(controller)
    assert done.returncode == 1, done.stderr
    assert "Mark 1 departed in the inventory?" in done.stderr
    assert ((org / "inventory.yaml").read_bytes() != before) is written
