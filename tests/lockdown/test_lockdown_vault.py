"""`govern lockdown` against a real OpenBao server: read access to the rotated logins narrowed
to the entity head and IT (tokens already issued stop reading at once), new versions with the
old kept, and `--release` bringing Vault back to the declared state (`govern plan` then finds
nothing to do)."""

from __future__ import annotations

from govern import auditlog
from govern.credentials.vaultstore import VaultStore
from tests.vault.conftest import World

VAULT = ("--auth-mount", "userpass", "--alias-field", "id")


def versions(world: World) -> dict[str, int]:
    store = VaultStore(world.server.addr, mount="govern", env=world.server.env())
    return {m.ref: m.current_version for m in store.list()}


def test_lockdown_narrows_vault_and_release_restores_it(world: World) -> None:
    assert world.apply().exit_code == 0
    alice, bob, head, it = (world.login(u) for u in ("alice", "bob", "head", "it"))
    assert world.readable(alice) == {"x1", "fb2"} and world.readable(bob) == {"x2-login"}
    before = versions(world)

    dry = world.govern("lockdown", "fb2", "--dry-run", *VAULT)
    assert dry.exit_code == 0, dry.output
    assert "Vault: read access to fb2 narrowed to head, it" in dry.stdout
    assert versions(world) == before and world.readable(alice) == {"x1", "fb2"}

    result = world.govern("lockdown", "fb2", "--yes", *VAULT, env={"GOVERN_ACTOR": "responder"})
    assert result.exit_code == 0, result.output
    # The tokens alice and bob already hold no longer read the entity's shared logins.
    assert world.readable(alice) == set() and world.readable(bob) == set()
    assert world.readable(head) == {"x1", "x2-login", "fb2"}
    assert world.readable(it) == {"x1", "x2-login", "fb2"}
    after = versions(world)
    assert {ref: after[ref] - before[ref] for ref in before} == {"x1": 1, "x2-login": 1, "fb2": 1}
    store = VaultStore(world.server.addr, mount="govern", env=world.server.env())
    assert store.get("fb2", 1).password == "pw-fb2" and store.get("fb2").password != "pw-fb2"
    # No platform token: the removals stay manual, said so.
    assert "by hand" in result.stdout
    # Vault now differs from the declaration until the release.
    assert world.plan("--detailed-exitcode").exit_code == 2

    released = world.govern("lockdown", "--release", "fb2", "--yes", *VAULT)
    assert released.exit_code == 0, released.output
    assert world.readable(alice) == {"x1", "fb2"} and world.readable(bob) == {"x2-login"}
    planned = world.plan("--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    actions = [r["action"] for r in auditlog.read(world.tmp / "audit.log.jsonl")]
    assert actions == ["lockdown", "lockdown-release"]


def test_vault_unreachable_changes_nothing(world: World) -> None:
    assert world.apply().exit_code == 0
    before = versions(world)
    result = world.govern(
        "lockdown", "fb2", "--yes", *VAULT, env={"VAULT_ADDR": "http://127.0.0.1:9"}
    )
    assert result.exit_code == 3, result.output
    assert "127.0.0.1:9" in result.stderr and "nothing was changed" in result.stderr
    assert versions(world) == before
    assert not (world.tmp / ".govern" / "lockdown-fb2.json").exists()
