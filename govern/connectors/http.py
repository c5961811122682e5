"""The one HTTP client of the platform connectors: a pooled `requests` session with timeouts,
rate-limit handling and bounded retries, and errors that never carry the token.

    api = Api("https://api.github.com", title="GitHub", headers={"Authorization": "Bearer ..."},
              throttle=github_throttle)
    response = api.get("/orgs/acme/members", params={"role": "admin"})
    for page in api.pages("/orgs/acme/members", next_url=link_next): ...

Reads are retried (at most `retries` times, exponential backoff with jitter, or the wait the
platform asks for: `Retry-After`, GitHub's `x-ratelimit-reset`) on connection errors, 429, 5xx
and whatever the platform's `throttle` hook calls throttling. Writes (`delete`, `post`) are
sent once: the caller re-reads the state before trying again. A URL the server hands back
for paging is followed only on the same origin as the API root, so the token never leaves it.

Rate limits are met for the whole platform, not per thread: a throttled answer closes a gate
that every thread of this `Api` waits at before its next request (for the wait the platform
named, else a backoff that grows while the platform keeps refusing and resets on the first
success), and the `pace` hook closes it before the limit is hit (GitHub's
`x-ratelimit-remaining: 0` until `x-ratelimit-reset`). An answer refused for a request sent
before the gate closed is the same throttling seen again: it waits at the gate without
spending that request's retries.

The session reads proxies and the CA bundle from the environment once (`HTTPS_PROXY`,
`NO_PROXY`, `REQUESTS_CA_BUNDLE`, as requests does per request), never `~/.netrc`: its
credentials would replace the token, and looking for it on every request costs more than
the rest of the client's work.
"""

from __future__ import annotations

import email.utils
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from govern.connectors import ConnectorUnavailable

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
DEFAULT_RETRIES = 4
MAX_WAIT = 60.0  # never sleep longer than this for one retry; beyond it, give up (exit 3)

# A platform hook: (response, parsed body or None) -> seconds to wait before retrying, or
# None when the response is not throttling, or BACKOFF: throttling, with no wait given
# (then `Retry-After` or the usual exponential backoff applies).
Throttle = Callable[[requests.Response, Any], "float | None"]
BACKOFF = -1.0

# A platform hook for error statuses (>= 400, except 404 which the caller reads): the
# exception the platform's error body means (e.g. Meta answers HTTP 400 with code 190 for a
# refused token, code 100 for an object that does not exist), or None for the generic
# status mapping of `Api.error`.
Classify = Callable[[requests.Response, Any], "Exception | None"]

# A platform hook on every answer: seconds to hold all requests because the platform's budget
# is spent (GitHub's `x-ratelimit-remaining: 0`), or None.
Pace = Callable[[requests.Response], "float | None"]


class Api:
    """One platform's API root, with a session shared by the threads that read it."""

    def __init__(
        self,
        base_url: str,
        *,
        title: str,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        throttle: Throttle | None = None,
        describe_error: Callable[[Any], str | None] | None = None,
        classify: Classify | None = None,
        pace: Pace | None = None,
        concurrency: int = 8,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        max_wait: float = MAX_WAIT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.title = title
        self._origin = _origin(self.base_url)
        self._throttle = throttle
        self._describe_error = describe_error
        self._classify = classify
        self._pace = pace
        self._params = dict(params or {})
        self.timeout = timeout
        self.retries = retries
        self.max_wait = max_wait
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": "govern", **(headers or {})})
        self.session.trust_env = False
        self.session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            self.session.verify = bundle
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(concurrency, 1))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self._lock = threading.Lock()
        self.requests_sent = 0
        self.throttled = 0  # throttled answers, for benchmarks and reports
        # The platform-wide gate (time.monotonic()): no request leaves before `_resume_at`.
        self._resume_at = 0.0
        self._closed_at = float("-inf")  # when the gate was last closed by a refusal
        self._strikes = 0  # refusals since the last success, for the backoff without a hint

    # --- requests -------------------------------------------------------------------------

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            if _origin(path_or_url) != self._origin:
                raise ConnectorUnavailable(
                    f"{self.title}: the API pointed govern at another host "
                    f"({_origin(path_or_url)}); refused to send the token there",
                    kind="bad-response",
                )
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> requests.Response:
        """A read, retried on throttling and transient failures; raises on any other error
        status except 404, which the caller interprets."""
        return self.request("GET", path_or_url, params=params, retry=True)

    def delete(
        self, path_or_url: str, params: Mapping[str, Any] | None = None
    ) -> requests.Response:
        return self.request("DELETE", path_or_url, params=params, retry=False)

    def post(
        self, path_or_url: str, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> requests.Response:
        return self.request("POST", path_or_url, params=params, json=json, retry=False)

    def put(
        self, path_or_url: str, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> requests.Response:
        return self.request("PUT", path_or_url, params=params, json=json, retry=False)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry: bool,
    ) -> requests.Response:
        url = self.url(path_or_url)
        merged = {**self._params, **(params or {})} if not _has_query(url) else dict(params or {})
        attempt = 0
        while True:
            attempt += 1
            self._wait_at_gate()
            sent_at = time.monotonic()
            try:
                with self._lock:
                    self.requests_sent += 1
                response = self.session.request(
                    method, url, params=merged or None, json=json, timeout=self.timeout
                )
            except requests.RequestException as exc:
                if retry and attempt <= self.retries:
                    self._sleep(backoff(attempt))
                    continue
                raise ConnectorUnavailable(
                    f"{self.title}: cannot reach {self._origin}: {transport_reason(exc)}",
                    kind="unreachable",
                    hint="check the network, or the API URL (GOVERN_<PLATFORM>_API_URL)",
                ) from None
            body = _json_or_none(response)
            wait = self._throttle(response, body) if self._throttle is not None else None
            throttled = wait is not None or response.status_code == 429
            if throttled:
                wait = retry_after(response) if wait is None or wait < 0 else wait
                if sent_at < self._closed_at and (wait is None or wait <= self.max_wait):
                    attempt -= 1  # in flight when another refusal closed the gate: wait there
                    continue
                wait = self._close_gate(wait)
            elif response.status_code >= 500:
                wait = _wait(response, attempt)
                if not retry or attempt > self.retries:
                    raise self.error(response, body)
            else:
                self._strikes = 0
                hold = self._pace(response) if self._pace is not None else None
                if hold is not None and 0 < hold <= self.max_wait:
                    self._hold(hold)
            if wait is not None:
                if not retry or attempt > self.retries or wait > self.max_wait:
                    raise ConnectorUnavailable(
                        f"{self.title}: rate limited at {self._origin} "
                        f"(HTTP {response.status_code}"
                        + (f", retry in {wait:.0f} s" if wait > self.max_wait else "")
                        + ")",
                        kind="throttled",
                        hint="run again later, or lower --concurrency",
                    )
                if not throttled:
                    self._sleep(wait)  # throttled: the gate holds every thread, this one too
                continue
            if response.status_code >= 400 and response.status_code != 404:
                classified = self._classify(response, body) if self._classify is not None else None
                raise classified if classified is not None else self.error(response, body)
            return response

    def json(self, response: requests.Response) -> Any:
        """The body as JSON, or exit 3 naming the platform: a proxy's HTML error page or a
        truncated answer is not something to compare against."""
        body = _json_or_none(response)
        if body is None:
            raise ConnectorUnavailable(
                f"{self.title}: {self._origin} answered HTTP {response.status_code} with a body "
                "that is not JSON",
                kind="bad-response",
            )
        return body

    def get_json(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.json(self.get(path_or_url, params))

    def error(self, response: requests.Response, body: Any) -> ConnectorUnavailable:
        status = response.status_code
        detail = self._describe_error(body) if self._describe_error is not None else None
        said = f": {_clip(detail)}" if detail else ""
        path = urlsplit(response.url).path
        if status == 401:
            return ConnectorUnavailable(
                f"{self.title}: the token was refused (HTTP 401 at {self._origin}){said}",
                kind="refused",
                hint="renew the token (environment variable or `govern creds set connector-...`)",
            )
        if status == 403:
            return ConnectorUnavailable(
                f"{self.title}: the token lacks permission for {path} (HTTP 403){said}",
                kind="forbidden",
                hint="docs/connectors.md lists the scopes each platform needs",
            )
        return ConnectorUnavailable(
            f"{self.title}: {method_path(response)} failed with HTTP {status}{said}",
            kind="bad-response" if status < 500 else "unreachable",
        )

    def _sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def _wait_at_gate(self) -> None:
        while True:
            delay = self._resume_at - time.monotonic()
            if delay <= 0:
                return
            self._sleep(delay)

    def _close_gate(self, wait: float | None) -> float:
        """A fresh refusal: hold every thread for `wait` (the platform's hint), else for a
        backoff that grows with the refusals since the last success. Returns the wait."""
        with self._lock:
            self.throttled += 1
            self._strikes += 1
            if wait is None:
                wait = gate_backoff(self._strikes)
            now = time.monotonic()
            if wait <= self.max_wait:
                self._resume_at = max(self._resume_at, now + wait)
            self._closed_at = now
        return wait

    def _hold(self, seconds: float) -> None:
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def pages(
        self,
        path_or_url: str,
        params: Mapping[str, Any] | None,
        next_url: Callable[[requests.Response, Any], str | None],
    ) -> Iterator[tuple[requests.Response, Any]]:
        """Every page of a listing: (response, JSON body), following `next_url` until it
        returns None. A 404 ends the listing at once (the caller checks the status)."""
        url: str | None = path_or_url
        first = True
        seen: set[str] = set()
        while url is not None:
            response = self.get(url, params if first else None)
            first = False
            if response.status_code == 404:
                yield response, None
                return
            body = self.json(response)
            yield response, body
            url = next_url(response, body)
            if url is not None:
                if url in seen:  # a server that loops its paging links
                    raise ConnectorUnavailable(
                        f"{self.title}: paging at {self._origin} repeats a page",
                        kind="bad-response",
                    )
                seen.add(url)

    def close(self) -> None:
        self.session.close()


def link_next(response: requests.Response, _body: Any) -> str | None:
    """RFC 8288 `Link: <...>; rel="next"` paging (GitHub)."""
    link = response.links.get("next")
    return link.get("url") if link else None


def method_path(response: requests.Response) -> str:
    request = response.request
    return f"{request.method} {urlsplit(request.url or '').path}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _has_query(url: str) -> bool:
    return bool(urlsplit(url).query)


def _json_or_none(response: requests.Response) -> Any:
    """The body as JSON (None when it is not), parsed once per response: `request` reads it
    for the platform's hooks, the caller again for the data."""
    cached = response.__dict__.get("_govern_json", _UNPARSED)
    if cached is _UNPARSED:
        try:
            cached = response.json()
        except ValueError:
            cached = None
        response.__dict__["_govern_json"] = cached
    return cached


_UNPARSED = object()


def retry_after_value(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retry_after(response: requests.Response) -> float | None:
    return retry_after_value(response.headers.get("Retry-After"))


def _wait(response: requests.Response, attempt: int) -> float:
    """What the server asked for (`Retry-After: 0` included), else the backoff."""
    asked = retry_after(response)
    return asked if asked is not None else backoff(attempt)


def backoff(attempt: int) -> float:
    """0.5, 1, 2, 4 s ... with full jitter: threads that failed together retry apart."""
    return float(random.uniform(0, 0.5 * 2 ** (attempt - 1)))


def gate_backoff(strikes: int) -> float:
    """0.25, 0.5, 1, 2 s ... with half of it jittered: the whole platform waits, so the wait
    must cover a rate-limit window, while runs in parallel (shards) still retry apart."""
    base = 0.25 * 2.0 ** (min(strikes, 8) - 1)
    return base / 2 + float(random.uniform(0, base / 2))


def transport_reason(exc: requests.RequestException) -> str:
    """Why a request got no answer, in words (never the URL: it may carry a token)."""
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS verification failed"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.Timeout):
        return "timed out waiting for the answer"
    if isinstance(exc, requests.ConnectionError):
        return "connection refused or failed"
    return type(exc).__name__


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "BACKOFF",
    "Api",
    "Classify",
    "Pace",
    "Throttle",
    "backoff",
    "link_next",
    "method_path",
    "retry_after",
    "retry_after_value",
    "transport_reason",
]
