"""govern against a real OpenBao over TLS (`bao server -dev-tls` and the CA it generates, given
as VAULT_CACERT), inside an OpenBao namespace (VAULT_NAMESPACE; OpenBao has namespaces since
2.3): plan, apply and the credential store work there and leave the root namespace alone. A
missing, wrong or unreadable CA is exit 3 with one line naming the address, no traceback."""

from __future__ import annotations

import secrets
import textwrap
from collections.abc import Iterator
from pathlib import Path

import certifi
import hvac
import pytest
import requests
from click.testing import CliRunner, Result
from vaultserver import VaultServer

from govern.cli.main import cli
from tests.vault.conftest import INVENTORY, PASSWORD

# What govern creates, listed in the root namespace before and after working in another one.
ROOT_LISTINGS = ("identity/entity/id", "identity/group/id", "sys/policies/acl")


@pytest.fixture(scope="module")
def tls_vault() -> Iterator[VaultServer]:
    """One `-dev-tls` server for this module; each test works in a namespace of its own."""
    server = VaultServer.start(tls=True)
    yield server
    server.stop()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "inventory.yaml").write_text(textwrap.dedent(INVENTORY))
    (tmp_path / "policies").mkdir()
    return tmp_path


def govern(files: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        cli, [*args, "-i", str(files / "inventory.yaml")], env=env, input=stdin
    )


def enforce(files: Path, env: dict[str, str], command: str, *args: str) -> Result:
    return govern(
        files,
        env,
        command,
        *(["--yes"] if command == "apply" else []),
        "--auth-mount",
        "userpass",
        "--alias-field",
        "id",
        *args,
        "-p",
        str(files / "policies"),
    )


def root_state(server: VaultServer) -> dict[str, list[str]]:
    """The keys of each listing (none: the listing is empty, 404), mounts and auth methods."""
    state = {"mounts": sorted(server.api("GET", "sys/mounts").json()["data"])}
    state["auth"] = sorted(server.api("GET", "sys/auth").json()["data"])
    for path in ROOT_LISTINGS:
        answer = requests.request(
            "LIST",
            f"{server.addr}/v1/{path}",
            headers={"X-Vault-Token": server.token},
            timeout=10,
            verify=server.verify,
        )
        assert answer.status_code in (200, 404), answer.text
        state[path] = sorted(answer.json()["data"]["keys"]) if answer.status_code == 200 else []
    return state


def test_plan_apply_and_store_inside_a_namespace_leave_the_root_alone(
    tls_vault: VaultServer, files: Path
) -> None:
    namespace = "diocese-" + secrets.token_hex(3)
    tls_vault.api("POST", f"sys/namespaces/{namespace}")
    tls_vault.api("POST", "sys/auth/userpass", namespace=namespace, json={"type": "userpass"})
    for user in ("alice", "bob", "head"):
        tls_vault.api(
            "POST", f"auth/userpass/users/{user}", namespace=namespace, json={"password": PASSWORD}
        )
    before = root_state(tls_vault)
    env = tls_vault.env(VAULT_NAMESPACE=namespace)

    created = govern(files, env, "store", "init", "--store", "vault")
    assert created.exit_code == 0, created.output
    for account, password in (("x1", "pw-x1"), ("x2", "pw-x2")):
        stored = govern(
            files,
            env,
            "creds",
            "set",
            account,
            "--username",
            f"{account}-user",
            "--password-stdin",
            "--store",
            "vault",
            stdin=password,
        )
        assert stored.exit_code == 0, stored.output
    shown = govern(files, env, "creds", "show", "x2", "--reveal", "--store", "vault")
    assert shown.exit_code == 0, shown.output
    assert "pw-x2" in shown.output
    verified = govern(files, env, "store", "verify", "--store", "vault")
    assert verified.exit_code == 0, verified.output

    plan = enforce(files, env, "plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert f"Vault: vault:{tls_vault.addr} (namespace {namespace})" in plan.output
    applied = enforce(files, env, "apply")
    assert applied.exit_code == 0, applied.output
    assert enforce(files, env, "plan", "--detailed-exitcode").exit_code == 0

    # the objects are in the namespace, and a login there reads what the inventory grants
    group = tls_vault.api("GET", "identity/group/name/govern-account-x1", namespace=namespace)
    assert group.json()["data"]["metadata"]["account"] == "x1"
    client = hvac.Client(url=tls_vault.addr, verify=str(tls_vault.ca), namespace=namespace)
    alice = client.auth.userpass.login("alice", PASSWORD)["auth"]["client_token"]
    reader = hvac.Client(url=tls_vault.addr, verify=str(tls_vault.ca), namespace=namespace)
    reader.token = alice
    login = reader.secrets.kv.v2.read_secret_version(
        "accounts/x1", mount_point="govern", raise_on_deleted_version=True
    )
    assert login["data"]["data"]["password"] == "pw-x1"
    with pytest.raises(hvac.exceptions.Forbidden):
        reader.secrets.kv.v2.read_secret_version(
            "accounts/x2-login", mount_point="govern", raise_on_deleted_version=True
        )

    # the root namespace: no mount, no entity, group or policy of govern's
    assert root_state(tls_vault) == before
    assert "govern/" not in before["mounts"] and "userpass/" not in before["auth"]
    assert not [p for p in before["sys/policies/acl"] if p.startswith("govern-")]
    in_root = govern(files, tls_vault.env(), "creds", "list", "--store", "vault")
    assert in_root.exit_code == 2, in_root.output
    assert f"Vault at {tls_vault.addr} has no secrets engine at govern/" in in_root.output


def test_tls_with_the_generated_ca_plans_in_the_root_namespace(
    tls_vault: VaultServer, files: Path
) -> None:
    result = govern(files, tls_vault.env(), "plan", "-p", str(files / "policies"))
    assert result.exit_code == 0, result.output
    assert f"Vault: vault:{tls_vault.addr}\n" in result.output
    assert "+ create  policy     govern-account-x1" in result.output


def _one_line_exit_3(result: Result, addr: str, why: str) -> None:
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert lines[0] == f"error: cannot reach Vault at {addr}: {why}"
    assert all(line.startswith("hint: ") for line in lines[1:]), lines


@pytest.mark.parametrize("ca", ["missing", "other"])
@pytest.mark.parametrize(
    "command",
    [
        ("plan",),
        ("apply", "--yes"),
        ("creds", "list", "--store", "vault"),
        ("store", "verify", "--store", "vault"),
    ],
)
def test_a_missing_or_wrong_ca_is_exit_3_naming_the_address(
    tls_vault: VaultServer, files: Path, ca: str, command: tuple[str, ...]
) -> None:
    env = {"VAULT_ADDR": tls_vault.addr, "VAULT_TOKEN": tls_vault.token}
    if ca == "other":
        env["VAULT_CACERT"] = certifi.where()  # public CAs, none of which signed the server's
    args = (*command, "-p", str(files / "policies")) if command[0] in ("plan", "apply") else command
    result = govern(files, env, *args)
    _one_line_exit_3(result, tls_vault.addr, "TLS verification failed")
    assert tls_vault.token not in result.output


@pytest.mark.parametrize("command", [("plan",), ("creds", "list", "--store", "vault")])
def test_a_ca_file_that_does_not_exist_is_named(
    tls_vault: VaultServer, files: Path, command: tuple[str, ...]
) -> None:
    # requests raised a bare OSError here: "internal error: OSError ... a bug" (exit 70)
    missing = files / "no-such-ca.pem"
    args = (*command, "-p", str(files / "policies")) if command == ("plan",) else command
    result = govern(files, tls_vault.env(VAULT_CACERT=str(missing)), *args)
    why = f"the CA file {missing} (VAULT_CACERT) does not exist"
    _one_line_exit_3(result, tls_vault.addr, why)


def test_a_ca_file_that_is_not_a_certificate_is_a_tls_error(
    tls_vault: VaultServer, files: Path
) -> None:
    garbage = files / "ca.pem"
    garbage.write_text("not a certificate\n")
    result = govern(
        files, tls_vault.env(VAULT_CACERT=str(garbage)), "plan", "-p", str(files / "policies")
    )
    _one_line_exit_3(result, tls_vault.addr, "TLS error")
