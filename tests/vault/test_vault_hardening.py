"""Findings of an outside review on the Vault side, each proven from the outside: mount names
cannot inject ACL policy text, `plan` shows the policy text that would change, an odd key in
the mount does not break `creds list` / `audit`, and an unreachable Vault still gets the
inventory's own findings reported (exit 3)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from govern.cli.main import cli
from tests.vault.conftest import World

INJECTION = 'govern/data/x" { capabilities = ["sudo"] }\npath "sys/*'


@pytest.mark.parametrize(
    "args, env",
    [
        (["--mount", INJECTION], {}),
        (["--mount", "../sys"], {}),
        (["--mount", "a*"], {}),
        ([], {"GOVERN_VAULT_MOUNT": 'x"}'}),
        (["--auth-mount", 'userpass"'], {}),
    ],
)
def test_a_mount_that_could_change_policy_text_is_refused(
    world: World, args: list[str], env: dict[str, str]
) -> None:
    result = world.govern("plan", *args, env=env)
    assert result.exit_code == 2, result.output
    assert "invalid Vault mount" in result.output
    assert "Traceback" not in result.output
    # Nothing was written: Vault still holds no govern policy.
    policies = world.server.api("LIST", "sys/policies/acl").json()["data"]["keys"]
    assert not [p for p in policies if p.startswith("govern-")]


def test_store_mount_is_checked_where_it_enters(world: World) -> None:
    result = CliRunner().invoke(
        cli, ["creds", "list", "--store", 'vault:a"b'], env=world.server.env()
    )
    assert result.exit_code == 2, result.output
    assert "--store vault:MOUNT: invalid Vault mount" in result.output


def test_plan_shows_the_policy_text_that_changes(world: World) -> None:
    assert world.apply().exit_code == 0
    name = "govern-account-x1"
    text = world.server.api("GET", f"sys/policies/acl/{name}").json()["data"]["policy"]
    edited = text.replace('capabilities = ["read"]', 'capabilities = ["read", "list"]', 1)
    world.server.api("PUT", f"sys/policies/acl/{name}", json={"policy": edited})
    plan = world.plan()
    assert plan.exit_code == 0, plan.output
    lines = plan.output.splitlines()
    at = next(i for i, line in enumerate(lines) if f"update  policy     {name}" in line)
    shown = [line.strip() for line in lines[at + 1 : at + 8]]
    assert '-  capabilities = ["read", "list"]' in shown
    assert '+  capabilities = ["read"]' in shown
    as_json = json.loads(world.plan("--format", "json").output)
    change = next(c for c in as_json["changes"] if c["name"] == name)
    assert '+  capabilities = ["read"]' in change["diff"]


def test_an_odd_key_in_the_mount_is_skipped_and_reported(world: World) -> None:
    # A key govern would never write (not a valid ref) and a folder, put there by hand.
    world.server.api("POST", "govern/data/accounts/Not A Ref!", json={"data": {"p": "v"}})
    world.server.api("POST", "govern/data/accounts/team/nested", json={"data": {"p": "v"}})
    listed = CliRunner().invoke(
        cli, ["creds", "list", "--store", "vault", "--format", "json"], env=world.server.env()
    )
    assert listed.exit_code == 0, listed.output
    refs = {c["account"] for c in json.loads(listed.stdout)["credentials"]}
    assert {"x1", "x2-login", "fb2"} <= refs and "Not A Ref!" not in refs
    assert "skipped 2 keys" in listed.stderr and "'Not A Ref!'" in listed.stderr
    assert "'team/'" in listed.stderr
    audited = world.govern("audit", "--store", "vault", "--format", "json")
    assert audited.exit_code in (0, 1), audited.output
    assert "skipped 2 keys" in audited.stderr


def test_audit_with_vault_unreachable_reports_the_inventory_and_exits_3(world: World) -> None:
    world.server.stop()
    result = world.govern("audit", "--store", "vault", "--format", "json")
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    rules = {f["rule"] for f in report["findings"]}
    # The inventory's own findings are all there (fb has no credential declared, people
    # lack training dates...), none of the custody rules.
    offline = world.govern("audit", "--offline", "--format", "json")
    assert rules == {f["rule"] for f in json.loads(offline.stdout)["findings"]}
    assert rules and not rules & {
        "credential-custody",
        "credential-age",
        "credential-after-departure",
    }
    assert (
        "not checked (the credential store could not be read): credential-after-departure, "
        "credential-age, credential-custody" in result.stderr
    )
    assert f"cannot reach Vault at {world.server.addr}" in result.stderr
