"""The HTTP transport to a Vault/OpenBao server, on the standard library's `http.client`.

Why not hvac/requests or urllib3: with the server on the same machine, govern's batches
(rotating 500 logins, 500 group memberships) were bound by the client's own CPU per request,
under the GIL. 1,000 requests over 8 threads (benchmarks/bench_transport.py, median of 3):
requests (hvac's transport) 1.24 s wall and 1.14 s of client CPU, urllib3 0.52 s / 0.42 s, a
keep-alive `http.client` connection per thread 0.38 s / 0.27 s (benchmarks/README.md, "Vault
transport"). govern used nothing of hvac but its transport and its exception names, so
the transport is this module, and the exceptions below keep hvac's distinctions.

What a client library would otherwise give, kept here and tested (tests/credentials/
test_transport.py): keep-alive connections per thread, with a connection the server closed
while idle detected before it is reused; redirects followed (a standby node answers 307 with
the active node's address; the method, body and token are kept); no retries of a request
that may have reached the server (a write is never sent twice); timeouts; TLS verified
against `VAULT_CACERT` (a file or a directory) or the system's trust store, as the Vault CLI
does; the standard proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; CONNECT tunnels for
https).
"""

from __future__ import annotations

import base64
import http.client
import json as jsonlib
import os
import select
import socket
import ssl
import threading
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlencode, urljoin, urlsplit

MAX_REDIRECTS = 5


class TransportError(Exception):
    """The server could not be reached or did not answer in HTTP; `reason` is one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class VaultHTTPError(Exception):
    """An HTTP error status from Vault, with its `errors` list and parsed JSON body."""

    def __init__(self, status: int, errors: list[str], body: Any) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.errors = errors
        self.json = body


class InvalidRequest(VaultHTTPError):
    """400."""


class Forbidden(VaultHTTPError):
    """401 or 403: a missing, invalid or insufficient token."""


class InvalidPath(VaultHTTPError):
    """404: nothing there (or no such mount)."""


class RateLimited(VaultHTTPError):
    """429."""


class NotInitialized(VaultHTTPError):
    """501."""


class Unavailable(VaultHTTPError):
    """503: sealed, or a standby that cannot serve."""


_BY_STATUS: dict[int, type[VaultHTTPError]] = {
    400: InvalidRequest, 401: Forbidden, 403: Forbidden, 404: InvalidPath,
    429: RateLimited, 501: NotInitialized, 503: Unavailable,
}


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    if isinstance(verify, str):
        if os.path.isdir(verify):
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    return ssl.create_default_context()


def _proxy_for(scheme: str, host: str) -> str | None:
    """The proxy the standard environment variables name for this server, if any."""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


class _Target:
    """Where requests for one origin go: a direct connection, through an HTTP proxy, or
    through a CONNECT tunnel."""

    def __init__(self, origin: str, timeout: float, tls: ssl.SSLContext | None) -> None:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(f"not an http(s) address: {origin}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.timeout = timeout
        self.tls = tls
        self.proxy = _proxy_for(self.scheme, self.host)
        self.proxy_headers: dict[str, str] = {}
        if self.proxy:
            proxy = urlsplit(self.proxy)
            if proxy.username:
                pair = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
                self.proxy_headers["Proxy-Authorization"] = (
                    "Basic " + base64.b64encode(pair.encode()).decode())
            self.proxy_host, self.proxy_port = proxy.hostname or "", proxy.port or 80

    def connect(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            if self.proxy:
                conn = http.client.HTTPSConnection(self.proxy_host, self.proxy_port,
                                                   timeout=self.timeout, context=self.tls)
                conn.set_tunnel(self.host, self.port, headers=self.proxy_headers)
                return conn
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                               context=self.tls)
        if self.proxy:
            return http.client.HTTPConnection(self.proxy_host, self.proxy_port,
                                              timeout=self.timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request_target(self, path: str) -> tuple[str, dict[str, str]]:
        """The request line's target and extra headers: absolute form through an HTTP
        proxy, else the path."""
        if self.proxy and self.scheme == "http":
            return f"http://{self.host}:{self.port}{path}", self.proxy_headers
        return path, {}


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """An idle keep-alive connection the server has closed (readable at EOF), as urllib3
    checks before reusing one."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class Transport:
    """Requests to one server. Thread-safe: each thread keeps its own connections."""

    def __init__(self, addr: str, *, namespace: str | None, verify: bool | str,
                 timeout: float) -> None:
        self.addr = addr.rstrip("/")
        self._namespace = namespace
        self._verify = verify
        self._timeout = timeout
        self._tls: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def _target(self, origin: str) -> _Target:
        tls = None
        if origin.startswith("https://"):
            with self._lock:
                if self._tls is None:
                    self._tls = _tls_context(self._verify)
                tls = self._tls
        return _Target(origin, self._timeout, tls)

    def _connection(self, origin: str) -> tuple[_Target, http.client.HTTPConnection]:
        pool: dict[str, tuple[_Target, http.client.HTTPConnection]] | None = getattr(
            self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        found = pool.get(origin)
        if found is not None and _dropped(found[1]):
            found[1].close()
        if found is None:
            target = self._target(origin)
            found = pool[origin] = (target, target.connect())
        return found

    def _exchange(self, method: str, url: str, body: bytes | None,
                  headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        target, conn = self._connection(origin)
        where, extra = target.request_target(path)
        try:
            conn.request(method, where, body=body, headers={**headers, **extra})
            response = conn.getresponse()
            data = response.read()
        except BaseException as exc:
            conn.close()  # never reuse a connection in an unknown state
            if isinstance(exc, Exception):
                raise TransportError(_reason(exc)) from None
            raise
        if response.will_close:
            conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def send(self, method: str, path: str, *, token: str | None,
             json: Mapping[str, Any] | None = None,
             params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """One call to `/v1/<path>`: the JSON body on 2xx, None on 204. Raises
        `VaultHTTPError` (a subclass per status that callers tell apart) for an error
        status, `TransportError` when there is no HTTP answer, ValueError for a success
        that is not a JSON object."""
        while "//" in path:  # as hvac and the Vault CLI do
            path = path.replace("//", "/")
        url = f"{self.addr}/v1/{path.lstrip('/')}"
        if params:
            url += "?" + urlencode(params)
        headers = {"X-Vault-Request": "true", "Accept": "application/json"}
        if token:
            headers["X-Vault-Token"] = token
        if self._namespace:
            headers["X-Vault-Namespace"] = self._namespace
        body = None
        if json is not None:
            body = jsonlib.dumps(json).encode()
            headers["Content-Type"] = "application/json"
        for _ in range(MAX_REDIRECTS + 1):
            status, answer_headers, data = self._exchange(method, url, body, headers)
            if status in (301, 302, 303, 307, 308) and answer_headers.get("location"):
                url = urljoin(url, answer_headers["location"])
                if status in (301, 302, 303) and method != "GET":
                    method, body = "GET", None
                    headers.pop("Content-Type", None)
                continue
            return _result(status, data)
        raise TransportError("too many redirects")


def _result(status: int, data: bytes) -> dict[str, Any] | None:
    if status == 204:
        return None
    text = data.decode("utf-8", "replace")
    if 200 <= status < 300:
        found = jsonlib.loads(text) if text.strip() else {}
        if not isinstance(found, dict):
            raise ValueError("not a JSON object")
        return found
    try:
        parsed = jsonlib.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    errors = parsed.get("errors") if isinstance(parsed, dict) else None
    if not isinstance(errors, list):
        errors = []
    kind = _BY_STATUS.get(status, VaultHTTPError)
    raise kind(status, [str(e) for e in errors], parsed)


def _reason(exc: Exception) -> str:
    """One line on why there was no answer; never the request or a secret."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "TLS verification failed"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or type(exc).__name__})"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected)):
        return "the server closed the connection"
    if isinstance(exc, OSError) and "Tunnel connection failed" in str(exc):
        return "the proxy refused the connection"
    if isinstance(exc, OSError) and exc.errno is not None and "No route to host" in str(exc):
        return "no route to host"
    if isinstance(exc, http.client.HTTPException):
        return f"the answer was not HTTP ({type(exc).__name__})"
    return f"cannot connect ({type(exc).__name__})"
