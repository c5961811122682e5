"""`govern revoke` against a real OpenBao server: tokens stop working, passwords rotate, and a
Vault outage before any step leaves a state the same command finishes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner

from govern import auditlog
from govern.cli._common import load
from govern.cli.main import cli
from govern.credentials.filestore import FileStore, ScryptParams
from govern.credentials.vaultstore import VaultStore
from govern.errors import BackendUnavailable
from govern.offboard import VaultAccess, plan_revoke, run_revoke
from tests.faultproxy import TcpProxy
from tests.vault.conftest import World

REVOKE = (
    "revoke",
    "alice",
    "--successor",
    "bob",
    "--yes",
    "--left-on",
    "2026-11-22",
    "--auth-mount",
    "userpass",
    "--alias-field",
    "id",
)
STEPS = ("vault", "rotate", "inventory", "vault-sync", "log")


def versions(world: World) -> dict[str, int]:
    store = VaultStore(world.server.addr, mount="govern", env=world.server.env())
    return {m.ref: m.current_version for m in store.list()}


def end_state(world: World) -> dict[str, object]:
    entity = world.server.api("GET", "identity/entity/name/govern-person-alice").json()["data"]
    groups = {name: world.group(name)["member_entity_ids"] or [] for name in ("x1", "fb2")}
    return {
        "inventory": world.inventory.read_text(),
        "versions": versions(world),
        "alice_disabled": entity["disabled"],
        "alice_in_groups": sorted(g for g, members in groups.items() if entity["id"] in members),  # type: ignore[operator]
        "log_records": auditlog.verify(world.tmp / "audit.log.jsonl").records,
    }


def test_revoke_disables_tokens_and_rotates(world: World) -> None:
    assert world.apply().exit_code == 0
    token = world.login("alice")
    assert world.readable(token) == {"x1", "fb2"}
    before = versions(world)
    result = world.govern(*REVOKE, env={"GOVERN_ACTOR": "bishop"})
    assert result.exit_code == 0, result.stderr
    assert "Vault: entity govern-person-alice disabled" in result.stdout, result.stdout
    # The same, still-valid token is refused everywhere.
    assert world.readable(token) == set()
    # Each credential alice could read has exactly one new version, the old kept.
    after = versions(world)
    assert {ref: after[ref] - before[ref] for ref in before} == {"x1": 1, "fb2": 1, "x2-login": 0}
    store = VaultStore(world.server.addr, mount="govern", env=world.server.env())
    assert store.get("x1", 1).password == "pw-x1" and store.get("x1").password != "pw-x1"
    assert store.metadata("x1").reason == "revoke alice"  # type: ignore[union-attr]
    # The audit has no departed-access finding for her; the log verifies.
    audit = world.govern("audit", "-f", "json", "--fail-on", "never")
    findings = json.loads(audit.stdout)["findings"]
    assert not [f for f in findings if f["person"] == "alice" and f["rule"] == "departed-access"]
    verified = CliRunner().invoke(cli, ["log", "verify", "-i", str(world.inventory)])
    assert verified.exit_code == 0 and "ok: 1 records" in verified.stdout
    # Vault already follows the new inventory: the successor reads x1, and neither plan nor
    # drift finds anything left to do.
    assert "x1" in world.readable(world.login("bob"))
    planned = world.plan("--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    drift = world.govern(
        "drift",
        "--vault",
        "-f",
        "json",
        "--fail-on",
        "never",
        env={"GOVERN_VAULT_AUTH_MOUNT": "userpass", "GOVERN_VAULT_ALIAS_FIELD": "id"},
    )
    assert drift.exit_code == 0, drift.output
    rules = {f["rule"] for f in json.loads(drift.stdout)["findings"]}
    assert not {r for r in rules if r.startswith("drift-vault")}, rules


def test_vault_down_from_the_start_exits_3_then_rerun_finishes(world: World) -> None:
    assert world.apply().exit_code == 0
    proxy = TcpProxy("127.0.0.1", urlparse(world.server.addr).port or 0)
    env = {"VAULT_ADDR": proxy.addr}
    before = world.inventory.read_text()
    result = world.govern(*REVOKE, env=env)
    assert result.exit_code == 3
    assert proxy.addr.removeprefix("http://") in result.stderr
    assert "nothing was changed" in result.stderr
    assert "run the same command again" in result.stderr
    assert world.inventory.read_text() == before and versions(world)["x1"] == 1
    assert not (world.tmp / ".govern" / "revoke-alice.json").exists()
    proxy.start()
    try:
        again = world.govern(*REVOKE, env=env)
    finally:
        proxy.stop()
    assert again.exit_code == 0, again.stderr


def uninterrupted_inventory(world: World, tmp_path: Path) -> str:
    """The inventory after the same revoke run in one go (the edit needs neither Vault nor
    the stored secrets: a copy with an empty file store and no Vault gives the same text)."""
    copy = tmp_path / "reference" / "inventory.yaml"
    copy.parent.mkdir()
    copy.write_text(world.inventory.read_text())
    FileStore.create(
        copy.parent / "empty.enc",
        env={},
        passphrase="p" * 12,
        use_keyring=False,
        kdf=ScryptParams(n=2**14),
    )
    result = CliRunner().invoke(
        cli,
        [
            *REVOKE,
            "--no-vault",
            "-i",
            str(copy),
            "-p",
            str(world.tmp / "policies"),
            "--store",
            f"file:{copy.parent / 'empty.enc'}",
        ],
        env={"GOVERN_PASSPHRASE": "p" * 12, "VAULT_ADDR": ""},
    )
    assert result.exit_code == 0, result.stderr
    return copy.read_text()


@pytest.mark.parametrize("fail_before", STEPS)
def test_outage_before_each_step_resumes_to_the_uninterrupted_end_state(
    world: World, fail_before: str, tmp_path: Path
) -> None:
    assert world.apply().exit_code == 0
    expected_inventory = uninterrupted_inventory(world, tmp_path)
    proxy = TcpProxy("127.0.0.1", urlparse(world.server.addr).port or 0)
    proxy.start()
    env = {**world.server.env(), "VAULT_ADDR": proxy.addr, "GOVERN_ACTOR": "tester"}
    loaded, policy = load(str(world.inventory), str(world.tmp / "policies"))
    plan = plan_revoke(loaded.inventory, policy.catalog, "alice", successor="bob")

    def outage(message: str) -> None:
        if message.startswith(f"{fail_before} "):
            proxy.stop()

    from govern.credentials import open_store
    from govern.vault import connect

    needs_vault = fail_before != "log"  # every step before the log leads to one needing Vault
    access = VaultAccess(connect=lambda: connect(env), auth_mount="userpass", alias_field="id")
    try:
        run_revoke(
            plan,
            inventory=world.inventory,
            catalog=policy.catalog,
            left_on=dt.date(2026, 11, 22),
            actor="tester",
            store=lambda: open_store(None, inventory_dir=world.tmp, env=env),
            vault=access,
            log_path=world.tmp / "audit.log.jsonl",
            alias="alice",
            progress=outage,
        )
    except BackendUnavailable as exc:
        assert needs_vault and proxy.addr.removeprefix("http://") in exc.message
    else:
        assert not needs_vault  # steps that need no Vault finish regardless
    proxy.start()
    try:
        finished = world.govern(*REVOKE, env={"VAULT_ADDR": proxy.addr})
    finally:
        proxy.stop()
    assert finished.exit_code == 0, finished.stderr
    state = end_state(world)
    assert state["versions"] == {"x1": 2, "fb2": 2, "x2-login": 1}  # nothing rotated twice
    assert state["alice_disabled"] is True and state["alice_in_groups"] == []
    assert state["log_records"] == 1
    assert state["inventory"] == expected_inventory
