"""The one connection to a Vault/OpenBao server: an `hvac.Client` on a pooled, redirect-safe
`requests` session (`session.VaultSession`), the token (`auth`), and the conversion of every
hvac and requests exception into govern's errors.

Nothing from hvac or requests leaves this module: an unreachable, sealed or refusing server is
`BackendUnavailable` (exit 3) with one line naming the address and why; a 404 (and, where a
caller asks for it, a 400 or 403) is `NotFound` / `Rejected` / `Refused`, which callers turn into
their own messages. No message contains a token or a secret.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import hvac
import hvac.exceptions as hv
import requests

from govern.backends.vault.address import vault_address
from govern.backends.vault.concurrency import LIST_CONCURRENCY
from govern.backends.vault.session import UnsafeRedirect, VaultSession
from govern.errors import BackendUnavailable, StoreError, UsageError

_WRAPPED = re.compile(r"\d+ errors? occurred:\s*\*\s*")


class VaultAnswer(Exception):
    """An error status a caller asked to handle itself: `detail` is Vault's message (one
    line), `body` the parsed JSON answer (or None)."""

    def __init__(self, detail: str, body: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.body = body


class NotFound(VaultAnswer):
    """404: nothing there (or no such mount)."""


class Rejected(VaultAnswer):
    """400: the request was refused as invalid (e.g. a check-and-set mismatch)."""


class Refused(VaultAnswer):
    """401/403, for the few calls where that means "not there" (a mount this token
    cannot see)."""


def _detail(exc: hv.VaultError, status: str) -> str:
    errors = exc.errors if isinstance(exc.errors, list) else []
    text = "; ".join(str(e) for e in errors if e) or status
    # One line: Vault wraps messages as "1 error occurred:\n\t* permission denied\n\n".
    text = " ".join(_WRAPPED.sub("", text).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _unreachable(exc: Exception) -> str:
    """One line on why there was no HTTP answer; never the request or a secret."""
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return (
            "TLS verification failed"
            if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text
            else "TLS error"
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "the proxy refused the connection"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if (
            "Name or service not known" in text
            or "getaddrinfo" in text
            or "nodename nor servname" in text
            or "NameResolution" in text
        ):
            return "unknown host"
        if "Connection refused" in text:
            return "connection refused"
        if "No route to host" in text:
            return "no route to host"
        if "RemoteDisconnected" in text or "reset" in text or "aborted" in text.lower():
            return "the server closed the connection"
        return "cannot connect"
    if isinstance(
        exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
    ):
        return "the answer was not HTTP"
    return f"cannot connect ({type(exc).__name__})"


class VaultClient:
    """One server and one token, shared by every thread of a command: the credential store
    (`govern.credentials.vaultstore`), enforcement (`govern.vault`), drift and offboarding
    all talk through it. `hvac` is the client; `call` runs one of its calls inside the error
    boundary, `request` is the same for a path hvac has no method for."""

    def __init__(
        self,
        addr: str,
        *,
        env: Mapping[str, str],
        token: str | None = None,
        concurrency: int = LIST_CONCURRENCY,
    ) -> None:
        self.addr = addr.rstrip("/")
        self.env = env
        self.namespace = env.get("VAULT_NAMESPACE") or None
        verify: bool | str = env.get("VAULT_CACERT") or True
        if isinstance(verify, str) and not os.path.exists(verify):
            # requests would raise a bare OSError on the first call (exit 70, "a bug")
            raise BackendUnavailable(
                f"cannot reach Vault at {self.addr}: the CA file {verify} (VAULT_CACERT) "
                "does not exist",
                hint="set VAULT_CACERT to the PEM file (or directory) of the CA that signed "
                "the server's certificate",
            )
        try:
            timeout = float(env.get("VAULT_CLIENT_TIMEOUT") or 15)
        except ValueError:
            raise UsageError("VAULT_CLIENT_TIMEOUT must be a number of seconds") from None
        self.session = VaultSession(self.addr, pool=concurrency, timeout=timeout)
        self.session.verify = verify
        self.hvac = hvac.Client(
            url=self.addr,
            verify=verify,
            timeout=timeout,
            namespace=self.namespace,
            session=self.session,
        )
        self._token = token
        if token:
            self.hvac.token = token
        self._token_lock = threading.Lock()

    def describe(self) -> str:
        return f"vault:{self.addr}" + (f" (namespace {self.namespace})" if self.namespace else "")

    def resolve_token(self) -> str:
        """The token: given, or from the sources `auth.login` tries (once; thread-safe)."""
        if self._token:
            return self._token
        from govern.backends.vault.auth import login

        with self._token_lock:
            if not self._token:
                self._token = login(self)
                self.hvac.token = self._token
            return self._token

    @contextmanager
    def boundary(
        self,
        action: str,
        path: str,
        capability: str,
        passthrough: tuple[type[VaultAnswer], ...] = (),
    ) -> Iterator[None]:
        """Convert hvac and requests exceptions. A 404 becomes `NotFound`; a 400 or 403
        becomes `Rejected` / `Refused` when in `passthrough`; everything else a GovernError."""
        where = f"Vault at {self.addr}"
        try:
            yield
        except hv.InvalidPath as exc:
            raise NotFound(_detail(exc, "HTTP 404"), exc.json) from None
        except hv.InvalidRequest as exc:
            if Rejected in passthrough:
                raise Rejected(_detail(exc, "HTTP 400"), exc.json) from None
            raise StoreError(
                f"{where} rejected the request to {action} {path} (400: {_detail(exc, 'HTTP 400')})"
            ) from None
        except (hv.Forbidden, hv.Unauthorized) as exc:
            if Refused in passthrough:
                raise Refused(_detail(exc, "HTTP 403"), exc.json) from None
            raise BackendUnavailable(
                f"{where} refused to {action} {path} ({_detail(exc, 'permission denied')}): "
                f"the token needs the {capability!r} capability on {path}",
                hint="or the token is invalid or expired: check VAULT_TOKEN / `govern login`",
            ) from None
        except hv.VaultDown as exc:
            text = _detail(exc, "HTTP 503")
            why = "is sealed" if "sealed" in text.lower() else "is unavailable"
            raise BackendUnavailable(
                f"{where} {why} (503: {text})", hint="unseal it or try another node"
            ) from None
        except hv.VaultNotInitialized:
            raise BackendUnavailable(f"{where} is not initialized (501)") from None
        except hv.RateLimitExceeded:
            raise BackendUnavailable(
                f"{where} rate-limited the request to {action} {path} (429)", hint="retry later"
            ) from None
        except hv.VaultError as exc:
            status = {hv.InternalServerError: "HTTP 500", hv.BadGateway: "HTTP 502"}.get(
                type(exc), "an unexpected HTTP status"
            )
            detail = _detail(exc, "")
            raise BackendUnavailable(
                f"{where} failed to {action} {path} ({status}" + (f": {detail})" if detail else ")")
            ) from None
        except UnsafeRedirect as exc:
            raise BackendUnavailable(
                f"{where}: {exc.reason}",
                hint="point VAULT_ADDR at the active node, or fix the cluster's api_addr",
            ) from None
        except (requests.exceptions.InvalidJSONError, ValueError):
            raise BackendUnavailable(
                f"{where} sent a response that is not JSON (to {action} {path})"
            ) from None
        except requests.RequestException as exc:
            raise BackendUnavailable(
                f"cannot reach {where}: {_unreachable(exc)}",
                hint="check VAULT_ADDR, the network, and that the server is running",
            ) from None

    def call(
        self,
        action: str,
        path: str,
        capability: str,
        work: Callable[[hvac.Client], Any],
        *,
        passthrough: tuple[type[VaultAnswer], ...] = (),
        authenticated: bool = True,
    ) -> dict[str, Any] | None:
        """`work(self.hvac)` inside the boundary: the JSON object answered, None for 204."""
        if authenticated:
            self.resolve_token()
        with self.boundary(action, path, capability, passthrough):
            return _json(work(self.hvac))

    def request(
        self,
        method: str,
        path: str,
        *,
        action: str,
        capability: str,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        passthrough: tuple[type[VaultAnswer], ...] = (),
    ) -> dict[str, Any] | None:
        """One call to `/v1/<path>` through hvac's adapter."""

        def send(client: hvac.Client) -> Any:
            kwargs: dict[str, Any] = {}
            if json is not None:
                kwargs["json"] = dict(json)
            if params:
                kwargs["params"] = dict(params)
            return client.adapter.request(method, f"/v1/{path}", **kwargs)

        return self.call(action, path, capability, send, passthrough=passthrough)

    # -- the verbs enforcement, drift and offboarding use --------------------------------------

    def list(self, path: str) -> dict[str, Any]:
        """LIST `path`: its `data` (keys, key_info), empty when nothing is there (404)."""
        try:
            body = self.request("LIST", path, action="list", capability="list")
        except NotFound:
            return {}
        data = (body or {}).get("data")
        return data if isinstance(data, dict) else {}

    def read(self, path: str) -> dict[str, Any] | None:
        """GET `path`: its `data`, None when it does not exist."""
        try:
            body = self.request("GET", path, action="read", capability="read")
        except NotFound:
            return None
        data = (body or {}).get("data")
        return data if isinstance(data, dict) else None

    def write(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        capability: str = "update",
        action: str = "write",
    ) -> dict[str, Any] | None:
        try:
            return self.request("POST", path, json=body, action=action, capability=capability)
        except NotFound:
            raise StoreError(f"Vault at {self.addr} has no endpoint {path} (404)") from None

    def delete(self, path: str) -> None:
        try:
            self.request("DELETE", path, action="delete", capability="delete")
        except NotFound:
            return  # already gone: the wanted outcome

    def check(self) -> None:
        """Reachable and unsealed (unauthenticated), and a token is at hand."""
        try:
            body = (
                self.call(
                    "read",
                    "sys/seal-status",
                    "read",
                    lambda client: client.sys.read_seal_status(),
                    authenticated=False,
                )
                or {}
            )
        except NotFound:
            body = {}
        if body.get("sealed") is not False:
            raise BackendUnavailable(
                f"Vault at {self.addr} is sealed", hint="unseal it or try another node"
            )
        self.resolve_token()

    def auth_accessor(self, mount: str) -> str:
        """The accessor of the auth method mounted at `mount` (e.g. userpass)."""
        found = self.read("sys/auth") or {}
        info = found.get(mount.strip("/") + "/")
        if not isinstance(info, dict) or not info.get("accessor"):
            raise StoreError(
                f"Vault at {self.addr} has no auth method at auth/{mount}",
                hint=f"enable it (`bao auth enable -path={mount} TYPE`) or fix "
                "--auth-mount / GOVERN_VAULT_AUTH_MOUNT",
            )
        return str(info["accessor"])


def _json(answer: Any) -> dict[str, Any] | None:
    """hvac's JSONAdapter answers a dict for a 200 with JSON, else the Response."""
    if isinstance(answer, dict):
        return answer
    if isinstance(answer, requests.Response):
        if answer.status_code == 204 or not answer.content.strip():
            return None
        found = answer.json()  # ValueError when not JSON: converted by the boundary
        if not isinstance(found, dict):
            raise ValueError("not a JSON object")
        return found
    if answer is None:
        return None
    raise ValueError("not a JSON object")


def connect(env: Mapping[str, str]) -> VaultClient:
    """A checked connection from VAULT_ADDR (the token from `auth.login`'s sources;
    VAULT_NAMESPACE, VAULT_CACERT). Raises BackendUnavailable (exit 3) naming the address and
    the reason."""
    client = VaultClient(vault_address(env), env=env)
    client.check()
    return client
