"""`govern drift` against a real OpenBao dev server (no mocks): after `apply` through
govern.vault, changes made by hand behind govern's back show up as drift findings."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import hvac
import pytest
from click.testing import CliRunner
from vaultserver import VaultServer, free_port

from govern.cli.main import cli
from govern.credentials import Secret
from govern.credentials.vaultstore import VaultStore
from govern.inventory.load import load_inventory
from govern.policy import load_policy
from govern.vault import apply_plan, connect, desired_state, make_plan, observe
from tests.conftest import BASE

# BASE (xacct: a shared X login read by head, it and mgr) plus a person who left.
INVENTORY = BASE.replace(
    "entities:",
    "  - {id: gone, name: Gone Volunteer, email: gone@diocese.test, level: C, "
    "status: departed, left_on: 2026-09-30}\nentities:",
)
TODAY = ["--today", "2026-11-22"]
GROUP = "govern-account-xacct"


@pytest.fixture
def org(tmp_path: Path) -> Path:
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    (tmp_path / "policies").mkdir()
    return tmp_path


@pytest.fixture
def applied(org: Path, disposable_vault: VaultServer) -> VaultServer:
    """A server where the credential is stored and `apply` made Vault match the inventory."""
    env = disposable_vault.env()
    store = VaultStore(disposable_vault.addr, mount="govern", env=env)
    store.ensure_mount(create=True)
    store.put(
        "xacct",
        Secret(password="a-password-for-tests"),
        meta={},
        rotated_by="tester",
        reason="test setup",
    )
    policy = load_policy(org / "policies")
    loaded = load_inventory(org / "inventory.yaml", policy.catalog)
    client = connect(env)
    plan = make_plan(desired_state(loaded.inventory, policy.catalog), observe(client))
    result = apply_plan(client, plan)
    assert result.ok, result.failed
    return disposable_vault


def hvac_client(server: VaultServer) -> hvac.Client:
    return hvac.Client(url=server.addr, token=server.token)


def drift(org: Path, server: VaultServer, *args: str) -> tuple[int, dict[str, Any], str]:
    old = os.getcwd()
    os.chdir(org)
    try:
        result = CliRunner().invoke(
            cli,
            ["drift", "--format", "json", *TODAY, *args],
            env=server.env(),
            catch_exceptions=False,
        )
    finally:
        os.chdir(old)
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, report, result.stderr


def brief(report: dict[str, Any]) -> list[tuple[str, str, str | None, str | None]]:
    return sorted(
        ((f["rule"], f["severity"], f["account"], f["person"]) for f in report["findings"]),
        key=lambda t: tuple(x or "" for x in t),
    )


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_after_apply_there_is_no_drift(org: Path, applied: VaultServer) -> None:
    code, report, err = drift(org, applied)  # Vault by default: VAULT_ADDR is set
    assert (code, report["findings"]) == (0, []), err


def test_hand_added_group_member_is_drift(org: Path, applied: VaultServer) -> None:
    client = hvac_client(applied)
    group = client.secrets.identity.read_group_by_name(GROUP)["data"]
    # A person of the inventory who is no reader of xacct, and an entity govern never made.
    mgr2 = client.secrets.identity.read_entity_by_name("govern-person-mgr2")["data"]["id"]
    mallory = client.secrets.identity.create_or_update_entity(name="mallory")["data"]["id"]
    client.secrets.identity.update_group(
        group["id"],
        name=GROUP,
        policies=group["policies"],
        metadata=group["metadata"],
        member_entity_ids=[*group["member_entity_ids"], mgr2, mallory],
    )
    code, report, err = drift(org, applied)
    assert code == 1, err
    assert brief(report) == [
        ("drift-vault-membership", "error", "xacct", None),
        ("drift-vault-membership", "error", "xacct", "mgr2"),
    ]
    by_person = {f["person"]: f for f in report["findings"]}
    assert "mallory" in by_person[None]["message"]
    assert "can read the shared login of account xacct" in by_person["mgr2"]["message"]
    # Both point at the account in the inventory.
    assert by_person["mgr2"]["location"]["line"] == line_of(INVENTORY, "id: xacct")
    # `govern plan` proposes the repair: removing both members.
    old = os.getcwd()
    os.chdir(org)
    try:
        result = CliRunner().invoke(cli, ["plan", "--format", "json"], env=applied.env())
    finally:
        os.chdir(old)
    removals = [c for c in json.loads(result.stdout)["changes"] if c["action"] == "remove"]
    assert {c["detail"] for c in removals} == {"govern-person-mgr2", "mallory"}


def test_entity_enabled_again_for_a_departed_person_is_drift(
    org: Path, applied: VaultServer
) -> None:
    client = hvac_client(applied)
    entity = client.secrets.identity.read_entity_by_name("govern-person-gone")["data"]
    assert entity["disabled"] is True  # apply disabled it
    client.secrets.identity.update_entity(
        entity["id"], name=entity["name"], metadata=entity["metadata"], disabled=False
    )
    code, report, _ = drift(org, applied)
    assert code == 1
    assert brief(report) == [("drift-vault-entity", "error", None, "gone")]
    finding = report["findings"][0]
    assert "departed" in finding["message"] and "login works again" in finding["message"]
    assert finding["location"]["line"] == line_of(INVENTORY, "id: gone")


def test_missing_credential_is_drift(org: Path, applied: VaultServer) -> None:
    VaultStore(applied.addr, mount="govern", env=applied.env()).delete("xacct")
    code, report, _ = drift(org, applied)
    assert code == 1
    assert brief(report) == [("drift-missing-credential", "error", "xacct", None)]
    location = report["findings"][0]["location"]
    assert location["line"] == line_of(INVENTORY, "credential: {mfa: true")


def test_hand_edited_policy_and_foreign_objects(org: Path, applied: VaultServer) -> None:
    client = hvac_client(applied)
    text = client.sys.read_policy(GROUP)["data"]["rules"]
    client.sys.create_or_update_policy(
        GROUP, text + '\npath "govern/data/*" {\n  capabilities = ["read"]\n}\n'
    )
    client.sys.create_or_update_policy(
        "govern-account-other", 'path "x/*" {\n  capabilities = ["read"]\n}\n'
    )
    code, report, _ = drift(org, applied)
    assert code == 1
    assert brief(report) == [
        ("drift-foreign-object", "warning", None, None),
        ("drift-vault-policy", "error", "xacct", None),
    ]
    foreign = next(f for f in report["findings"] if f["rule"] == "drift-foreign-object")
    assert "govern-account-other" in foreign["message"]
    assert foreign["location"]["path"] == f"vault:{applied.addr}"


def test_no_vault_flag_and_audit_drift(org: Path, applied: VaultServer) -> None:
    VaultStore(applied.addr, mount="govern", env=applied.env()).delete("xacct")
    assert drift(org, applied, "--no-vault")[0] == 0
    old = os.getcwd()
    os.chdir(org)
    try:
        args = ["audit", "--drift", "--format", "json", *TODAY, "--store", "vault"]
        result = CliRunner().invoke(cli, args, env=applied.env())
        offline = CliRunner().invoke(cli, [*args[:-2], "--offline"], env=applied.env())
    finally:
        os.chdir(old)
    rules = [f["rule"] for f in json.loads(result.stdout)["findings"]]
    assert "drift-missing-credential" in rules and "credential-custody" in rules
    rules = [f["rule"] for f in json.loads(offline.stdout)["findings"]]
    assert "drift-missing-credential" not in rules


def test_vault_unreachable_exits_3_with_one_clear_line(org: Path) -> None:
    addr = f"http://127.0.0.1:{free_port()}"
    old = os.getcwd()
    os.chdir(org)
    try:
        result = CliRunner().invoke(
            cli, ["drift", "--vault", *TODAY], env={"VAULT_ADDR": addr, "VAULT_TOKEN": "t"}
        )
    finally:
        os.chdir(old)
    assert result.exit_code == 3
    assert addr in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_vault_flag_without_address_is_a_usage_error(org: Path) -> None:
    old = os.getcwd()
    os.chdir(org)
    try:
        result = CliRunner().invoke(cli, ["drift", "--vault", *TODAY])
    finally:
        os.chdir(old)
    assert result.exit_code in (2, 3) and "VAULT_ADDR" in result.stderr


def test_read_only_policy_of_the_docs_is_enough(org: Path, applied: VaultServer) -> None:
    """The CI policy in docs/snapshots.md lets `govern drift` read everything it needs."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "snapshots.md").read_text()
    hcl = docs.split("```hcl\n", 1)[1].split("```", 1)[0]
    client = hvac_client(applied)
    client.sys.create_or_update_policy("ci-govern-drift", hcl)
    token = client.auth.token.create(policies=["ci-govern-drift"], no_default_policy=True)
    env = {"VAULT_ADDR": applied.addr, "VAULT_TOKEN": token["auth"]["client_token"]}
    client.sys.create_or_update_policy(
        "govern-account-other", 'path "x/*" {\n  capabilities = ["read"]\n}\n'
    )
    old = os.getcwd()
    os.chdir(org)
    try:
        result = CliRunner().invoke(cli, ["drift", "-f", "json", *TODAY], env=env)
    finally:
        os.chdir(old)
    assert result.exit_code == 1, result.stderr
    rules = sorted(f["rule"] for f in json.loads(result.stdout)["findings"])
    assert rules == ["drift-foreign-object"]
