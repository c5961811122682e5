"""Fixtures for the credential stores: a real OpenBao dev server, fresh mounts, file stores,
and a keyring that is never the developer's own."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/vaultserver.py
sys.path.insert(0, str(HERE))  # filekeyring.py

import vault_fixtures  # noqa: E402
from filekeyring import FileKeyring  # noqa: E402
from vaultserver import VaultServer  # noqa: E402

from govern.credentials import CredentialStore  # noqa: E402
from govern.credentials.filestore import FileStore, ScryptParams  # noqa: E402
from govern.credentials.vaultstore import VaultStore  # noqa: E402

# The OpenBao dev-server fixtures, shared with tests/vault.
vault_server = vault_fixtures.vault_server
disposable_vault = vault_fixtures.disposable_vault

PASSPHRASE = "test passphrase, long enough"
FAST_KDF = ScryptParams(n=2**14)  # the lowest cost a file may declare; keeps tests quick
GOVERN_ENV = (
    "GOVERN_PASSPHRASE",
    "GOVERN_STORE",
    "GOVERN_ACTOR",
    "GOVERN_INVENTORY",
    "VAULT_ADDR",
    "VAULT_TOKEN",
    "VAULT_NAMESPACE",
    "VAULT_CACERT",
    "VAULT_ROLE_ID",
    "VAULT_SECRET_ID",
    "BAO_ADDR",
    "BAO_TOKEN",
    "GOVERN_VAULT_AUTH",
    "GOVERN_VAULT_ROLE",
    "GOVERN_VAULT_JWT",
    "GOVERN_VAULT_JWT_MOUNT",
    "GOVERN_VAULT_JWT_AUDIENCE",
    "GOVERN_VAULT_K8S_TOKEN_PATH",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GOVERN_VAULT_MOUNT",
)


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No store settings leak in from the developer's shell; no real OS keyring is touched
    (in this process or in subprocesses)."""
    for name in GOVERN_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("GOVERN_ACTOR", "tester")
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FileKeyring:
    """A working keyring (a JSON file), also for subprocesses via the environment."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("GOVERN_TEST_KEYRING", str(path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "filekeyring.FileKeyring")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    backend = FileKeyring(path)
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def vault_mount(vault_server: VaultServer) -> Iterator[str]:
    """A fresh KV v2 mount, removed afterwards."""
    mount = "t-" + secrets.token_hex(6)
    VaultStore(vault_server.addr, mount=mount, env=vault_server.env()).ensure_mount(create=True)
    yield mount
    vault_server.api("DELETE", f"sys/mounts/{mount}")


@pytest.fixture
def vault_store(vault_server: VaultServer, vault_mount: str) -> VaultStore:
    return VaultStore(vault_server.addr, mount=vault_mount, env=vault_server.env())


def make_file_store(path: Path, **kwargs: object) -> FileStore:
    env = {"GOVERN_PASSPHRASE": PASSPHRASE}
    FileStore.create(
        path, env=env, passphrase=PASSPHRASE, use_keyring=False, kdf=FAST_KDF, prompt=None
    )
    return FileStore(path, env=env, prompt=None, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def file_store(tmp_path: Path) -> FileStore:
    return make_file_store(tmp_path / "credentials.enc")


@pytest.fixture(params=["file", "vault"])
def store(request: pytest.FixtureRequest) -> CredentialStore:
    """Each contract test runs against both stores."""
    name = "file_store" if request.param == "file" else "vault_store"
    result: CredentialStore = request.getfixturevalue(name)
    return result
