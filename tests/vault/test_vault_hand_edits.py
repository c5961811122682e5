"""Hand edits in a real OpenBao that `govern plan` must report and `govern apply` repair: a
policy attached to a govern group by hand (`root` among them), a group's members or metadata
edited, a login alias renamed or removed, a person's login changed in the inventory; and the
objects govern did not create, which it never touches."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any
from unittest import mock

import requests

from govern.inventory.load import load_inventory
from govern.platforms import builtin_catalog
from govern.vault import (
    DesiredState,
    VaultClient,
    apply_plan,
    connect,
    desired_state,
    make_plan,
    observe,
)
from tests.vault.conftest import World

X1 = "govern-account-x1"
SUPERUSER = 'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }\n'


def set_group(world: World, account: str, **fields: object) -> None:
    world.server.api("POST", f"identity/group/name/govern-account-{account}", json=fields)


def changes(world: World, *args: str) -> list[dict[str, Any]]:
    result = world.plan("--format", "json", *args)
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.output)["changes"]
    return found


def aliases(world: World, person: str) -> list[str]:
    body = world.server.api("GET", f"identity/entity/name/govern-person-{person}").json()
    return sorted(str(a["name"]) for a in body["data"]["aliases"] or ())


def alias_id(world: World, person: str) -> str:
    body = world.server.api("GET", f"identity/entity/name/govern-person-{person}").json()
    return str(body["data"]["aliases"][0]["id"])


def rename_alias(world: World, person: str, name: str) -> None:
    accessor = world.server.api("GET", "sys/auth").json()["data"]["userpass/"]["accessor"]
    world.server.api(
        "POST",
        f"identity/entity-alias/id/{alias_id(world, person)}",
        json={"name": name, "canonical_id": world.entity_id(person), "mount_accessor": accessor},
    )


def connect_and_want(world: World) -> tuple[VaultClient, DesiredState]:
    """A connection to the world's server and the desired state of its inventory (the
    public API, as `govern apply --auth-mount userpass --alias-field id` computes it)."""
    catalog = builtin_catalog()
    inventory = load_inventory(world.inventory, catalog).inventory
    with mock.patch.dict(os.environ, world.server.env()):
        client = connect(os.environ)
    return client, desired_state(inventory, catalog, auth_mount="userpass", alias_field="id")


def test_a_superuser_policy_attached_by_hand_is_reported_and_taken_back(world: World) -> None:
    assert world.apply().exit_code == 0
    # OpenBao refuses `root` itself on an identity group ("policies cannot contain root"); a
    # policy granting every capability everywhere is the same power, and it is accepted.
    refused = requests.post(
        f"{world.server.addr}/v1/identity/group/name/{X1}",
        headers={"X-Vault-Token": world.server.token},
        json={"policies": [X1, "root"]},
        timeout=10,
    )
    assert refused.status_code == 400 and "cannot contain root" in refused.text
    world.server.api("PUT", "sys/policies/acl/hand-admin", json={"policy": SUPERUSER})
    set_group(world, "x1", policies=[X1, "hand-admin"])
    alice = world.login("alice")
    assert world.readable(alice) == {"x1", "x2-login", "fb2"}  # the hand-made grant works...

    plan = world.plan("--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert f"~ update  group      {X1}  (policies: {X1},hand-admin -> {X1})" in plan.output
    assert "Plan: 0 to add, 1 to change, 0 to remove." in plan.output
    assert [(c["kind"], c["action"], c["name"], c["account"]) for c in changes(world)] == [
        ("group", "update", X1, "x1")
    ]

    applied = world.apply()
    assert applied.exit_code == 0, applied.output
    assert f"updated group {X1}" in applied.output
    assert world.group("x1")["policies"] == [X1]
    assert world.readable(alice) == {"x1", "fb2"}  # ...until apply takes it back
    assert world.plan("--detailed-exitcode").exit_code == 0


def test_hand_edited_metadata_and_policies_are_shown_together(world: World) -> None:
    assert world.apply().exit_code == 0
    before = world.group("x2")["metadata"]
    set_group(
        world,
        "x2",
        policies=["default", "govern-account-x2"],
        metadata={**before, "platform": "facebook"},  # type: ignore[dict-item]
    )
    detail = next(c["detail"] for c in changes(world) if c["name"] == "govern-account-x2")
    assert detail == (
        "platform: facebook -> x, policies: default,govern-account-x2 -> govern-account-x2"
    )
    assert world.apply().exit_code == 0
    assert world.group("x2")["metadata"] == before
    assert world.group("x2")["policies"] == ["govern-account-x2"]


def test_hand_edited_group_metadata_alone_is_repaired(world: World) -> None:
    assert world.apply().exit_code == 0
    before = world.group("fb2")["metadata"]
    extra = {**before, "credential": "elsewhere", "note": "by hand"}  # type: ignore[dict-item]
    set_group(world, "fb2", metadata=extra)
    found = changes(world)
    assert [(c["kind"], c["action"], c["name"], c["detail"]) for c in found] == [
        (
            "group",
            "update",
            "govern-account-fb2",
            "credential: elsewhere -> fb2, note: by hand -> (none)",
        )
    ]
    assert world.apply().exit_code == 0
    assert world.group("fb2")["metadata"] == before
    assert world.group("fb2")["policies"] == ["govern-account-fb2"]


def test_hand_edited_members_are_put_back(world: World) -> None:
    assert world.apply().exit_code == 0
    # bob removed, carol (and an entity govern did not create) added, by hand
    stranger = world.server.api("POST", "identity/entity", json={"name": "stranger"}).json()
    stranger_id = stranger["data"]["id"]
    set_group(
        world,
        "x2",
        member_entity_ids=[
            world.entity_id("head"),
            world.entity_id("it"),
            world.entity_id("carol"),
            stranger_id,
        ],
    )
    assert world.readable(world.login("bob")) == set()
    found = changes(world)
    assert [(c["action"], c["detail"], c["person"]) for c in found] == [
        ("add", "govern-person-bob", "bob"),
        ("remove", "govern-person-carol", "carol"),
        ("remove", "stranger", None),  # not a govern entity: no person to name
    ]
    assert {c["account"] for c in found} == {"x2"}
    applied = world.apply("--force")
    assert applied.exit_code == 0, applied.output
    assert world.readable(world.login("bob")) == {"x2-login"}
    assert world.readable(world.login("carol")) == set()
    assert world.plan("--detailed-exitcode").exit_code == 0


def test_groups_govern_did_not_create_are_never_touched(world: World) -> None:
    carol = world.server.api("POST", "identity/entity", json={"name": "carol-own"}).json()
    carol_id = carol["data"]["id"]
    world.server.api("PUT", "sys/policies/acl/hand-admin", json={"policy": SUPERUSER})
    # a team group of its own, and a group squatting govern's name for x1 without its marker
    world.server.api(
        "POST",
        "identity/group",
        json={"name": "comms-team", "policies": ["hand-admin"], "member_entity_ids": [carol_id]},
    )
    world.server.api(
        "POST",
        "identity/group",
        json={"name": X1, "policies": ["hand-admin"], "member_entity_ids": [carol_id]},
    )
    plan = world.plan("--format", "json")
    body = json.loads(plan.output)
    touched = {(c["kind"], c["name"]) for c in body["changes"]}
    assert ("policy", X1) in touched  # the policy is govern's to create...
    assert ("group", X1) not in touched  # ...but the group is not its to change
    assert not [c for c in body["changes"] if c["kind"] == "membership" and c["name"] == X1]
    assert not [c for c in body["changes"] if c["name"] == "comms-team"]
    assert any(
        f.startswith(f"group {X1} exists but was not created by govern") for f in body["foreign"]
    )

    applied = world.apply()
    assert applied.exit_code == 0, applied.output
    for name in ("comms-team", X1):
        group = world.server.api("GET", f"identity/group/name/{name}").json()["data"]
        assert group["policies"] == ["hand-admin"] and group["member_entity_ids"] == [carol_id]
        assert not group["metadata"]
    assert world.readable(world.login("alice")) == {"fb2"}  # x1's group is not govern's
    again = world.plan("--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert f"! group {X1} exists but was not created by govern" in again.output


def test_a_login_alias_renamed_by_hand_is_renamed_back(world: World) -> None:
    assert world.apply().exit_code == 0
    rename_alias(world, "alice", "mallory")
    assert aliases(world, "alice") == ["mallory"]
    plan = world.plan("--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert (
        "~ update  alias      govern-person-alice  (login mallory -> alice on auth/userpass)"
        in plan.output
    )
    assert [(c["kind"], c["action"], c["person"]) for c in changes(world)] == [
        ("alias", "update", "alice")
    ]
    applied = world.apply()
    assert applied.exit_code == 0, applied.output
    assert "updated alias govern-person-alice" in applied.output
    assert aliases(world, "alice") == ["alice"]
    token = world.login("alice")  # the login lands on govern's entity again
    assert world.readable(token) == {"x1", "fb2"}


def test_a_login_alias_removed_by_hand_is_created_again(world: World) -> None:
    assert world.apply().exit_code == 0
    world.server.api("DELETE", f"identity/entity-alias/id/{alias_id(world, 'bob')}")
    assert aliases(world, "bob") == []
    assert [(c["kind"], c["action"], c["name"], c["detail"]) for c in changes(world)] == [
        ("alias", "create", "govern-person-bob", "login bob on auth/userpass")
    ]
    assert world.apply().exit_code == 0
    assert aliases(world, "bob") == ["bob"]
    assert world.readable(world.login("bob")) == {"x2-login"}


def test_a_changed_email_renames_the_login_alias(world: World) -> None:
    by_email = ("--auth-mount", "userpass", "--alias-field", "email")
    assert world.govern("apply", "--yes", *by_email).exit_code == 0
    assert aliases(world, "alice") == ["alice@diocese.test"]
    world.edit("alice@diocese.test", "alice.new@diocese.test")
    found = world.govern("plan", "--format", "json", *by_email)
    assert found.exit_code == 0, found.output
    assert [
        (c["kind"], c["action"], c["name"], c["detail"])
        for c in json.loads(found.output)["changes"]
    ] == [
        (
            "entity",
            "update",
            "govern-person-alice",
            "email: alice@diocese.test -> alice.new@diocese.test",
        ),
        (
            "alias",
            "update",
            "govern-person-alice",
            "login alice@diocese.test -> alice.new@diocese.test on auth/userpass",
        ),
    ]
    applied = world.govern("apply", "--yes", *by_email)
    assert applied.exit_code == 0, applied.output
    assert aliases(world, "alice") == ["alice.new@diocese.test"]
    assert world.govern("plan", "--detailed-exitcode", *by_email).exit_code == 0


def test_an_alias_the_inventory_no_longer_wants_is_deleted_by_apply(world: World) -> None:
    # Through the public API: a desired state without alice's login (the CLI always gives
    # every person one) plans an alias delete, which apply carries out on the server.
    assert world.apply().exit_code == 0
    client, full = connect_and_want(world)
    aliases_but_alice = {k: v for k, v in full.aliases.items() if k != "govern-person-alice"}
    want = dataclasses.replace(full, aliases=aliases_but_alice)
    plan = make_plan(want, observe(client, auth_mount="userpass"))
    assert [(c.kind, c.action, c.name, c.detail) for c in plan.changes] == [
        ("alias", "delete", "govern-person-alice", "login alice on auth/userpass")
    ]
    assert plan.summary() == {"add": 0, "change": 0, "remove": 1}
    result = apply_plan(client, plan)
    assert result.ok and result.done == plan.changes
    assert aliases(world, "alice") == []
    assert make_plan(want, observe(client, auth_mount="userpass")).changes == ()
    # deleting an alias that is already gone is the wanted outcome, not an error
    again = apply_plan(client, plan)
    assert again.ok and again.done == plan.changes


def test_an_alias_removed_between_plan_and_apply_fails_that_change_only(world: World) -> None:
    assert world.apply().exit_code == 0
    rename_alias(world, "alice", "mallory")
    world.edit("level: C}\n  - {id: bob", "level: B}\n  - {id: bob")  # alice's level changes
    client, want = connect_and_want(world)
    plan = make_plan(want, observe(client, auth_mount="userpass"))
    assert [(c.kind, c.action) for c in plan.changes] == [("entity", "update"), ("alias", "update")]
    # someone deletes the alias after the plan was made
    world.server.api("DELETE", f"identity/entity-alias/id/{alias_id(world, 'alice')}")
    result = apply_plan(client, plan)
    assert result.done == plan.changes[:1]
    assert [(c.kind, error) for c, error in result.failed] == [
        ("alias", f"alias mallory of govern-person-alice is gone from Vault at {world.server.addr}")
    ]
    assert result.exit_code == 2
    # the next plan finishes the job
    assert [
        (c.kind, c.action) for c in make_plan(want, observe(client, auth_mount="userpass")).changes
    ] == [("alias", "create")]
