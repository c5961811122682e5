"""Issue 10's "done when", end to end through the CLI against local servers that speak the
GitHub, Meta Graph and Google Business Profile APIs: `govern drift --live` finds each kind of
drift (pages of two items), a refused token exits 3 with the other platforms still compared,
and `govern revoke` removes the person on all three platforms with one call each, none on
--dry-run, none on a rerun."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern.cli.main import cli
from tests.connectors.fake_github import FakeGithub
from tests.connectors.fake_google_business import FakeGoogleBusiness
from tests.connectors.fake_meta import FakeMeta

INVENTORY = """\
version: 1
organization:
  name: Diocese of Saint Brendan
  domains: [stbrendan.org]
  connectors:
    meta: {business_id: "9000"}
people:
  - id: bishop
    name: Bishop Brendan
    email: bishop@stbrendan.org
    level: A
    identities: {github: bishop-sb, meta: "501", google: "7001"}
  - id: it-lee
    name: Lin Lee
    email: llee@stbrendan.org
    level: B
    identities: {github: llee, meta: "502", google: "7002"}
  # No identities: matched by email where the platform gives one (Meta business_users).
  - {id: maria, name: Maria Santos, email: msantos@stbrendan.org, level: C}
  - id: tom
    name: Tom Baker
    email: tbaker@stbrendan.org
    level: C
    identities: {github: tbaker, meta: "504", google: "7004"}
  - {id: absent, name: Al Sent, email: asent@stbrendan.org, level: C,
     identities: {github: alsent}}
entities:
  - {id: chancery, name: Chancery, head: bishop, it: [it-lee]}
accounts:
  - id: chancery-github
    entity: chancery
    platform: github
    handle: stbrendan
    access:
      - {person: bishop, role: owner}
      - {person: it-lee, role: owner}
      - {person: tom, role: editor}
      - {person: absent, role: editor}
  - id: chancery-facebook
    entity: chancery
    platform: facebook
    handle: StBrendanDiocese
    platform_id: "104"
    access:
      - {person: bishop, role: admin}
      - {person: it-lee, role: admin}
      - {person: maria, role: editor}
      - {person: tom, role: editor}
  - id: chancery-google
    entity: chancery
    platform: google-business
    handle: Diocese of Saint Brendan
    platform_id: accounts/123
    access:
      - {person: bishop, role: owner}
      - {person: it-lee, role: owner}
      - {person: tom, role: admin}
  - id: chancery-youtube
    entity: chancery
    platform: youtube
    handle: "@stbrendan"
    access:
      - {person: bishop, role: owner}
"""


@pytest.fixture
def platforms() -> Iterator[tuple[FakeGithub, FakeMeta, FakeGoogleBusiness]]:
    github, meta, google = FakeGithub().start(), FakeMeta().start(), FakeGoogleBusiness().start()
    github.add_member("stbrendan", "bishop-sb", role="admin")
    github.add_member("stbrendan", "llee", role="admin")
    github.add_member("stbrendan", "tbaker")
    github.add_member("stbrendan", "octo-intruder", name="Unknown Octocat")
    github.add_member("stbrendan", "zz-third")  # a third member: the member list pages
    meta.business(
        "9000",
        [
            ("501", "Bishop Brendan", "bishop@stbrendan.org"),
            ("502", "Lin Lee", "llee@stbrendan.org"),
            ("503", "Maria Santos", "msantos@stbrendan.org"),
            ("504", "Tom Baker", "tbaker@stbrendan.org"),
        ],
    )
    meta.asset("104", business="9000")
    meta.assign("104", "501", ["MANAGE", "CREATE_CONTENT", "MODERATE", "ANALYZE"])
    meta.assign("104", "502", ["MANAGE", "CREATE_CONTENT", "MODERATE", "ANALYZE"])
    meta.assign("104", "503", ["MANAGE", "CREATE_CONTENT", "MODERATE", "ANALYZE"])
    meta.assign("104", "504", ["CREATE_CONTENT", "MODERATE", "ANALYZE"])
    google.add_admin("123", "7001", "Bishop Brendan", "PRIMARY_OWNER")
    google.add_admin("123", "7002", "Lin Lee", "OWNER")
    google.add_admin("123", "7004", "Tom Baker", "MANAGER")
    google.add_admin("123", "7009", "Maria Santos", "MANAGER")
    try:
        yield github, meta, google
    finally:
        for fake in (github, meta, google):
            fake.stop()


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(("GOVERN_", "VAULT_", "GOOGLE_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    (tmp_path / "policies").mkdir()
    return tmp_path


def env_for(fakes: tuple[FakeGithub, FakeMeta, FakeGoogleBusiness]) -> dict[str, str]:
    github, meta, google = fakes
    return {
        "GOVERN_GITHUB_API_URL": github.url,
        "GOVERN_GITHUB_TOKEN": github.token,
        "GOVERN_META_API_URL": meta.url,
        "GOVERN_META_TOKEN": meta.token,
        "GOVERN_GOOGLE_API_URL": google.url,
        "GOVERN_GOOGLE_TOKEN": google.token,
    }


def govern(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


DRIFT = ["drift", "--live", "--no-vault", "--today", "2026-11-30"]


def test_live_drift_reports_every_kind_of_difference(
    org: Path, platforms: tuple[FakeGithub, FakeMeta, FakeGoogleBusiness]
) -> None:
    code, out, err = govern([*DRIFT, "--format", "json"], org, env_for(platforms))
    assert code == 1, err
    report = json.loads(out)
    found = {(f["account"], f["rule"], f["person"]): f for f in report["findings"]}
    assert set(found) == {
        ("chancery-github", "drift-unexpected-holder", None),  # octo-intruder
        ("chancery-github", "drift-unexpected-holder", None),
        ("chancery-github", "drift-missing-holder", "absent"),
        ("chancery-facebook", "drift-role-mismatch", "maria"),
        ("chancery-google", "drift-unexpected-holder", None),
        ("chancery-youtube", "drift-unverifiable", None),
    }
    messages = [f["message"] for f in report["findings"]]
    assert any("octo-intruder" in m and "Unknown Octocat" in m for m in messages)
    assert any("zz-third" in m for m in messages)
    mismatch = found[("chancery-facebook", "drift-role-mismatch", "maria")]
    assert mismatch["severity"] == "error" and "more privileged" in mismatch["message"]
    google = found[("chancery-google", "drift-unexpected-holder", None)]["message"]
    assert "7009" in google and "if this is maria" in google
    assert "identities: {google: '7009'}" in google
    assert "no admin API" in found[("chancery-youtube", "drift-unverifiable", None)]["message"]
    assert report["coverage"]["states"] == {
        "chancery-github": "drift",
        "chancery-facebook": "drift",
        "chancery-google": "drift",
        "chancery-youtube": "unverifiable",
    }
    github, meta, _ = platforms
    # Pages of two: the members listing took two pages, Meta's assigned_users two as well.
    member_pages = github.server.sent("GET", r"/(orgs/stbrendan|organizations/\d+)/members")
    assert len(member_pages) >= 3  # role=admin (one page), role=member (two pages)
    assigned = meta.server.sent("GET", r"/v\d+\.\d+/104/assigned_users")
    assert len(assigned) == 2
    _, text, _ = govern(DRIFT, org, env_for(platforms))
    assert text.rstrip().endswith("4 accounts: 0 clean, 3 drift, 1 unverifiable")


def test_a_refused_token_exits_3_with_the_other_platforms_compared(
    org: Path, platforms: tuple[FakeGithub, FakeMeta, FakeGoogleBusiness]
) -> None:
    env = env_for(platforms)
    env["GOVERN_GOOGLE_TOKEN"] = "ya29.revoked-secret-value"
    code, out, err = govern([*DRIFT, "--format", "json"], org, env)
    assert code == 3
    report = json.loads(out)  # the whole report was written first
    states = report["coverage"]["states"]
    assert states["chancery-google"] == "unverifiable"
    assert states["chancery-github"] == "drift" and states["chancery-facebook"] == "drift"
    assert report["coverage"]["failures"] and "refused" in report["coverage"]["failures"][0]
    assert "Google Business Profile" in err and "refused" in err
    assert "revoked-secret-value" not in out + err


def test_revoke_removes_on_all_three_platforms_once(
    org: Path, platforms: tuple[FakeGithub, FakeMeta, FakeGoogleBusiness]
) -> None:
    github, meta, google = platforms
    env = env_for(platforms)
    code, out, err = govern(["revoke", "tom", "--dry-run", "--no-vault"], org, env)
    assert code == 0, err
    assert "through the GitHub API" in out and "through the Meta API" in out
    assert "through the Google Business Profile API" in out
    assert github.removals == [] and meta.removals == [] and google.removals == []

    code, out, err = govern(["revoke", "tom", "--yes", "--no-vault"], org, env)
    assert code == 0, err + out
    assert [r.path for r in github.removals] == ["/orgs/stbrendan/memberships/tbaker"]
    assert meta.removals == [("104", "504")]
    assert [r.path for r in google.removals] == ["/v1/accounts/123/admins/7004"]
    assert "tbaker" not in github.members("stbrendan")
    assert "chancery-github: tom removed and confirmed on the platform." in out
    # Nothing left to do by hand for these three accounts.
    assert "Remove tom" not in out
    log = (org / "audit.log.jsonl").read_text().splitlines()
    assert json.loads(log[-1])["action"] == "revoke-platforms"

    code, out, err = govern(["revoke", "tom", "--yes", "--no-vault"], org, env)
    assert code == 0, err
    assert len(github.removals) == 1 and len(meta.removals) == 1 and len(google.removals) == 1


def test_a_platform_failure_leaves_the_rest_done_and_resumes(
    org: Path, platforms: tuple[FakeGithub, FakeMeta, FakeGoogleBusiness]
) -> None:
    github, meta, google = platforms
    env = env_for(platforms)
    google.fail("DELETE", 503, times=1)
    code, _, err = govern(["revoke", "tom", "--yes", "--no-vault"], org, env)
    assert code == 3
    assert "chancery-google" in err and "everything else is done" in err
    assert len(github.removals) == 1 and len(meta.removals) == 1 and len(google.removals) == 1
    inventory = (org / "inventory.yaml").read_text()
    assert "status: departed" in inventory  # the inventory step ran before the platforms
    code, _, err = govern(["revoke", "tom", "--yes", "--no-vault"], org, env)
    assert code == 0, err
    # GitHub and Meta were done: re-read, not removed again; Google retried once.
    assert len(github.removals) == 1 and len(meta.removals) == 1
    assert len(google.removals) == 2
    assert "7004" not in {a.admin_id for a in google.accounts["123"]}


def test_a_removal_that_would_leave_no_administrator_is_refused(
    org: Path, platforms: tuple[FakeGithub, FakeMeta, FakeGoogleBusiness]
) -> None:
    github, meta, google = platforms
    env = env_for(platforms)
    # On Google, tom is the only owner the platform shows (the others were never added).
    google.accounts["123"] = [a for a in google.accounts["123"] if a.admin_id in ("7004",)]
    google.accounts["123"][0].role = "OWNER"
    code, _, err = govern(["revoke", "tom", "--yes", "--no-vault"], org, env)
    assert code == 3
    assert "no administrator" in err and "chancery-google" in err
    assert google.removals == []
    assert len(github.removals) == 1 and len(meta.removals) == 1
