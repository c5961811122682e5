"""The HTTP transport to a Vault/OpenBao server: one thread-safe urllib3 connection pool.

hvac's adapters send every request through `requests` (a Session per thread), whose Python
overhead per call made govern client-bound: with the server on the same machine, 8 threads
through requests were no faster than one. urllib3 (the library under requests) serves the
same keep-alive pool to every thread at about half the CPU per request
(benchmarks/README.md, "Vault transport"). What hvac contributes stays: its exception
taxonomy, raised from the status code exactly as hvac's own adapters do
(`hvac.utils.raise_for_error`), so callers handle `hvac.exceptions.*` as before.

Behaviour kept from requests: redirects followed (a standby node answers 307 to the active
one), no retries (a write is never sent twice), `VAULT_CACERT` (a file or a directory, else
certifi's bundle), and the standard proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
"""

from __future__ import annotations

import json as jsonlib
import os
import threading
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import hvac.utils
import urllib3
import urllib3.exceptions

# Enough connections for the bounded concurrency govern uses (8 workers) plus the main thread.
POOL_SIZE = 10
_RETRIES = urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=5,
                         raise_on_redirect=True, raise_on_status=False)


def _ca_options(verify: bool | str) -> dict[str, Any]:
    if isinstance(verify, str):
        key = "ca_cert_dir" if os.path.isdir(verify) else "ca_certs"
        return {"cert_reqs": "CERT_REQUIRED", key: verify}
    try:
        import certifi  # requests' bundle, so TLS trusts what it trusted before
    except ImportError:  # pragma: no cover - certifi comes with requests (hvac's dependency)
        return {"cert_reqs": "CERT_REQUIRED"}
    return {"cert_reqs": "CERT_REQUIRED", "ca_certs": certifi.where()}


def _proxy_for(addr: str) -> str | None:
    """The proxy the standard environment variables name for `addr`, as requests chooses."""
    parts = urlsplit(addr)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy


class Transport:
    """Requests to one server. Thread-safe: every thread shares the pool."""

    def __init__(self, addr: str, *, namespace: str | None, verify: bool | str,
                 timeout: float) -> None:
        self.addr = addr.rstrip("/")
        self._namespace = namespace
        self._options: dict[str, Any] = {
            "num_pools": 2, "maxsize": POOL_SIZE, "block": False, "retries": _RETRIES,
            "timeout": urllib3.Timeout(connect=timeout, read=timeout),
            **(_ca_options(verify) if addr.startswith("https://") else {}),
        }
        self._pool: urllib3.PoolManager | None = None
        self._lock = threading.Lock()

    def _manager(self) -> urllib3.PoolManager:
        with self._lock:
            if self._pool is None:
                proxy = _proxy_for(self.addr)
                self._pool = (urllib3.ProxyManager(proxy, **self._options) if proxy
                              else urllib3.PoolManager(**self._options))
            return self._pool

    def send(self, method: str, path: str, *, token: str | None,
             json: Mapping[str, Any] | None = None,
             params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """One call to `/v1/<path>`: the JSON body on 200, None on 204. Errors: hvac's
        exception for the status (as hvac raises it), urllib3's for the connection,
        ValueError for a 200 that is not JSON."""
        while "//" in path:  # as hvac and the Vault CLI do
            path = path.replace("//", "/")
        url = f"{self.addr}/v1/{path.lstrip('/')}"
        if params:
            url += "?" + urlencode(params)
        headers = {"X-Vault-Request": "true"}
        if token:
            headers["X-Vault-Token"] = token
        if self._namespace:
            headers["X-Vault-Namespace"] = self._namespace
        body = None
        if json is not None:
            body = jsonlib.dumps(json).encode()
            headers["Content-Type"] = "application/json"
        response = self._manager().request(method, url, body=body, headers=headers)
        status = response.status
        if status == 204:
            return None
        text = response.data.decode("utf-8", "replace")
        if status < 400:
            found = jsonlib.loads(text) if text.strip() else {}
            if not isinstance(found, dict):
                raise ValueError("not a JSON object")
            return found
        try:
            parsed = jsonlib.loads(text) if text.strip() else None
        except ValueError:
            parsed = None
        errors = parsed.get("errors") if isinstance(parsed, dict) else None
        hvac.utils.raise_for_error(method, url, status, errors=errors, text=text, json=parsed)
        raise AssertionError("unreachable")  # pragma: no cover - raise_for_error always raises


def connection_reason(exc: urllib3.exceptions.HTTPError) -> str:
    """One line on why the server could not be reached; never the request or a secret."""
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        exc = exc.reason  # type: ignore[assignment]
    if isinstance(exc, urllib3.exceptions.SSLError):
        return "TLS verification failed"
    # NewConnectionError subclasses ConnectTimeoutError (urllib3 keeps it for compatibility).
    if isinstance(exc, urllib3.exceptions.TimeoutError) and not isinstance(
            exc, urllib3.exceptions.NewConnectionError):
        return "timed out"
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return "unknown host"
    if isinstance(exc, urllib3.exceptions.ProxyError):
        return "the proxy refused the connection"
    text = str(exc)
    for needle, reason in (("Connection refused", "connection refused"),
                           ("Name or service not known", "unknown host"),
                           ("nodename nor servname", "unknown host"),
                           ("Temporary failure in name resolution", "unknown host"),
                           ("No route to host", "no route to host"),
                           ("Connection reset", "connection reset"),
                           ("Remote end closed", "the server closed the connection"),
                           ("Connection aborted", "the server closed the connection"),
                           ("too many redirects", "too many redirects")):
        if needle in text:
            return reason
    return f"cannot connect ({type(exc).__name__})"
