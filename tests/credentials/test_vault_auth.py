"""How govern authenticates to Vault/OpenBao (govern.backends.vault.auth), against the real
OpenBao dev server: JWT/OIDC with a token from a local stand-in for the GitHub Actions token
endpoint (an RS256 JWT signed with a test key), Kubernetes-style JWT from a file, the order
of the sources, and a role that grants exactly one secret."""

from __future__ import annotations

import http.server
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import test_transport
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from test_transport import LocalServer, answer
from vaultserver import VaultServer

from govern.backends.vault import VaultClient
from govern.cli.main import cli
from govern.credentials import Secret
from govern.credentials.vaultstore import VaultStore
from govern.errors import BackendUnavailable, StoreError, UsageError

local_server = test_transport.local_server  # the fixture: local HTTP servers

REPOSITORY = "diocese/social-governance"
REF = "refs/heads/main"
AUDIENCE = "https://vault.diocese.test"
REQUEST_TOKEN = "gh-request-" + "x" * 16


class Signer:
    """The identity provider's key: signs JWTs like GitHub Actions' OIDC issuer does."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = (
            self.key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def token(self, audience: str, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": "https://token.actions.githubusercontent.com",
            "aud": audience,
            "sub": f"repo:{REPOSITORY}:ref:{REF}",
            "repository": REPOSITORY,
            "ref": REF,
            "iat": now,
            "nbf": now - 5,
            "exp": now + 300,
            **claims,
        }
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "test"})


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer()


@pytest.fixture
def jwt_vault(
    vault_server: VaultServer, vault_mount: str, signer: Signer
) -> Iterator[tuple[str, str]]:
    """A jwt auth mount trusting `signer`, and a role bound to REPOSITORY and REF whose
    policy reads one secret of `vault_mount`: (auth mount, role)."""
    auth_mount = "jwt-" + secrets.token_hex(4)
    policy = "ci-" + secrets.token_hex(4)
    vault_server.api("POST", f"sys/auth/{auth_mount}", json={"type": "jwt"})
    vault_server.api(
        "POST", f"auth/{auth_mount}/config", json={"jwt_validation_pubkeys": [signer.public_pem]}
    )
    vault_server.api(
        "PUT",
        f"sys/policies/acl/{policy}",
        json={
            "policy": (
                f'path "{vault_mount}/data/accounts/allowed" {{ capabilities = ["read"] }}\n'
                f'path "{vault_mount}/metadata/accounts/allowed" {{ capabilities = ["read"] }}\n'
            )
        },
    )
    vault_server.api(
        "POST",
        f"auth/{auth_mount}/role/govern-ci",
        json={
            "role_type": "jwt",
            "user_claim": "repository",
            "bound_audiences": [AUDIENCE],
            "bound_claims": {"repository": REPOSITORY, "ref": REF},
            "token_policies": [policy],
            "token_ttl": "10m",
        },
    )
    root = VaultStore(vault_server.addr, mount=vault_mount, env=vault_server.env())
    for ref in ("allowed", "other"):
        root.put(
            ref,
            Secret(username=ref, password=f"pw-of-{ref}"),
            meta={},
            rotated_by="setup",
            reason="setup",
        )
    yield auth_mount, "govern-ci"
    vault_server.api("DELETE", f"sys/auth/{auth_mount}")
    vault_server.api("DELETE", f"sys/policies/acl/{policy}")


def token_endpoint(
    signer: Signer, seen: list[dict[str, Any]], **claims: Any
) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    """GitHub Actions' ID token endpoint: GET with `Authorization: bearer <request token>`
    and `&audience=`, answers {"value": "<jwt>"}."""

    def handle(request: http.server.BaseHTTPRequestHandler) -> None:
        query = parse_qs(urlsplit(request.path).query)
        seen.append({"auth": request.headers.get("Authorization"), "query": query})
        if request.headers.get("Authorization") != f"bearer {REQUEST_TOKEN}":
            answer(401, {"message": "bad token"})(request)
        else:
            audience = query.get("audience", [""])[0]
            answer(200, {"count": 1, "value": signer.token(audience, **claims)})(request)

    return handle


def actions_env(
    vault_server: VaultServer, endpoint: LocalServer, auth_mount: str, role: str
) -> dict[str, str]:
    return {
        "VAULT_ADDR": vault_server.addr,
        "GOVERN_VAULT_AUTH": "jwt",
        "GOVERN_VAULT_ROLE": role,
        "GOVERN_VAULT_JWT_MOUNT": auth_mount,
        "GOVERN_VAULT_JWT_AUDIENCE": AUDIENCE,
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{endpoint.addr}/token?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
    }


def test_github_actions_oidc_reads_exactly_what_the_role_allows(
    vault_server: VaultServer,
    vault_mount: str,
    jwt_vault: tuple[str, str],
    signer: Signer,
    local_server: Callable[..., LocalServer],
) -> None:
    seen: list[dict[str, Any]] = []
    endpoint = local_server(token_endpoint(signer, seen))
    env = actions_env(vault_server, endpoint, *jwt_vault)
    store = VaultStore(vault_server.addr, mount=vault_mount, env=env)
    assert store.get("allowed") == Secret(username="allowed", password="pw-of-allowed")
    assert seen == [
        {
            "auth": f"bearer {REQUEST_TOKEN}",
            "query": {"api-version": ["2.0"], "audience": [AUDIENCE]},
        }
    ]
    with pytest.raises(BackendUnavailable) as refused:
        store.get("other")
    assert refused.value.message.startswith(
        f"Vault at {vault_server.addr} refused to read {vault_mount}/data/accounts/other"
    )
    with pytest.raises(BackendUnavailable):
        store.list()  # no list capability either
    assert len(seen) == 1  # one login per connection

    # The same through the CLI, from the outside: exit 0 for the allowed secret, 3 otherwise.
    runner = CliRunner()
    ok = runner.invoke(
        cli, ["creds", "show", "allowed", "--store", f"vault:{vault_mount}", "--reveal"], env=env
    )
    denied = runner.invoke(
        cli, ["creds", "show", "other", "--store", f"vault:{vault_mount}", "--reveal"], env=env
    )
    assert (ok.exit_code, denied.exit_code) == (0, 3), (ok.output, denied.output)
    assert "pw-of-allowed" in ok.output and "pw-of-other" not in denied.output


def test_a_jwt_for_another_repository_is_refused(
    vault_server: VaultServer,
    vault_mount: str,
    jwt_vault: tuple[str, str],
    signer: Signer,
    local_server: Callable[..., LocalServer],
) -> None:
    endpoint = local_server(token_endpoint(signer, [], repository="someone/fork"))
    env = actions_env(vault_server, endpoint, *jwt_vault)
    with pytest.raises(BackendUnavailable) as refused:
        VaultStore(vault_server.addr, mount=vault_mount, env=env).get("allowed")
    message = refused.value.message
    assert message.startswith(
        f"Vault at {vault_server.addr} refused the JWT login at auth/{jwt_vault[0]}/login"
    )
    assert "\n" not in message and REQUEST_TOKEN not in message


def test_a_jwt_signed_by_another_key_is_refused(
    vault_server: VaultServer, vault_mount: str, jwt_vault: tuple[str, str]
) -> None:
    forged = Signer().token(AUDIENCE)
    env = {
        "VAULT_ADDR": vault_server.addr,
        "GOVERN_VAULT_AUTH": "jwt",
        "GOVERN_VAULT_ROLE": jwt_vault[1],
        "GOVERN_VAULT_JWT_MOUNT": jwt_vault[0],
        "GOVERN_VAULT_JWT": forged,
    }
    with pytest.raises(BackendUnavailable) as refused:
        VaultStore(vault_server.addr, mount=vault_mount, env=env).get("allowed")
    assert forged not in refused.value.message


def test_a_jwt_given_directly_and_the_kubernetes_token_file(
    vault_server: VaultServer,
    vault_mount: str,
    jwt_vault: tuple[str, str],
    signer: Signer,
    tmp_path: Path,
) -> None:
    auth_mount, role = jwt_vault
    env = {
        "VAULT_ADDR": vault_server.addr,
        "GOVERN_VAULT_ROLE": role,
        "GOVERN_VAULT_JWT_MOUNT": auth_mount,
        "GOVERN_VAULT_JWT": signer.token(AUDIENCE),
    }
    # No VAULT_TOKEN, keyring entry or AppRole: the JWT is next in the order.
    assert (
        VaultStore(vault_server.addr, mount=vault_mount, env=env).get("allowed").password
        == "pw-of-allowed"
    )
    # Kubernetes auth logs in with the same body ({role, jwt}) at auth/<mount>/login; with no
    # Kubernetes API server here, a jwt mount stands in for it. What is proven: the token is
    # read from the service-account file and sent to the mount and role configured.
    token_file = tmp_path / "token"
    token_file.write_text(signer.token(AUDIENCE) + "\n")
    k8s = {
        "VAULT_ADDR": vault_server.addr,
        "GOVERN_VAULT_AUTH": "kubernetes",
        "GOVERN_VAULT_ROLE": role,
        "GOVERN_VAULT_K8S_TOKEN_PATH": str(token_file),
        "GOVERN_VAULT_K8S_MOUNT": auth_mount,
    }
    assert (
        VaultStore(vault_server.addr, mount=vault_mount, env=k8s).get("allowed").password
        == "pw-of-allowed"
    )
    token_file.unlink()
    with pytest.raises(StoreError) as missing:
        VaultStore(vault_server.addr, mount=vault_mount, env=k8s).get("allowed")
    assert f"cannot read the service account token {token_file}" in missing.value.message


def test_vault_token_comes_first_and_the_named_method_alone(
    vault_server: VaultServer, vault_mount: str, jwt_vault: tuple[str, str]
) -> None:
    env = {
        "VAULT_ADDR": vault_server.addr,
        "VAULT_TOKEN": vault_server.token,
        "GOVERN_VAULT_ROLE": jwt_vault[1],
        "GOVERN_VAULT_JWT": "not-a-jwt",
    }
    assert VaultClient(vault_server.addr, env=env).resolve_token() == vault_server.token
    with pytest.raises(StoreError) as missing:
        VaultClient(vault_server.addr, env={**env, "GOVERN_VAULT_AUTH": "approle"}).resolve_token()
    assert "VAULT_ROLE_ID/VAULT_SECRET_ID are not set" in missing.value.message
    with pytest.raises(UsageError):
        VaultClient(vault_server.addr, env={**env, "GOVERN_VAULT_AUTH": "ldap"}).resolve_token()
    nothing = {
        "VAULT_ADDR": vault_server.addr,
        "GOVERN_VAULT_AUTH": "jwt",
        "GOVERN_VAULT_ROLE": "r",
    }
    with pytest.raises(StoreError) as none:
        VaultClient(vault_server.addr, env=nothing).resolve_token()
    assert "ACTIONS_ID_TOKEN_REQUEST_URL" in none.value.message


def test_the_token_endpoint_refusing_is_one_line_exit_3(
    vault_server: VaultServer, signer: Signer, local_server: Callable[..., LocalServer]
) -> None:
    endpoint = local_server(token_endpoint(signer, []))
    env = actions_env(vault_server, endpoint, "jwt", "r")
    env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "wrong-request-token"
    with pytest.raises(BackendUnavailable) as refused:
        VaultClient(vault_server.addr, env=env).resolve_token()
    assert refused.value.exit_code == 3
    assert refused.value.message == (
        f"{urlsplit(endpoint.addr).netloc} refused the GitHub Actions OIDC token request (HTTP 401)"
    )
    assert "wrong-request-token" not in refused.value.message
