"""`govern lockdown` end to end through the CLI, against local servers speaking the Meta Graph
and GitHub APIs and an encrypted file store: a hijacked Facebook page is left with only the
head and IT (the intruder unknown to the inventory removed too), the entity's shared X login
gets a new password (the old version kept), the recovery page and the incident contacts are
printed, a platform failure resumes without second removals, and `--release` lists whom to
invite again."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern import auditlog
from govern.cli.main import cli
from govern.credentials import Secret
from govern.credentials.filestore import FileStore, ScryptParams
from tests.connectors.fake_github import FakeGithub
from tests.connectors.fake_meta import FakeMeta

PASSPHRASE = "lockdown test passphrase"

INVENTORY = """\
version: 1
organization:
  name: Diocese of Saint Brendan
  domains: [stbrendan.org]
  connectors:
    meta: {business_id: "9000"}
  incident:
    people: [it-lee]
    phone: "+1 555 0100 (diocesan IT, 24/7)"
people:
  - id: bishop
    name: Bishop Brendan
    email: bishop@stbrendan.org
    level: A
    identities: {github: bishop-sb, meta: "501"}
  - id: it-lee
    name: Lin Lee
    email: llee@stbrendan.org
    level: B
    identities: {github: llee, meta: "502"}
  - {id: maria, name: Maria Santos, email: msantos@stbrendan.org, level: C,
     identities: {meta: "503"}}
  - {id: tom, name: Tom Baker, email: tbaker@stbrendan.org, level: C,
     identities: {github: tbaker, meta: "504"}}
  - {id: chancellor, name: Ann Chancellor, email: chancellor@stbrendan.org, level: A}
entities:
  - id: chancery
    name: Chancery
    head: bishop
    it: [it-lee]
    incident:
      people: [chancellor, it-lee]
      phone: "+1 555 0199 (chancery on-call)"
      escalation: "Communications office before any public statement"
  - {id: school, name: St Brendan School, head: tom}
accounts:
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
  - id: chancery-x
    entity: chancery
    platform: x
    handle: "@stbrendan"
    access:
      - {person: bishop, role: admin}
      - {person: maria, role: admin}
    credential: {mfa: true}
  - id: school-github
    entity: school
    platform: github
    handle: stbrendan-school
    access:
      - {person: tom, role: owner}
"""

ALL_TASKS = ["MANAGE", "CREATE_CONTENT", "MODERATE", "ANALYZE"]


@pytest.fixture
def meta() -> Iterator[FakeMeta]:
    fake = FakeMeta().start()
    fake.business(
        "9000",
        [
            ("501", "Bishop Brendan", "bishop@stbrendan.org"),
            ("502", "Lin Lee", "llee@stbrendan.org"),
            ("503", "Maria Santos", "msantos@stbrendan.org"),
            ("504", "Tom Baker", "tbaker@stbrendan.org"),
        ],
    )
    fake.asset("104", business="9000")
    for user in ("501", "502", "503"):
        fake.assign("104", user, ALL_TASKS)
    fake.assign("104", "504", ["CREATE_CONTENT", "MODERATE", "ANALYZE"])
    fake.assign("104", "666", ALL_TASKS)  # the hijacker: unknown to the business and inventory
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(("GOVERN_", "VAULT_", "GOOGLE_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    (tmp_path / "policies").mkdir()
    store = FileStore.create(
        tmp_path / "credentials.enc",
        env={},
        passphrase=PASSPHRASE,
        use_keyring=False,
        kdf=ScryptParams(n=2**14),
    )
    store.put(
        "chancery-x",
        Secret(username="stbrendan", password="old-x-password", fields={}),
        meta={"account": "chancery-x", "platform": "x"},
        rotated_by="setup",
        reason="initial",
    )
    return tmp_path


def env_for(meta: FakeMeta) -> dict[str, str]:
    return {
        "GOVERN_META_API_URL": meta.url,
        "GOVERN_META_TOKEN": meta.token,
        "GOVERN_PASSPHRASE": PASSPHRASE,
        "GOVERN_ACTOR": "responder",
    }


def govern(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def store(org: Path) -> FileStore:
    return FileStore(org / "credentials.enc", env={"GOVERN_PASSPHRASE": PASSPHRASE})


LOCKDOWN = ["lockdown", "chancery-facebook", "--no-vault"]


def test_dry_run_prints_the_plan_and_sends_nothing(org: Path, meta: FakeMeta) -> None:
    code, out, err = govern([*LOCKDOWN, "--dry-run"], org, env_for(meta))
    assert code == 0, err
    assert "keep: bishop, it-lee" in out
    assert "through the Meta API (unknown ones too)" in out
    assert "- maria (editor), declared" in out and "- tom (editor), declared" in out
    assert "rotate the shared password of chancery-x" in out
    assert "Recovery on the platform: https://www.facebook.com/hacked" in out
    assert "Ann Chancellor (chancellor) <chancellor@stbrendan.org>" in out
    assert "+1 555 0199" in out and "Communications office" in out
    assert meta.requests == []
    assert store(org).metadata("chancery-x").current_version == 1  # type: ignore[union-attr]
    assert not (org / ".govern").exists() and not (org / "audit.log.jsonl").exists()


def test_lockdown_leaves_head_and_it_rotates_and_logs(org: Path, meta: FakeMeta) -> None:
    code, out, err = govern([*LOCKDOWN, "--yes"], org, env_for(meta))
    assert code == 0, err + out
    assert sorted(user for _, user in meta.removals) == ["503", "504", "666"]
    assert set(meta.assets["104"].assigned) == {"501", "502"}
    assert "removed 666" in out and "unknown to the inventory" in out
    # The shared login: a new random version, the old one kept in history.
    credentials = store(org)
    assert credentials.get("chancery-x").password != "old-x-password"
    assert credentials.get("chancery-x", 1).password == "old-x-password"
    meta_x = credentials.metadata("chancery-x")
    assert meta_x is not None and meta_x.reason == "lockdown chancery-facebook"
    assert "Recovery on the platform: https://www.facebook.com/hacked" in out
    assert "Incident contacts (entity chancery):" in out and "Lin Lee (it-lee)" in out
    assert "old-x-password" not in out + err and meta.token not in out + err
    # One verified record naming what was removed; no journal left behind.
    records = auditlog.read(org / "audit.log.jsonl")
    assert [r["action"] for r in records] == ["lockdown"]
    removed = records[0]["details"]["steps"]["platforms"]["removed"]
    assert {h["id"]: h["person"] for h in removed} == {"503": "maria", "504": "tom", "666": None}
    assert auditlog.verify(org / "audit.log.jsonl").records == 1
    assert not (org / ".govern" / "lockdown-chancery-facebook.json").exists()


def test_keep_keeps_more_people(org: Path, meta: FakeMeta) -> None:
    code, _, err = govern([*LOCKDOWN, "--keep", "maria", "--yes"], org, env_for(meta))
    assert code == 0, err
    assert sorted(user for _, user in meta.removals) == ["504", "666"]
    code, _, err = govern([*LOCKDOWN, "--keep", "nobody", "--dry-run"], org, env_for(meta))
    assert code == 2 and "--keep nobody" in err


def test_a_platform_failure_exits_3_and_the_rerun_finishes(org: Path, meta: FakeMeta) -> None:
    meta.fail(
        "DELETE",
        "assigned_users",
        status=500,
        body={
            "error": {
                "message": "An unknown error occurred",
                "type": "OAuthException",
                "code": 1,
                "fbtrace_id": "x",
            }
        },
        times=1,
    )
    code, out, err = govern([*LOCKDOWN, "--yes"], org, env_for(meta))
    assert code == 3, out + err
    assert "chancery-facebook" in err and "run the same command again" in err
    journal = org / ".govern" / "lockdown-chancery-facebook.json"
    assert journal.exists()
    assert json.loads(journal.read_text())["steps"]["rotate"]["state"] == "done"
    assert store(org).metadata("chancery-x").current_version == 2  # type: ignore[union-attr]
    assert not (org / "audit.log.jsonl").exists()
    first = list(meta.removals)
    # Another command does not silently take over the journal.
    code, _, err = govern([*LOCKDOWN, "--keep", "maria", "--yes"], org, env_for(meta))
    assert code == 2 and "does not match" in err and "--discard-journal" in err
    assert meta.removals == first

    code, out, err = govern([*LOCKDOWN, "--yes"], org, env_for(meta))
    assert code == 0, err + out
    assert "Resuming the lockdown of chancery-facebook" in out
    users = [user for _, user in meta.removals]
    assert sorted(users) == ["503", "504", "666"]  # each removed once, over both runs
    assert len(users) == len(set(users)) and users[: len(first)] == [u for _, u in first]
    assert store(org).metadata("chancery-x").current_version == 2  # not rotated twice
    assert [r["action"] for r in auditlog.read(org / "audit.log.jsonl")] == ["lockdown"]
    assert not journal.exists()


def test_a_lockdown_that_would_leave_no_administrator_is_refused(org: Path, meta: FakeMeta) -> None:
    for user in ("501", "502"):
        meta.assets["104"].assigned.pop(user)
    code, _, err = govern([*LOCKDOWN, "--yes"], org, env_for(meta))
    assert code == 3
    assert "lock the organization out" in err
    assert meta.removals == []


def test_release_lists_the_removed_holders_and_logs(org: Path, meta: FakeMeta) -> None:
    code, _, err = govern([*LOCKDOWN, "--yes"], org, env_for(meta))
    assert code == 0, err
    code, out, err = govern(
        ["lockdown", "--release", "chancery-facebook", "--no-vault", "--dry-run"],
        org,
        env_for(meta),
    )
    assert code == 0, err
    assert "invite maria <msantos@stbrendan.org> again as editor" in out
    assert len(auditlog.read(org / "audit.log.jsonl")) == 1
    code, out, err = govern(
        ["lockdown", "--release", "chancery-facebook", "--no-vault", "--yes"], org, env_for(meta)
    )
    assert code == 0, err
    assert "invite tom <tbaker@stbrendan.org> again as editor" in out
    assert "666 (User 666) is unknown to the inventory: not invited" in out
    assert "https://business.facebook.com/settings/pages" in out
    records = auditlog.read(org / "audit.log.jsonl")
    assert [r["action"] for r in records] == ["lockdown", "lockdown-release"]
    assert {h["person"] for h in records[1]["details"]["reinvite"]} == {"maria", "tom"}
    # Released once: a second release finds nothing in force.
    code, _, err = govern(
        ["lockdown", "--release", "chancery-facebook", "--no-vault", "--yes"], org, env_for(meta)
    )
    assert code == 2 and "no lockdown of 'chancery-facebook' in force" in err


def test_without_a_token_the_removals_stay_manual(org: Path, meta: FakeMeta) -> None:
    env = env_for(meta)
    del env["GOVERN_META_TOKEN"]
    code, out, err = govern([*LOCKDOWN, "--yes"], org, env)
    assert code == 0, err
    assert "by hand" in out and "GOVERN_META_TOKEN" in out
    assert meta.removals == []
    assert store(org).metadata("chancery-x").current_version == 2  # type: ignore[union-attr]


def test_an_account_the_platform_cannot_show_stays_manual(org: Path, meta: FakeMeta) -> None:
    inventory = org / "inventory.yaml"
    inventory.write_text(inventory.read_text().replace('    platform_id: "104"\n', ""))
    code, out, err = govern([*LOCKDOWN, "--yes"], org, env_for(meta))
    assert code == 0, err + out
    assert "remove the other holders by hand" in out and "platform_id" in out
    assert meta.removals == []


def test_github_lockdown_falls_back_to_the_organization_contacts(org: Path) -> None:
    github = FakeGithub().start()
    try:
        github.add_member("stbrendan-school", "tbaker", role="admin")
        github.add_member("stbrendan-school", "octo-intruder", role="admin")
        env = {"GOVERN_GITHUB_API_URL": github.url, "GOVERN_GITHUB_TOKEN": github.token}
        code, out, err = govern(["lockdown", "school-github", "--no-vault", "--yes"], org, env)
        assert code == 0, err + out
        assert [r.path for r in github.removals] == [
            "/orgs/stbrendan-school/memberships/octo-intruder"
        ]
        assert "Incident contacts (organization):" in out and "+1 555 0100" in out
    finally:
        github.stop()


def test_unknown_account_and_incident_contact_are_input_errors(org: Path) -> None:
    code, _, err = govern(["lockdown", "chancery-facebok", "--dry-run", "--no-vault"], org, {})
    assert code == 2 and "chancery-facebook" in err
    inventory = org / "inventory.yaml"
    inventory.write_text(
        inventory.read_text().replace("people: [chancellor, it-lee]", "people: [chancelor, it-lee]")
    )
    code, _, err = govern(["lockdown", "chancery-facebook", "--dry-run", "--no-vault"], org, {})
    assert code == 2
    line = next(
        n for n, text in enumerate(inventory.read_text().splitlines(), 1) if "chancelor" in text
    )
    assert f"inventory.yaml:{line}:" in err and "unknown person 'chancelor'" in err
    assert "Traceback" not in err
