"""Pytest fixtures around the real OpenBao dev server (tests/vaultserver.py), shared by the
test packages that need Vault: `from vault_fixtures import vault_server, disposable_vault`
in a conftest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from vaultserver import VaultServer


@pytest.fixture(scope="session")
def vault_server() -> Iterator[VaultServer]:
    """The shared OpenBao dev server of the session (tests use fresh mounts on it)."""
    server = VaultServer.start()
    yield server
    server.stop()


@pytest.fixture
def disposable_vault() -> Iterator[VaultServer]:
    """A server of its own, for tests that seal or stop it."""
    server = VaultServer.start()
    yield server
    server.stop()
