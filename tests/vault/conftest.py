"""Fixtures for access enforcement: a fresh OpenBao dev server per test (the identity store is
server-wide, so tests cannot share one), userpass logins, a credential mount, an inventory."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hvac
import pytest
import requests
from click.testing import CliRunner, Result

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/vaultserver.py, tests/vault_fixtures.py

import vault_fixtures  # noqa: E402
from vaultserver import VaultServer  # noqa: E402

from govern.cli.main import cli  # noqa: E402
from govern.credentials import Secret  # noqa: E402
from govern.credentials.vaultstore import VaultStore  # noqa: E402

disposable_vault = vault_fixtures.disposable_vault

VAULT_ENV = (
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
)
PASSWORD = "login-password-for-tests"

# alice holds x1 and (with a declared credential) fb; bob holds x2; head and it read every
# shared login of the parish; carol holds nothing that has a shared login.
INVENTORY = """\
version: 1
organization: {name: Test Diocese, domains: [diocese.test]}
people:
  - {id: head, name: Fr Head, email: head@diocese.test, level: A}
  - {id: it, name: IT Person, email: it@diocese.test, level: B}
  - {id: alice, name: Alice, email: alice@diocese.test, level: C}
  - {id: bob, name: Bob, email: bob@diocese.test, level: C}
  - {id: carol, name: Carol, email: carol@diocese.test, level: C}
entities:
  - {id: parish, name: St Test, head: head, it: [it]}
accounts:
  - id: x1
    entity: parish
    platform: x
    handle: "@one"
    access:
      - {person: head, role: admin}
      - {person: alice, role: admin}
    credential: {mfa: true}
  - id: x2
    entity: parish
    platform: x
    handle: "@two"
    access:
      - {person: head, role: admin}
      - {person: bob, role: admin}
    credential: {ref: x2-login, mfa: true}
  - id: fb
    entity: parish
    platform: facebook
    handle: sttest
    access:
      - {person: head, role: admin}
      - {person: alice, role: admin}
      - {person: carol, role: editor}
  - id: fb2
    entity: parish
    platform: facebook
    handle: sttest2
    access:
      - {person: head, role: admin}
      - {person: alice, role: editor}
    credential: {ref: fb2, mfa: true}
"""
SECRETS = ("x1", "x2-login", "fb2")


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VAULT_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@dataclass
class World:
    """A server with userpass logins and stored credentials, and an inventory file."""

    server: VaultServer
    inventory: Path
    tmp: Path

    def govern(self, *args: str, env: dict[str, str] | None = None) -> Result:
        run_env = {**self.server.env(), **(env or {})}
        return CliRunner().invoke(
            cli, [*args, "-i", str(self.inventory), "-p", str(self.tmp / "policies")], env=run_env
        )

    def apply(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return self.govern(
            "apply", "--yes", "--auth-mount", "userpass", "--alias-field", "id", *args, env=env
        )

    def plan(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return self.govern(
            "plan", "--auth-mount", "userpass", "--alias-field", "id", *args, env=env
        )

    def edit(self, old: str, new: str) -> None:
        text = self.inventory.read_text()
        assert old in text, old
        self.inventory.write_text(text.replace(old, new, 1))

    def login(self, user: str) -> str:
        client = hvac.Client(url=self.server.addr)
        return str(client.auth.userpass.login(user, PASSWORD)["auth"]["client_token"])

    def status(self, token: str, ref: str) -> int:
        return requests.get(
            f"{self.server.addr}/v1/govern/data/accounts/{ref}",
            headers={"X-Vault-Token": token},
            timeout=10,
        ).status_code

    def readable(self, token: str) -> set[str]:
        codes = {ref: self.status(token, ref) for ref in SECRETS}
        assert set(codes.values()) <= {200, 403}, codes
        return {ref for ref, code in codes.items() if code == 200}

    def entity_id(self, person: str) -> str:
        body = self.server.api("GET", f"identity/entity/name/govern-person-{person}").json()
        return str(body["data"]["id"])

    def group(self, account: str) -> dict[str, object]:
        body = self.server.api("GET", f"identity/group/name/govern-account-{account}").json()
        data: dict[str, object] = body["data"]
        return data


@pytest.fixture
def world(disposable_vault: VaultServer, tmp_path: Path) -> Iterator[World]:
    server = disposable_vault
    server.api("POST", "sys/auth/userpass", json={"type": "userpass"})
    for user in ("alice", "bob", "carol", "head", "it"):
        server.api("POST", f"auth/userpass/users/{user}", json={"password": PASSWORD})
    store = VaultStore(server.addr, mount="govern", env=server.env())
    store.ensure_mount(create=True)
    for ref in SECRETS:
        store.put(
            ref,
            Secret(username=f"{ref}-user", password=f"pw-{ref}"),
            meta={},
            rotated_by="tester",
            reason="test setup",
        )
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(textwrap.dedent(INVENTORY))
    (tmp_path / "policies").mkdir()
    yield World(server=server, inventory=inventory, tmp=tmp_path)
