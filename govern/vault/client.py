"""The connection govern.vault talks through: `govern.backends.vault.VaultClient` (hvac on a
pooled, redirect-safe session; every error converted there)."""

from __future__ import annotations

from govern.backends.vault import VaultClient, connect, vault_address

__all__ = ["VaultClient", "connect", "vault_address"]
