"""The `requests` session hvac talks through: pooled, and safe to redirect.

A Vault standby answers 307 with the active node's address. requests follows redirects and,
on a change of host, strips `Authorization`, but keeps every other header, among them
`X-Vault-Token`. This session follows a redirect only to the configured address itself or to
the node the cluster advertises as active (`sys/leader`'s `leader_address`), and only on the
configured scheme; any other redirect is refused before anything is sent, so the token never
goes over http when the address is https, nor to a host outside the cluster.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter


class UnsafeRedirect(Exception):
    """A redirect govern refuses to follow; `reason` is one line without secrets."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of `url`, the port made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


def _show(where: tuple[str, str, int]) -> str:
    return f"{where[0]}://{where[1]}:{where[2]}"


class VaultSession(requests.Session):
    """A session for one Vault address: `pool` connections kept alive per host, no retries
    of a request that may have reached the server, and the redirect rule above."""

    def __init__(self, addr: str, *, pool: int, timeout: float) -> None:
        super().__init__()
        self.addr = addr.rstrip("/")
        self._origin = origin(self.addr)
        self._timeout = timeout
        self._leader: tuple[str, str, int] | None = None
        self._lock = threading.Lock()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(pool, 1), max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def active_node(self, *, refresh: bool = False) -> tuple[str, str, int] | None:
        """The cluster's active node as `sys/leader` on the configured address advertises
        it (unauthenticated; a standby answers it itself), cached until `refresh`."""
        with self._lock:
            if self._leader is not None and not refresh:
                return self._leader
            # A plain session of its own, without a token and without redirects.
            with requests.Session() as probe:
                probe.verify, probe.proxies = self.verify, self.proxies
                try:
                    answer = probe.get(
                        f"{self.addr}/v1/sys/leader",
                        allow_redirects=False,
                        timeout=self._timeout,
                        headers={"X-Vault-Request": "true"},
                    )
                    body = answer.json() if answer.status_code == 200 else {}
                except (requests.RequestException, ValueError):
                    body = {}
            leader = body.get("leader_address") if isinstance(body, dict) else None
            self._leader = origin(leader) if isinstance(leader, str) and leader else None
            return self._leader

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
        target = origin(prepared_request.url or "")
        if target == self._origin:
            return
        if target[0] != self._origin[0]:
            raise UnsafeRedirect(
                f"refused a redirect from {self._origin[0]} to {_show(target)} (another scheme)"
            )
        if target not in (self.active_node(), self.active_node(refresh=True)):
            raise UnsafeRedirect(
                f"refused a redirect to {_show(target)}: not the active node "
                "the cluster advertises (sys/leader)"
            )
        # Allowed: same scheme, and the cluster's own active node: the token goes along.

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)
