"""Where govern's Vault token comes from.

Unless GOVERN_VAULT_AUTH names one method, the first source present wins, in this order:

1. `VAULT_TOKEN`;
2. the token `govern login` saved in the OS keyring for this address;
3. AppRole: `VAULT_ROLE_ID` and `VAULT_SECRET_ID` (mount `VAULT_APPROLE_MOUNT`, default
   `approle`);
4. JWT/OIDC: role `GOVERN_VAULT_ROLE` at mount `GOVERN_VAULT_JWT_MOUNT` (default `jwt`), the
   JWT from `GOVERN_VAULT_JWT` or, inside GitHub Actions, requested from
   `ACTIONS_ID_TOKEN_REQUEST_URL` with `ACTIONS_ID_TOKEN_REQUEST_TOKEN` for the audience
   `GOVERN_VAULT_JWT_AUDIENCE`;
5. Kubernetes: role `GOVERN_VAULT_ROLE` at mount `GOVERN_VAULT_K8S_MOUNT` (default
   `kubernetes`), the service account token from `GOVERN_VAULT_K8S_TOKEN_PATH` (default
   /var/run/secrets/kubernetes.io/serviceaccount/token).

GOVERN_VAULT_AUTH is one of `token` (1 and 2), `approle`, `jwt`, `kubernetes`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from govern.backends.keyring import keyring_get
from govern.backends.vault.client import Rejected
from govern.errors import BackendUnavailable, StoreError, UsageError

if TYPE_CHECKING:
    from govern.backends.vault.client import VaultClient

KEYRING_SERVICE = "govern"
METHODS = ("token", "approle", "jwt", "kubernetes")
K8S_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token"


class _Missing(Exception):
    """This source is not configured: `why`, for the message if no source is."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _get(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _token(client: VaultClient) -> str:
    token = _get(client.env, "VAULT_TOKEN")
    if token:
        return token
    saved, why = keyring_get(KEYRING_SERVICE, client.addr)
    if saved:
        return saved
    raise _Missing(f"VAULT_TOKEN is not set; keyring: {why}")


def _approle(client: VaultClient) -> str:
    role_id, secret_id = _get(client.env, "VAULT_ROLE_ID"), _get(client.env, "VAULT_SECRET_ID")
    if not (role_id and secret_id):
        raise _Missing("VAULT_ROLE_ID/VAULT_SECRET_ID are not set")
    mount = (_get(client.env, "VAULT_APPROLE_MOUNT") or "approle").strip("/")
    return _login(
        client,
        "AppRole",
        f"auth/{mount}/login",
        lambda h: h.auth.approle.login(role_id, secret_id, use_token=False, mount_point=mount),
    )


def github_actions_jwt(env: Mapping[str, str], *, timeout: float = 15) -> str:
    """The OIDC token GitHub Actions issues to this job (`permissions: id-token: write`)."""
    url, bearer = (
        _get(env, "ACTIONS_ID_TOKEN_REQUEST_URL"),
        _get(env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    )
    audience = _get(env, "GOVERN_VAULT_JWT_AUDIENCE")
    where = urlsplit(url).netloc or "the GitHub Actions token endpoint"
    try:
        answer = requests.get(
            url,
            params={"audience": audience} if audience else None,
            headers={"Authorization": f"bearer {bearer}", "Accept": "application/json"},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise BackendUnavailable(
            f"cannot get the GitHub Actions OIDC token from {where} ({type(exc).__name__})"
        ) from None
    if answer.status_code != 200:
        raise BackendUnavailable(
            f"{where} refused the GitHub Actions OIDC token request (HTTP {answer.status_code})",
            hint="the job needs `permissions: id-token: write`",
        )
    try:
        value = answer.json()["value"]
    except (ValueError, KeyError, TypeError):
        value = None
    if not isinstance(value, str) or not value:
        raise BackendUnavailable(f'{where} sent no OIDC token (no "value" in its answer)')
    return value


def _role(client: VaultClient, method: str) -> str:
    role = _get(client.env, "GOVERN_VAULT_ROLE")
    if not role:
        raise _Missing(f"GOVERN_VAULT_ROLE is not set (the {method} role)")
    return role


def _jwt(client: VaultClient) -> str:
    env = client.env
    role = _role(client, "JWT")
    jwt = _get(env, "GOVERN_VAULT_JWT")
    if not jwt:
        if not (
            _get(env, "ACTIONS_ID_TOKEN_REQUEST_URL")
            and _get(env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        ):
            raise _Missing(
                "neither GOVERN_VAULT_JWT nor ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN "
                "(GitHub Actions with `permissions: id-token: write`) is set"
            )
        jwt = github_actions_jwt(env)
    return _role_login(client, "JWT", role, jwt)


def _kubernetes(client: VaultClient) -> str:
    env = client.env
    role = _role(client, "Kubernetes")
    path = Path(_get(env, "GOVERN_VAULT_K8S_TOKEN_PATH") or K8S_TOKEN_PATH)
    try:
        jwt = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise _Missing(
            f"cannot read the service account token {path} ({exc.strerror or type(exc).__name__})"
        ) from None
    return _role_login(client, "Kubernetes", role, jwt)


def _role_login(client: VaultClient, method: str, role: str, jwt: str) -> str:
    """Log in with a JWT for `role` on the JWT or Kubernetes auth mount."""
    variable, default = (
        ("GOVERN_VAULT_JWT_MOUNT", "jwt")
        if method == "JWT"
        else ("GOVERN_VAULT_K8S_MOUNT", "kubernetes")
    )
    mount = (_get(client.env, variable) or default).strip("/")

    def work(h: Any) -> Any:
        if method == "JWT":
            return h.auth.jwt.jwt_login(role, jwt, use_token=False, path=mount)
        return h.auth.kubernetes.login(role, jwt, use_token=False, mount_point=mount)

    return _login(client, method, f"auth/{mount}/login", work)


def _login(client: VaultClient, method: str, path: str, work: Callable[[Any], Any]) -> str:
    try:
        body = (
            client.call(
                f"log in with {method} at",
                path,
                "update",
                work,
                authenticated=False,
                passthrough=(Rejected,),
            )
            or {}
        )
    except Rejected as exc:  # e.g. a claim the role does not accept
        raise BackendUnavailable(
            f"Vault at {client.addr} refused the {method} login at {path} (400: {exc.detail})"
        ) from None
    try:
        return str(body["auth"]["client_token"])
    except (KeyError, TypeError):
        raise BackendUnavailable(
            f"Vault at {client.addr}: {method} login at {path} returned no token"
        ) from None


_SOURCES: dict[str, Callable[[VaultClient], str]] = {
    "token": _token,
    "approle": _approle,
    "jwt": _jwt,
    "kubernetes": _kubernetes,
}


def login(client: VaultClient) -> str:
    """A token for `client`, from the sources above; StoreError when none is configured."""
    named = _get(client.env, "GOVERN_VAULT_AUTH").lower()
    if named and named not in METHODS:
        raise UsageError(f"GOVERN_VAULT_AUTH must be one of {', '.join(METHODS)} (got {named!r})")
    order = [named] if named else list(METHODS)
    why: list[str] = []
    for method in order:
        try:
            return _SOURCES[method](client)
        except _Missing as missing:
            why.append(missing.why)
    raise StoreError(
        f"no Vault token for {client.addr} ({'; '.join(why)})",
        hint="set VAULT_TOKEN, run `govern login`, set VAULT_ROLE_ID and VAULT_SECRET_ID "
        "(AppRole), or GOVERN_VAULT_AUTH=jwt|kubernetes with GOVERN_VAULT_ROLE",
    )


def check_token(client: VaultClient) -> None:
    """The token at hand is valid (auth/token/lookup-self)."""
    body = client.call(
        "look up the token at",
        "auth/token/lookup-self",
        "read",
        lambda h: h.auth.token.lookup_self(),
    )
    if not isinstance((body or {}).get("data"), dict):
        raise BackendUnavailable(f"Vault at {client.addr} did not describe the token")
