"""`govern revoke` against a real OpenBao server: not blocked by a pre-existing gap, the
entity that really owns the login disabled even when govern did not create it, groups govern
does not manage left alone, no second rotation after a crash between a version and its
metadata, and the documented operator policy enough for the whole revoke."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests

from govern.cli._common import load
from govern.credentials import open_store
from govern.offboard import VaultAccess, plan_revoke, run_revoke
from govern.vault import connect
from tests.offboard.test_revoke_vault import REVOKE, versions
from tests.vault.conftest import World
from tests.vault.test_vault_docs import documented_policy, token_with

ALIAS = ("--auth-mount", "userpass", "--alias-field", "id")
# fb2's head holds only editor: an admin-retention finding in the parish before any revoke.
FB2_HEAD_ADMIN = "      - {person: head, role: admin}\n      - {person: alice, role: editor}"
FB2_HEAD_EDITOR = "      - {person: head, role: editor}\n      - {person: alice, role: editor}"


def audit_rules(world: World, account: str) -> set[str]:
    result = world.govern("audit", "-f", "json", "--fail-on", "never")
    return {f["rule"] for f in json.loads(result.stdout)["findings"] if f["account"] == account}


def test_a_preexisting_gap_does_not_block_and_the_token_is_cut(world: World) -> None:
    world.edit(FB2_HEAD_ADMIN, FB2_HEAD_EDITOR)
    assert "admin-retention" in audit_rules(world, "fb2")
    assert world.apply().exit_code == 0
    token = world.login("alice")
    assert world.readable(token) == {"x1", "fb2"}
    result = world.govern(*REVOKE)
    assert result.exit_code == 0, result.output
    assert world.readable(token) == set()
    assert world.status(token, "x1") == 403
    assert versions(world) == {"x1": 2, "fb2": 2, "x2-login": 1}
    assert (
        "Already uncovered before the revoke (for the audit): fb2: no active "
        "administrator" in result.stdout
    )
    assert "admin-retention" in audit_rules(world, "fb2")  # the audit still shows it
    # Without --successor: carol (an editor beside two admins) creates no gap.
    carol = world.govern("revoke", "carol", "--yes", *ALIAS)
    assert carol.exit_code == 0, carol.output
    assert world.plan("--detailed-exitcode").exit_code == 0


def test_the_entity_that_owns_the_login_is_disabled_even_if_govern_did_not_create_it(
    world: World,
) -> None:
    """alice logged in before govern managed aliases: her login belongs to a hand-made
    entity, which a hand-made group lets read x1. The revoke disables that entity (her token
    stops working) and leaves the hand-made group as it is."""
    server = world.server
    accessor = server.api("GET", "sys/auth").json()["data"]["userpass/"]["accessor"]
    legacy = server.api("POST", "identity/entity", json={"name": "alice-legacy"}).json()
    legacy_id = legacy["data"]["id"]
    server.api(
        "POST",
        "identity/entity-alias",
        json={"name": "alice", "canonical_id": legacy_id, "mount_accessor": accessor},
    )
    server.api(
        "PUT",
        "sys/policies/acl/legacy-read",
        json={"policy": 'path "govern/data/accounts/x1" { capabilities = ["read"] }'},
    )
    server.api(
        "POST",
        "identity/group",
        json={
            "name": "legacy-readers",
            "policies": ["legacy-read"],
            "member_entity_ids": [legacy_id],
        },
    )
    assert world.apply().exit_code == 0
    token = world.login("alice")
    assert "x1" in world.readable(token)
    result = world.govern(*REVOKE)
    assert result.exit_code == 0, result.output
    assert "alice-legacy" in result.stdout
    assert "legacy-readers" in result.stdout  # named as left untouched
    assert world.readable(token) == set()
    entity = server.api("GET", f"identity/entity/id/{legacy_id}").json()["data"]
    assert entity["disabled"] is True
    group = server.api("GET", "identity/group/name/legacy-readers").json()["data"]
    assert group["member_entity_ids"] == [legacy_id]


class Crash(Exception):
    pass


def crash_before(world: World, step: str, *, auth_mount: str | None = "userpass") -> None:
    """Run alice's revoke through the library and stop it as `step` starts."""
    env = {**world.server.env(), "GOVERN_ACTOR": "tester"}
    loaded, policy = load(str(world.inventory), str(world.tmp / "policies"))
    plan = plan_revoke(loaded.inventory, policy.catalog, "alice", successor="bob")

    def crash(message: str) -> None:
        if message.startswith(f"{step} "):
            raise Crash

    with pytest.raises(Crash):
        run_revoke(
            plan,
            inventory=world.inventory,
            catalog=policy.catalog,
            left_on=dt.date(2026, 11, 22),
            actor="tester",
            store=lambda: open_store(None, inventory_dir=world.tmp, env=env),
            vault=VaultAccess(
                connect=lambda: connect(env), auth_mount=auth_mount, alias_field="id"
            ),
            log_path=world.tmp / "audit.log.jsonl",
            alias="alice",
            progress=crash,
        )


def test_a_crash_between_a_version_and_its_metadata_does_not_rotate_twice(
    world: World,
) -> None:
    assert world.apply().exit_code == 0
    crash_before(world, "rotate")
    # What the dying rotation left: the new version of x1, without govern's metadata.
    written = requests.post(
        f"{world.server.addr}/v1/govern/data/accounts/x1",
        headers={"X-Vault-Token": world.server.token},
        json={"data": {"username": "x1-user", "password": "new"}},
        timeout=10,
    )
    assert written.status_code == 200, written.text
    assert versions(world)["x1"] == 2
    finished = world.govern(*REVOKE)
    assert finished.exit_code == 0, finished.output
    assert versions(world) == {"x1": 2, "fb2": 2, "x2-login": 1}


def test_a_revoke_started_with_vault_is_not_finished_without_it(world: World) -> None:
    assert world.apply().exit_code == 0
    crash_before(world, "inventory")
    refused = world.govern(
        *REVOKE, "--no-vault", "--store", "vault", env={"VAULT_ADDR": "http://127.0.0.1:9"}
    )
    assert refused.exit_code == 2 and "started with Vault" in refused.output
    assert (world.tmp / ".govern" / "revoke-alice.json").exists()


def test_an_option_a_done_step_cannot_honour_is_refused_not_ignored(world: World) -> None:
    """The Vault step ran without an auth mount; a rerun naming one would need it to run
    again: refused, until the journal is discarded."""
    assert world.apply().exit_code == 0
    crash_before(world, "rotate", auth_mount=None)
    refused = world.govern(*REVOKE)
    assert refused.exit_code == 2
    assert "--auth-mount 'userpass': the Vault step already ran with None" in refused.output
    done = world.govern(*REVOKE, "--discard-journal")
    assert done.exit_code == 0, done.output
    assert versions(world) == {"x1": 2, "fb2": 2, "x2-login": 1}


def test_the_documented_operator_policy_is_enough_to_revoke(world: World) -> None:
    operator = {"VAULT_TOKEN": token_with(world, "govern_operator")}
    assert world.apply(env=operator).exit_code == 0
    token = world.login("alice")
    result = world.govern(*REVOKE, env=operator)
    assert result.exit_code == 0, result.output
    assert world.readable(token) == set()
    assert versions(world) == {"x1": 2, "fb2": 2, "x2-login": 1}
    assert world.plan("--detailed-exitcode", env=operator).exit_code == 0


def test_an_entity_that_cannot_be_disabled_fails_loudly_naming_it(world: World) -> None:
    """A token that may read entities but not update them: the revoke is refused before any
    change, naming the entity, exit 3."""
    assert world.apply().exit_code == 0
    documented = documented_policy("govern_operator")
    weaker = documented.replace(
        'path "identity/entity/id/*" { capabilities = ["read", "update"] }',
        'path "identity/entity/id/*" { capabilities = ["read"] }',
    )
    assert weaker != documented
    world.server.api("PUT", "sys/policies/acl/weaker", json={"policy": weaker})
    body = world.server.api(
        "POST", "auth/token/create", json={"policies": ["weaker"], "no_default_policy": True}
    ).json()
    before = world.inventory.read_text()
    result = world.govern(*REVOKE, env={"VAULT_TOKEN": body["auth"]["client_token"]})
    assert result.exit_code == 3, result.output
    assert "could not disable entity govern-person-alice" in result.output
    assert "nothing was changed" in result.output
    assert not (world.tmp / ".govern" / "revoke-alice.json").exists()
    assert world.inventory.read_text() == before
    assert versions(world) == {"x1": 1, "fb2": 1, "x2-login": 1}
