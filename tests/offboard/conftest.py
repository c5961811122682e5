"""An organization directory with an encrypted file store holding its shared logins."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govern.credentials import Secret
from govern.credentials.filestore import FileStore, ScryptParams
from tests.conftest import REPO
from tests.vault.conftest import disposable_vault, world  # noqa: F401 - Vault fixtures

PASSPHRASE = "offboarding test passphrase"
SHARED = {"chancery-x": "x", "st-mary-x": "x", "youth-threads": "threads"}


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VAULT_ADDR", "VAULT_TOKEN", "GOVERN_STORE", "GOVERN_INVENTORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOVERN_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("GOVERN_ACTOR", "offboarder")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example organization, with a fresh store, as the working directory."""
    shutil.copy(REPO / "inventory.yaml", tmp_path / "inventory.yaml")
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    store = FileStore.create(
        tmp_path / "credentials.enc",
        env={},
        passphrase=PASSPHRASE,
        use_keyring=False,
        kdf=ScryptParams(n=2**14),
    )
    for ref, platform in SHARED.items():
        store.put(
            ref,
            Secret(username=ref, password=f"old-password-of-{ref}", fields={}),
            meta={"account": ref, "platform": platform},
            rotated_by="setup",
            reason="initial",
        )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def open_store(org: Path) -> FileStore:
    return FileStore(org / "credentials.enc", env={"GOVERN_PASSPHRASE": PASSPHRASE})
