"""Drift tests share the real OpenBao fixtures (tests/vault_fixtures.py) and keep the
developer's Vault and govern settings out."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/vault_fixtures.py

import vault_fixtures

disposable_vault = vault_fixtures.disposable_vault

ENVIRONMENT = (
    "VAULT_ADDR",
    "VAULT_TOKEN",
    "VAULT_NAMESPACE",
    "VAULT_CACERT",
    "VAULT_ROLE_ID",
    "VAULT_SECRET_ID",
    "BAO_ADDR",
    "BAO_TOKEN",
    "GOVERN_VAULT_AUTH_MOUNT",
    "GOVERN_VAULT_ALIAS_FIELD",
    "GOVERN_VAULT_MOUNT",
    "GOVERN_INVENTORY",
    "GOVERN_POLICIES",
    "GOVERN_STORE",
    "GOVERN_TODAY",
)


@pytest.fixture(autouse=True)
def no_outside_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
