"""The Vault store against a real OpenBao: auth sources, permissions, mounts, outages."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from filekeyring import FileKeyring
from vaultserver import VaultServer

from govern.credentials import Secret, open_store
from govern.credentials.vaultstore import VaultStore, login
from govern.errors import BackendUnavailable, GovernError, StoreError, UsageError

LOGIN = Secret(username="vault-user", password="vault-only-password-42")


def put(store: VaultStore, ref: str = "acct-a", secret: Secret = LOGIN) -> None:
    store.put(ref, secret, meta={"platform": "x"}, rotated_by="alice", reason="set")


def scoped_token(server: VaultServer, mount: str, capabilities: list[str]) -> str:
    name = "p-" + secrets.token_hex(4)
    caps = ", ".join(f'"{c}"' for c in capabilities)
    policy = (
        f'path "{mount}/data/accounts/*" {{ capabilities = [{caps}] }}\n'
        f'path "{mount}/metadata/accounts/*" {{ capabilities = [{caps}] }}\n'
        f'path "{mount}/metadata/accounts" {{ capabilities = [{caps}] }}\n'
    )
    server.api("PUT", f"sys/policies/acl/{name}", json={"policy": policy})
    body = server.api("POST", "auth/token/create", json={"policies": [name]}).json()
    token: str = body["auth"]["client_token"]
    return token


def first_line(exc: GovernError) -> str:
    return exc.diagnostics().splitlines()[0]


# -- choosing the store and authenticating ----------------------------------------------------


def test_open_store_prefers_vault_when_vault_addr_is_set(vault_server: VaultServer) -> None:
    env = vault_server.env()
    assert open_store(None, inventory_dir=Path("/x"), env=env).describe() == (
        f"vault:{vault_server.addr} (mount govern)"
    )
    assert open_store("vault:team/social", inventory_dir=Path("/x"), env=env).describe() == (
        f"vault:{vault_server.addr} (mount team/social)"
    )
    assert open_store(None, inventory_dir=Path("/inv"), env={}).describe() == (
        "file:/inv/credentials.enc"
    )
    assert (
        open_store(
            None, inventory_dir=Path("/x"), env={**env, "GOVERN_STORE": "file:/s/c.enc"}
        ).describe()
        == "file:/s/c.enc"
    )
    with pytest.raises(UsageError, match="unknown store"):
        open_store("s3:bucket", inventory_dir=Path("/x"), env=env)
    with pytest.raises(UsageError, match="VAULT_ADDR is not set"):
        open_store("vault", inventory_dir=Path("/x"), env={})
    with pytest.raises(UsageError, match="invalid Vault mount"):
        open_store("vault:../sys", inventory_dir=Path("/x"), env=env)


def test_no_token_source_says_what_to_set(vault_server: VaultServer, vault_mount: str) -> None:
    store = VaultStore(vault_server.addr, mount=vault_mount, env={})
    with pytest.raises(StoreError) as info:
        store.list()
    text = info.value.diagnostics()
    assert "VAULT_TOKEN" in text and "govern login" in text and "VAULT_ROLE_ID" in text
    assert "no OS keyring backend" in text


def test_login_saves_a_checked_token_in_the_keyring(
    vault_server: VaultServer, vault_mount: str, test_keyring: FileKeyring
) -> None:
    token = scoped_token(vault_server, vault_mount, ["create", "read", "update", "list"])
    with pytest.raises(BackendUnavailable, match="refused"):
        login({"VAULT_ADDR": vault_server.addr}, "not-a-real-token")
    assert test_keyring.get_password("govern", vault_server.addr) is None
    assert login({"VAULT_ADDR": vault_server.addr}, token) == vault_server.addr
    assert test_keyring.get_password("govern", vault_server.addr) == token
    store = VaultStore(vault_server.addr, mount=vault_mount, env={})  # no VAULT_TOKEN
    put(store)
    assert store.get("acct-a") == LOGIN


def test_approle_login_for_ci(vault_server: VaultServer, vault_mount: str) -> None:
    role_mount = "approle-" + secrets.token_hex(3)
    vault_server.api("POST", f"sys/auth/{role_mount}", json={"type": "approle"})
    vault_server.api(
        "POST",
        f"auth/{role_mount}/role/ci",
        json={"token_policies": ["default"], "token_ttl": "5m"},
    )
    role_id = vault_server.api("GET", f"auth/{role_mount}/role/ci/role-id").json()["data"][
        "role_id"
    ]
    secret_id = vault_server.api("POST", f"auth/{role_mount}/role/ci/secret-id").json()["data"][
        "secret_id"
    ]
    env = {
        "VAULT_ROLE_ID": role_id,
        "VAULT_SECRET_ID": secret_id,
        "VAULT_APPROLE_MOUNT": role_mount,
    }
    store = VaultStore(vault_server.addr, mount=vault_mount, env=env)
    # The default policy grants nothing on the mount: authenticated, then refused, by path.
    with pytest.raises(BackendUnavailable, match=f"refused to list {vault_mount}/metadata"):
        store.list()
    bad = VaultStore(
        vault_server.addr,
        mount=vault_mount,
        env={**env, "VAULT_SECRET_ID": "00000000-0000-0000-0000-000000000000"},
    )
    with pytest.raises(GovernError) as info:
        bad.list()
    assert "AppRole" in info.value.message and secret_id not in info.value.diagnostics()


# -- permissions and mounts -------------------------------------------------------------------


def test_forbidden_names_the_path_and_capability(
    vault_server: VaultServer, vault_mount: str
) -> None:
    admin = VaultStore(vault_server.addr, mount=vault_mount, env=vault_server.env())
    put(admin)
    token = scoped_token(vault_server, vault_mount, ["list"])
    reader = VaultStore(vault_server.addr, mount=vault_mount, env={"VAULT_TOKEN": token})
    with pytest.raises(BackendUnavailable) as info:
        reader.get("acct-a")
    assert info.value.exit_code == 3
    line = first_line(info.value)
    assert vault_server.addr in line and f"{vault_mount}/data/accounts/acct-a" in line
    assert "'read' capability" in info.value.diagnostics()
    assert token not in info.value.diagnostics()
    with pytest.raises(BackendUnavailable, match="refused to write") as info:
        reader.put("acct-b", LOGIN, meta={}, rotated_by="a", reason="set")
    assert LOGIN.password not in info.value.diagnostics()


def test_mount_is_created_only_when_asked(vault_server: VaultServer) -> None:
    mount = "m-" + secrets.token_hex(4)
    store = VaultStore(vault_server.addr, mount=mount, env=vault_server.env())
    with pytest.raises(StoreError, match="no KV v2 secrets engine") as info:
        store.put("acct-a", LOGIN, meta={}, rotated_by="a", reason="set")
    assert f"govern store init --store vault:{mount}" in info.value.diagnostics()
    with pytest.raises(StoreError, match="no secrets engine"):
        store.list()
    with pytest.raises(StoreError, match="no KV v2 secrets engine"):
        store.ensure_mount(create=False)
    assert store.ensure_mount(create=True) is True
    assert store.ensure_mount(create=True) is False
    put(store)
    assert store.get("acct-a") == LOGIN
    vault_server.api("DELETE", f"sys/mounts/{mount}")


def test_kv_version_1_mount_is_refused(vault_server: VaultServer) -> None:
    mount = "v1-" + secrets.token_hex(4)
    vault_server.api(
        "POST", f"sys/mounts/{mount}", json={"type": "kv", "options": {"version": "1"}}
    )
    store = VaultStore(vault_server.addr, mount=mount, env=vault_server.env())
    with pytest.raises(StoreError, match="not a KV version 2"):
        store.put("acct-a", LOGIN, meta={}, rotated_by="a", reason="set")
    with pytest.raises(StoreError, match="not a KV version 2"):
        store.ensure_mount(create=True)
    vault_server.api("DELETE", f"sys/mounts/{mount}")


# -- what govern writes and reads -------------------------------------------------------------


def test_custom_metadata_on_each_secret(
    vault_server: VaultServer, vault_store: VaultStore, vault_mount: str
) -> None:
    vault_store.put(
        "acct-a",
        LOGIN,
        meta={"entity": "chancery", "platform": "x"},
        rotated_by="alice",
        reason="jdoe left",
    )
    raw = vault_server.api("GET", f"{vault_mount}/metadata/accounts/acct-a").json()["data"]
    custom = raw["custom_metadata"]
    assert {k: custom[k] for k in ("account", "entity", "platform", "rotated_by", "reason")} == {
        "account": "acct-a",
        "entity": "chancery",
        "platform": "x",
        "rotated_by": "alice",
        "reason": "jdoe left",
    }
    assert custom["rotated_at"].endswith("Z") and custom["govern_version"] == "1"
    data = vault_server.api("GET", f"{vault_mount}/data/accounts/acct-a").json()["data"]["data"]
    assert data == {"username": "vault-user", "password": "vault-only-password-42"}


def test_version_written_outside_govern_is_not_credited(
    vault_server: VaultServer, vault_store: VaultStore, vault_mount: str
) -> None:
    put(vault_store)
    vault_server.api(
        "POST", f"{vault_mount}/data/accounts/acct-a", json={"data": {"password": "set-by-hand"}}
    )
    meta = vault_store.metadata("acct-a")
    assert meta is not None and meta.current_version == 2
    assert meta.rotated_by is None and meta.reason is None  # unknown, not "alice"
    assert meta.meta["platform"] == "x"
    assert vault_store.get("acct-a") == Secret(password="set-by-hand")


def test_deleted_version(
    vault_server: VaultServer, vault_store: VaultStore, vault_mount: str
) -> None:
    put(vault_store)
    put(vault_store, secret=Secret(password="second"))
    vault_server.api("POST", f"{vault_mount}/delete/accounts/acct-a", json={"versions": [1]})
    with pytest.raises(StoreError, match="was deleted"):
        vault_store.get("acct-a", 1)
    assert vault_store.get("acct-a").password == "second"


def test_rotation_never_overwrites_a_version_written_meanwhile(vault_store: VaultStore) -> None:
    """Between reading a credential and writing its rotation, someone stores a new password:
    check-and-set makes the rotation fail for that one instead of overwriting it."""
    put(vault_store, "raced")
    put(vault_store, "calm")

    def password(ref: str) -> str:
        if ref == "raced":  # another writer, after govern's read
            put(vault_store, "raced", Secret(username="vault-user", password="typed-by-hand"))
        return f"generated-{ref}"

    with pytest.raises(StoreError) as caught:
        vault_store.rotate_many(
            ["raced", "calm"], password, rotated_by="revoker", reason="revoke jdoe"
        )
    assert caught.value.message == (
        f"'raced' got a new version in {vault_store.describe()} "
        "while govern was rotating it; nothing was overwritten"
    )
    assert vault_store.get("raced").password == "typed-by-hand"
    assert vault_store.metadata("raced").current_version == 2  # type: ignore[union-attr]


def test_rotation_of_a_deleted_current_version_reports_it_missing(
    vault_server: VaultServer, vault_store: VaultStore, vault_mount: str
) -> None:
    """No usable secret to keep the username of: reported (the revoke checklist then says to
    set a new one), not guessed."""
    put(vault_store)
    vault_server.api("POST", f"{vault_mount}/delete/accounts/acct-a", json={"versions": [1]})
    done = vault_store.rotate_many(
        ["acct-a"], lambda ref: "new-pw", rotated_by="revoker", reason="revoke jdoe"
    )
    assert [(r.status, r.version) for r in done] == [("missing", None)]


def test_list_many_with_bounded_concurrency(vault_store: VaultStore) -> None:
    refs = [f"acct-{i:03d}" for i in range(40)]
    for ref in refs:
        vault_store.put(
            ref,
            Secret(password=f"pw-{ref}"),
            meta={"platform": "x"},
            rotated_by="bulk",
            reason="load",
        )
    listed = vault_store.list()
    assert [m.ref for m in listed] == refs
    assert all(m.rotated_by == "bulk" and m.meta["platform"] == "x" for m in listed)


# -- outages ----------------------------------------------------------------------------------


def test_sealed_server_is_backend_unavailable(disposable_vault: VaultServer) -> None:
    store = VaultStore(disposable_vault.addr, mount="govern", env=disposable_vault.env())
    store.ensure_mount(create=True)
    put(store)
    disposable_vault.seal()
    for attempt in (
        store.list,
        lambda: store.get("acct-a"),
        lambda: store.metadata("acct-a"),
        lambda: put(VaultStore(disposable_vault.addr, env=disposable_vault.env())),
    ):
        with pytest.raises(BackendUnavailable) as info:
            attempt()
        assert info.value.exit_code == 3
        line = first_line(info.value)
        assert disposable_vault.addr in line and "sealed" in line
        assert disposable_vault.token not in info.value.diagnostics()


def test_stopped_server_is_backend_unavailable(disposable_vault: VaultServer) -> None:
    store = VaultStore(disposable_vault.addr, env=disposable_vault.env())
    store.ensure_mount(create=True)
    disposable_vault.stop()
    for attempt in (store.list, lambda: put(store)):
        with pytest.raises(BackendUnavailable) as info:
            attempt()
        assert info.value.exit_code == 3
        assert first_line(info.value) == (
            f"cannot reach Vault at {disposable_vault.addr}: connection refused"
        )
        assert "Traceback" not in info.value.diagnostics()
        assert info.value.__cause__ is None and info.value.__suppress_context__
