"""govern plan / apply against a real OpenBao dev server: the access model enforced end to end."""

from __future__ import annotations

import json

import requests

from govern.vault import Plan, apply_plan, connect, desired_state, make_plan, observe
from tests.vault.conftest import World


def test_each_person_reads_exactly_what_the_inventory_grants(world: World) -> None:
    first = world.apply()
    assert first.exit_code == 0, first.output
    assert "Apply complete:" in first.output
    alice, bob, carol = world.login("alice"), world.login("bob"), world.login("carol")
    assert world.readable(alice) == {"x1", "fb2"}
    assert world.readable(bob) == {"x2-login"}
    assert world.readable(carol) == set()
    assert world.readable(world.login("head")) == {"x1", "x2-login", "fb2"}
    # the login lands on govern's entity (the alias was created before the first login)
    lookup = requests.get(
        f"{world.server.addr}/v1/auth/token/lookup-self",
        headers={"X-Vault-Token": alice},
        timeout=10,
    ).json()["data"]
    assert lookup["entity_id"] == world.entity_id("alice")

    again = world.apply()
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output

    # a grant removed from the inventory: the same, still valid token loses that credential
    world.edit(
        "      - {person: alice, role: admin}\n    credential: {mfa: true}",
        "    credential: {mfa: true}",
    )
    removed = world.apply()
    assert removed.exit_code == 0, removed.output
    assert "- remove  membership govern-account-x1 <- govern-person-alice" in removed.output
    assert world.status(alice, "x1") == 403
    assert world.readable(alice) == {"fb2"}

    # departed: the entity is disabled and every read fails, whatever the groups say
    world.edit(
        "{id: bob, name: Bob, email: bob@diocese.test, level: C}",
        "{id: bob, name: Bob, email: bob@diocese.test, level: C, status: departed, "
        "left_on: 2026-11-01}",
    )
    departed = world.apply()
    assert departed.exit_code == 0, departed.output
    assert "~ disable entity     govern-person-bob" in departed.output
    assert world.status(bob, "x2-login") == 403
    assert world.readable(bob) == set()
    assert world.readable(world.login("head")) == {"x1", "x2-login", "fb2"}


def test_hand_added_member_is_planned_for_removal_and_removed(world: World) -> None:
    assert world.apply().exit_code == 0
    group = world.group("x1")
    members = [*group["member_entity_ids"], world.entity_id("carol")]  # type: ignore[misc]
    world.server.api(
        "POST", "identity/group/name/govern-account-x1", json={"member_entity_ids": members}
    )
    carol = world.login("carol")
    assert world.readable(carol) == {"x1"}  # the hand-made grant works...

    plan = world.plan("--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "- remove  membership govern-account-x1 <- govern-person-carol" in plan.output
    assert "Plan: 0 to add, 0 to change, 1 to remove." in plan.output

    applied = world.apply()
    assert applied.exit_code == 0, applied.output
    assert "removed membership govern-account-x1 <- govern-person-carol" in applied.output
    assert world.readable(carol) == set()  # ...until apply takes it back
    assert world.plan("--detailed-exitcode").exit_code == 0


def test_foreign_objects_are_reported_and_left_alone(world: World) -> None:
    hand_policy = 'path "govern/data/accounts/*" { capabilities = ["read"] }\n'
    world.server.api("PUT", "sys/policies/acl/govern-account-x2", json={"policy": hand_policy})
    world.server.api(
        "POST", "identity/entity/name/govern-person-carol", json={"metadata": {"owner": "someone"}}
    )
    plan = world.plan("--format", "json")
    assert plan.exit_code == 0, plan.output
    body = json.loads(plan.output)
    foreign = "\n".join(body["foreign"])
    assert "policy govern-account-x2" in foreign and "entity govern-person-carol" in foreign
    names = {(c["kind"], c["name"]) for c in body["changes"]}
    # nothing would touch them, and the group that would attach the foreign policy is withheld
    assert ("policy", "govern-account-x2") not in names
    assert ("group", "govern-account-x2") not in names
    assert ("entity", "govern-person-carol") not in names

    applied = world.apply()
    assert applied.exit_code == 0, applied.output
    assert "! policy govern-account-x2 exists but was not created by govern" in applied.output
    kept = world.server.api("GET", "sys/policies/acl/govern-account-x2").json()["data"]
    assert kept["policy"] == hand_policy
    entity = world.server.api("GET", "identity/entity/name/govern-person-carol").json()["data"]
    assert entity["metadata"] == {"owner": "someone"}
    assert world.readable(world.login("bob")) == set()  # x2 is not granted through a foreign policy


def test_detailed_exitcode_and_text_summary(world: World) -> None:
    before = world.plan("--detailed-exitcode")
    assert before.exit_code == 2, before.output
    assert "Plan: " in before.output and "to add, 0 to change, 0 to remove." in before.output
    assert world.plan().exit_code == 0  # changes, but no --detailed-exitcode
    assert world.apply().exit_code == 0
    after = world.plan("--detailed-exitcode")
    assert after.exit_code == 0, after.output
    assert "No changes. Vault matches the inventory." in after.output
    assert world.server.token not in before.output + after.output


def test_max_removals_refuses_then_force_applies(world: World) -> None:
    assert world.apply().exit_code == 0
    # three accounts lose their shared login: their memberships (9 of 9) would be removed
    world.edit('platform: x\n    handle: "@one"', 'platform: facebook\n    handle: "@one"')
    world.edit('platform: x\n    handle: "@two"', 'platform: facebook\n    handle: "@two"')
    world.edit("    credential: {mfa: true}\n", "")
    world.edit("    credential: {ref: x2-login, mfa: true}\n", "")
    refused = world.apply()
    assert refused.exit_code == 2, refused.output
    assert "the plan removes 6 accesses, more than the limit of 2" in refused.output
    assert "--max-removals" in refused.output and "--force" in refused.output
    assert world.group("x1")["member_entity_ids"]  # nothing changed
    assert world.apply("--max-removals", "5").exit_code == 2
    forced = world.apply("--force")
    assert forced.exit_code == 0, forced.output
    assert "deleted group govern-account-x1" in forced.output
    assert world.readable(world.login("alice")) == {"fb2"}


def test_no_tty_without_yes_is_refused(world: World) -> None:
    result = world.govern("apply", "--auth-mount", "userpass", "--alias-field", "id")
    assert result.exit_code == 2, result.output
    assert "refusing to apply without confirmation" in result.output and "--yes" in result.output
    policies = world.server.api("LIST", "sys/policies/acl").json()["data"]["keys"]
    assert not [p for p in policies if p.startswith("govern-")]  # nothing was created


def test_vault_stopped_exits_3_naming_the_address(world: World) -> None:
    world.server.stop()
    for command in ("plan", "apply"):
        result = world.govern(command, "--yes" if command == "apply" else "--format=text")
        assert result.exit_code == 3, result.output
        first = result.output.strip().splitlines()[0]
        assert first.startswith("error: ") and world.server.addr in first
        assert "connection refused" in first


def test_sealed_vault_exits_3(world: World) -> None:
    world.server.seal()
    result = world.plan()
    assert result.exit_code == 3, result.output
    assert f"Vault at {world.server.addr} is sealed" in result.output


def test_token_lacking_permission_names_capability_and_path(world: World) -> None:
    world.server.api(
        "PUT",
        "sys/policies/acl/only-entities",
        json={"policy": ('path "identity/entity/id" { capabilities = ["list"] }\n')},
    )
    token = world.server.api(
        "POST", "auth/token/create", json={"policies": ["only-entities"]}
    ).json()["auth"]["client_token"]
    result = world.plan(env={"VAULT_TOKEN": token})
    assert result.exit_code == 3, result.output
    first = result.output.strip().splitlines()[0]
    assert world.server.addr in first
    assert "'list' capability on identity/group/id" in first
    assert token not in result.output


def test_partial_apply_is_finished_by_the_next_run(world: World) -> None:
    import os
    from unittest import mock

    from govern.inventory.load import load_inventory
    from govern.platforms import builtin_catalog

    catalog = builtin_catalog()
    inventory = load_inventory(world.inventory, catalog).inventory
    desired = desired_state(inventory, catalog, auth_mount="userpass", alias_field="id")
    with mock.patch.dict(os.environ, world.server.env()):
        client = connect(os.environ)
    full = make_plan(desired, observe(client, auth_mount="userpass"))
    assert len(full.changes) > 10
    cut = len(full.changes) // 2
    # a crash after `cut` changes: the next plan shows exactly the rest
    done = apply_plan(client, Plan(changes=full.changes[:cut]))
    assert done.ok, done.failed
    rest = make_plan(desired, observe(client, auth_mount="userpass"))
    assert set(rest.changes) == set(full.changes[cut:])
    # and half of the rest, applied out of order (memberships before their groups fail)
    odd = Plan(changes=rest.changes[1::2])
    partial = apply_plan(client, odd)
    after = make_plan(desired, observe(client, auth_mount="userpass"))
    assert set(after.changes) == set(rest.changes) - set(partial.done)
    finished = world.apply()
    assert finished.exit_code == 0, finished.output
    assert world.plan("--detailed-exitcode").exit_code == 0
    assert world.readable(world.login("alice")) == {"x1", "fb2"}


def test_settings_from_the_environment_and_unknown_auth_mount(world: World) -> None:
    env = {"GOVERN_VAULT_AUTH_MOUNT": "userpass", "GOVERN_VAULT_ALIAS_FIELD": "id"}
    assert world.govern("apply", "--yes", env=env).exit_code == 0
    assert world.readable(world.login("bob")) == {"x2-login"}  # the alias came from the env
    missing = world.govern("plan", "--auth-mount", "oidc")
    assert missing.exit_code == 2, missing.output
    assert "has no auth method at auth/oidc" in missing.output


def test_person_removed_from_the_inventory_loses_entity_and_memberships(world: World) -> None:
    assert world.apply().exit_code == 0
    world.edit("  - {id: it, name: IT Person, email: it@diocese.test, level: B}\n", "")
    world.edit("head: head, it: [it]", "head: head")
    plan = world.plan("--format", "json")
    changes = {
        (c["kind"], c["action"], c["name"], c["person"]) for c in json.loads(plan.output)["changes"]
    }
    assert ("entity", "delete", "govern-person-it", "it") in changes
    assert ("membership", "remove", "govern-account-x1", "it") in changes
    applied = world.apply("--force")
    assert applied.exit_code == 0, applied.output
    assert world.readable(world.login("it")) == set()  # a new login gets a fresh, empty entity
    assert world.plan("--detailed-exitcode").exit_code == 0
