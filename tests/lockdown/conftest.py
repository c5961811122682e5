"""The real OpenBao dev server fixtures, shared with the Vault tests."""

from tests.vault.conftest import disposable_vault, world  # noqa: F401 - Vault fixtures
