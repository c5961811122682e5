"""The one home of govern's Vault/OpenBao connection: where the server is (`address`), how
govern authenticates (`auth`), the hvac client and its error boundary (`client`), its
redirect-safe pooled session (`session`) and how many requests are in flight (`concurrency`).

The credential store, access enforcement (`govern.vault`), drift and offboarding depend on
this package; it depends on none of them.
"""

from govern.backends.vault.address import check_mount, vault_address
from govern.backends.vault.auth import check_token
from govern.backends.vault.client import (
    NotFound,
    Refused,
    Rejected,
    VaultAnswer,
    VaultClient,
    connect,
)
from govern.backends.vault.concurrency import LIST_CONCURRENCY, parallel

__all__ = [
    "LIST_CONCURRENCY",
    "NotFound",
    "Refused",
    "Rejected",
    "VaultAnswer",
    "VaultClient",
    "check_mount",
    "check_token",
    "connect",
    "parallel",
    "vault_address",
]
