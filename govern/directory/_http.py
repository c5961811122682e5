"""The HTTP client of the directory sources: one `requests` session, timeouts, bounded retries.

Its waiting and wording (Retry-After, backoff with full jitter, why a request got no answer)
are the platform connectors' (govern/connectors/http.py): one HTTP stack. It guarantees:

- every request has a timeout (5 s to connect, 30 s to read);
- 429 and 5xx are retried at most `attempts - 1` times, waiting what `Retry-After` says
  (seconds or an HTTP date, capped at 60 s) or an exponential backoff with full jitter;
- every failure becomes `DirectoryUnavailable` (exit 3) with one line naming the host and
  the reason (the API's own `error.message` when it sends one). Tokens travel in headers
  only and never appear in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from govern.connectors.http import backoff, retry_after_value, transport_reason
from govern.errors import BackendUnavailable

TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
ATTEMPTS = 4
MAX_WAIT = 60.0  # seconds: a longer Retry-After is a rate limit to report, not to sit out
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class DirectoryUnavailable(BackendUnavailable):
    """The directory could not be reached, refused the credentials or answered nonsense."""


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs share scheme and host: a bearer token goes nowhere else."""
    x, y = urlsplit(a), urlsplit(b)
    return (x.scheme, x.netloc) == (y.scheme, y.netloc)


class HttpClient:
    """GET/POST JSON against one API with the guarantees of this module."""

    def __init__(
        self,
        what: str,
        *,
        session: requests.Session | None = None,
        attempts: int = ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.what = what  # "Google Workspace directory", named in every error
        self.session = session or requests.Session()
        self.session.headers.setdefault("Accept", "application/json")
        self.attempts = attempts
        self._sleep = sleep

    def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        return self._request("GET", url, params=params, headers=headers)

    def post_form(self, url: str, form: Mapping[str, str]) -> dict[str, Any]:
        return self._request("POST", url, data=form)

    def _request(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        host = host_of(url)
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
            except requests.RequestException as exc:
                reason = transport_reason(exc)
                if attempt < self.attempts and not isinstance(exc, requests.exceptions.SSLError):
                    self._sleep(backoff(attempt))
                    continue
                raise DirectoryUnavailable(
                    f"{self.what} at {host} unreachable: {reason}",
                    hint="check the network and the API URL",
                ) from None
            if response.status_code in RETRY_STATUS and attempt < self.attempts:
                wait = retry_after_value(response.headers.get("Retry-After"))
                if wait is None or wait <= MAX_WAIT:
                    self._sleep(backoff(attempt) if wait is None else wait)
                    continue
            if response.status_code >= 400:
                raise DirectoryUnavailable(
                    f"{self.what} at {host} refused the request: {_http_reason(response)}",
                    hint=_hint_for(response.status_code),
                )
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise DirectoryUnavailable(
                    f"{self.what} at {host} answered with malformed JSON "
                    f"(HTTP {response.status_code})"
                )
            return body
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _http_reason(response: requests.Response) -> str:
    """`HTTP 403 (Forbidden): <the API's message>`. Google and Graph send
    {"error": {"code", "message"}}; OAuth token endpoints {"error", "error_description"}."""
    reason = f"HTTP {response.status_code}"
    if response.reason:
        reason += f" ({response.reason})"
    try:
        body = response.json()
    except ValueError:
        return reason
    message: object = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code, message = error.get("code"), error.get("message")
            if isinstance(code, str) and code:
                reason += f" {code}"
        elif isinstance(error, str):
            reason += f" {error}"
            message = body.get("error_description")
    if isinstance(message, str) and message.strip():
        reason += ": " + message.strip().splitlines()[0][:300]
    return reason


def _hint_for(status: int) -> str | None:
    if status == 401:
        return "the token is missing, expired or not valid for this API"
    if status == 403:
        return "the credentials lack the permission to read users (see docs/people-sync.md)"
    if status == 429:
        return "rate limited: run again later"
    if status >= 500:
        return "the service failed; run again later"
    return None
