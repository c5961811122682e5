"""The connection govern.vault talks through: the credential store's `VaultConnection`
(token sources, thread-local clients, error conversion) plus the few verbs enforcement needs.

Every transport error is converted here or in `VaultConnection`; callers see `GovernError`s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govern.credentials.vaulthttp import InvalidPath
from govern.credentials.vaultstore import VaultConnection, vault_address
from govern.errors import BackendUnavailable, StoreError


class VaultClient(VaultConnection):
    """Identity and policy endpoints of one Vault/OpenBao server."""

    def list(self, path: str) -> dict[str, Any]:
        """LIST `path`: its `data` (keys, key_info), empty when nothing is there (404)."""
        try:
            body = self.request("LIST", path, action="list", capability="list")
        except InvalidPath:
            return {}
        data = (body or {}).get("data")
        return data if isinstance(data, dict) else {}

    def read(self, path: str) -> dict[str, Any] | None:
        """GET `path`: its `data`, None when it does not exist."""
        try:
            body = self.request("GET", path, action="read", capability="read")
        except InvalidPath:
            return None
        data = (body or {}).get("data")
        return data if isinstance(data, dict) else None

    def write(self, path: str, body: Mapping[str, Any], *, capability: str = "update",
              action: str = "write") -> dict[str, Any] | None:
        try:
            return self.request("POST", path, json=body, action=action, capability=capability)
        except InvalidPath:
            raise StoreError(f"Vault at {self.addr} has no endpoint {path} (404)") from None

    def delete(self, path: str) -> None:
        try:
            self.request("DELETE", path, action="delete", capability="delete")
        except InvalidPath:
            return  # already gone: the wanted outcome

    def check(self) -> None:
        """Reachable and unsealed (unauthenticated), and a token is at hand."""
        body = self.request("GET", "sys/seal-status", action="read", capability="read") or {}
        if body.get("sealed") is not False:
            raise BackendUnavailable(f"Vault at {self.addr} is sealed",
                                     hint="unseal it or try another node")

    def auth_accessor(self, mount: str) -> str:
        """The accessor of the auth method mounted at `mount` (e.g. userpass)."""
        found = self.read("sys/auth") or {}
        info = found.get(mount.strip("/") + "/")
        if not isinstance(info, dict) or not info.get("accessor"):
            raise StoreError(f"Vault at {self.addr} has no auth method at auth/{mount}",
                             hint=f"enable it (`bao auth enable -path={mount} TYPE`) or fix "
                                  "--auth-mount / GOVERN_VAULT_AUTH_MOUNT")
        return str(info["accessor"])


def connect(env: Mapping[str, str]) -> VaultClient:
    """A checked connection from VAULT_ADDR (+ VAULT_TOKEN, keyring or AppRole; VAULT_NAMESPACE,
    VAULT_CACERT). Raises BackendUnavailable (exit 3) naming the address and the reason."""
    client = VaultClient(vault_address(env), env=env)
    client.check()
    return client
