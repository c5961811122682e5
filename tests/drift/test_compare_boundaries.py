"""The comparison behind `govern drift` at its edges: the last day of a time-bound grant, a
departed holder (declared or not), holders matching nobody, one-row unknown accounts,
duplicate grants, and the head without an administrative role on a completely listed account
(live, against a local server that speaks GitHub's members API)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from govern.cli.main import cli
from tests.conftest import BASE
from tests.connectors.fake_github import FakeGithub

# BASE plus a LinkedIn page; mgr2's analyst grant has its last day on 2026-11-22, and tmp
# left on 2026-11-01.
INVENTORY = (
    BASE.replace(
        "entities:",
        "  - {id: gone, name: Gone, email: gone@diocese.test, level: C, status: departed,"
        " left_on: 2026-11-01}\nentities:",
    )
    + """\
  - id: li
    entity: parish
    platform: linkedin
    handle: st-test-parish
    access:
      - {person: head, role: admin}
      - {person: it, role: admin}
      - {person: mgr2, role: analyst, expires: 2026-11-22}
"""
)
LI = [
    "account,person,email,role,observed_on,source",
    "li,head,,Super admin,2026-11-20,admin page",
    "li,it,,Super admin,,",
]


@pytest.fixture
def org(tmp_path: Path) -> Path:
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    (tmp_path / "policies").mkdir()
    (tmp_path / "snapshots").mkdir()
    return tmp_path


def drift(
    org: Path, *rows: str, today: str = "2026-11-22", header: list[str] = LI
) -> list[dict[str, Any]]:
    (org / "snapshots" / "li.csv").write_text("\n".join([*header, *rows]) + "\n")
    old = os.getcwd()
    os.chdir(org)
    try:
        result = CliRunner().invoke(
            cli,
            ["drift", "--format", "json", "--no-vault", "--today", today],
            catch_exceptions=False,
        )
    finally:
        os.chdir(old)
    assert result.exit_code == (1 if json.loads(result.stdout)["findings"] else 0), result.output
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


def kinds(findings: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return sorted((f["rule"], f["severity"], f["person"]) for f in findings)


# -- the last day of a time-bound grant ---------------------------------------------------------


def test_on_its_last_day_a_grant_is_still_declared(org: Path) -> None:
    """`expires` is the last day of access: observed that day, no drift."""
    assert drift(org, "li,mgr2,,Analyst", today="2026-11-22") == []


def test_on_its_last_day_a_grant_not_observed_is_missing(org: Path) -> None:
    [finding] = drift(org, today="2026-11-22")
    assert (finding["rule"], finding["severity"], finding["person"]) == (
        "drift-missing-holder",
        "warning",
        "mgr2",
    )
    assert finding["message"] == (
        "'mgr2' is declared analyst on li but the snapshot (snapshots/li.csv) does not list them"
    )


def test_the_day_after_it_expired_the_holder_is_unexpected(org: Path) -> None:
    [finding] = drift(org, "li,mgr2,,Analyst", today="2026-11-23")
    assert (finding["rule"], finding["severity"]) == ("drift-unexpected-holder", "error")
    assert finding["message"] == (
        "'mgr2' holds analyst ('Analyst') on li, which the inventory does not grant "
        "(the grant expired on 2026-11-22)"
    )


def test_the_day_after_it_expired_a_holder_not_observed_is_not_missing(org: Path) -> None:
    assert drift(org, today="2026-11-23") == []


# -- who holds the role --------------------------------------------------------------------------


@pytest.mark.parametrize("declared", [False, True])
def test_a_departed_holder_is_its_own_error_declared_or_not(org: Path, declared: bool) -> None:
    if declared:
        text = (org / "inventory.yaml").read_text()
        (org / "inventory.yaml").write_text(text + "      - {person: gone, role: admin}\n")
    [finding] = drift(org, "li,mgr2,,Analyst", "li,,gone@diocese.test,Super admin,2026-11-21,")
    assert (finding["rule"], finding["severity"], finding["person"]) == (
        "drift-departed-holder",
        "error",
        "gone",
    )
    assert finding["message"] == (
        "'gone' left on 2026-11-01 but still holds admin ('Super admin') on li "
        "(snapshots/li.csv:5:1, observed 2026-11-21); run `govern revoke gone`"
    )
    assert (finding["account"], finding["entity"]) == ("li", "parish")


def test_a_known_person_without_a_grant_on_the_account_is_unexpected(org: Path) -> None:
    """mgr is in people (a manager elsewhere) but has no grant on li, expired or not."""
    [finding] = drift(org, "li,mgr2,,Analyst", "li,mgr,,Analyst,,exported")
    assert (finding["rule"], finding["severity"], finding["person"]) == (
        "drift-unexpected-holder",
        "error",
        "mgr",
    )
    assert finding["message"] == (
        "'mgr' holds analyst ('Analyst') on li, which the inventory does not grant"
    )


def test_a_holder_matching_nobody(org: Path) -> None:
    [finding] = drift(org, "li,mgr2,,Analyst", "li,,stranger@example.org,Analyst,,exported")
    assert finding["person"] is None
    assert finding["message"] == (
        "'stranger@example.org' holds analyst ('Analyst') on li, which the inventory does "
        "not grant (matches nobody in people)"
    )


def test_a_role_mismatch_names_where_and_when_it_was_seen(org: Path) -> None:
    it_seen_as_analyst = "li,it,,Analyst,2026-11-19,admin page export"
    [finding] = drift(org, "li,mgr2,,Analyst", it_seen_as_analyst, header=LI[:2])
    assert finding["severity"] == "warning" and finding["person"] == "it"
    assert finding["message"] == (
        "'it' is declared admin on li but holds analyst ('Analyst') at snapshots/li.csv:4:1, "
        "observed 2026-11-19; admin page export"
    )


def test_an_editor_where_an_analyst_is_declared_is_more_privileged(org: Path) -> None:
    """Neither role administers nor removes anyone; the editor still publishes where the
    analyst only reads (before the fix, both ranked alike and this was a warning)."""
    [finding] = drift(org, "li,mgr2,,Content admin")
    assert (finding["rule"], finding["severity"]) == ("drift-role-mismatch", "error")
    assert finding["message"].endswith(" (more privileged than declared)")


def test_an_analyst_where_an_editor_is_declared_is_a_warning(org: Path) -> None:
    text = (org / "inventory.yaml").read_text()
    (org / "inventory.yaml").write_text(
        text.replace(
            "{person: mgr2, role: analyst, expires: 2026-11-22}", "{person: mgr2, role: editor}"
        )
    )
    [finding] = drift(org, "li,mgr2,,Analyst")
    assert (finding["rule"], finding["severity"]) == ("drift-role-mismatch", "warning")
    assert "more privileged" not in finding["message"]


def test_an_unknown_account_of_one_row(org: Path) -> None:
    [finding] = drift(org, "li,mgr2,,Analyst", "ghost,head,,Super admin,,")
    assert finding["rule"] == "drift-unknown-account"
    assert finding["message"] == "snapshot covers 'ghost', which is not in the inventory"


# -- the head on a completely listed account (live) --------------------------------------------

LIVE_INVENTORY = """\
version: 1
organization: {name: Test Diocese, domains: [diocese.test]}
people:
  - {id: head, name: Head, email: head@diocese.test, level: A, identities: {github: head-gh}}
  - {id: it, name: IT, email: it@diocese.test, level: B, identities: {github: it-gh}}
entities:
  - {id: parish, name: Parish, head: head, it: [it]}
accounts:
  - id: gh
    entity: parish
    platform: github
    handle: parish-org
    access:
      - {person: head, role: owner}
      - {person: it, role: owner}
"""


@pytest.fixture
def github() -> Iterator[FakeGithub]:
    fake = FakeGithub().start()
    try:
        yield fake
    finally:
        fake.stop()


def live(org: Path, github: FakeGithub) -> list[dict[str, Any]]:
    (org / "inventory.yaml").write_text(LIVE_INVENTORY)
    old = os.getcwd()
    os.chdir(org)
    try:
        result = CliRunner().invoke(
            cli,
            ["drift", "--live", "--no-vault", "--today", "2026-11-22", "--format", "json"],
            env={"GOVERN_GITHUB_API_URL": github.url, "GOVERN_GITHUB_TOKEN": github.token},
            catch_exceptions=False,
        )
    finally:
        os.chdir(old)
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


def test_head_holding_admin_is_no_drift(org: Path, github: FakeGithub) -> None:
    github.add_member("parish-org", "head-gh", role="admin")
    github.add_member("parish-org", "it-gh", role="admin")
    assert live(org, github) == []


def test_head_seen_with_a_lesser_role(org: Path, github: FakeGithub) -> None:
    github.add_member("parish-org", "head-gh", role="member")
    github.add_member("parish-org", "it-gh", role="admin")
    findings = {f["rule"]: f for f in live(org, github)}
    assert set(findings) == {"drift-role-mismatch", "drift-head-without-admin"}
    head = findings["drift-head-without-admin"]
    assert head["severity"] == "error" and head["person"] == "head"
    assert head["message"] == (
        "the entity head 'head' holds only editor on gh according to the GitHub API; the "
        "policy requires Administrative Access"
    )
    assert head["location"]["path"] == "inventory.yaml"


def test_head_not_listed_at_all(org: Path, github: FakeGithub) -> None:
    github.add_member("parish-org", "it-gh", role="admin")
    findings = {f["rule"]: f for f in live(org, github)}
    assert set(findings) == {"drift-missing-holder", "drift-head-without-admin"}
    assert (
        "the entity head 'head' holds no role on gh"
        in findings["drift-head-without-admin"]["message"]
    )
