"""Meta (Facebook Pages, Instagram professional accounts): who holds each asset, read from the
Graph API's Business portfolio edges, and their removal.

    GET    /{asset-id}/assigned_users?business={business-id}&fields=id,name,tasks,...
    GET    /{business-id}/business_users?fields=id,name,email,role     (emails, once per run)
    DELETE /{asset-id}/assigned_users?user={user-id}&business={business-id}

`asset-id` is the account's `platform_id` (Facebook Page id, Instagram professional account
id); `business-id` is `organization.connectors.meta.business_id`. Holders are the business
and system users assigned to the asset, with the asset's tasks as roles (MANAGE,
CREATE_CONTENT, ... on Pages; CONTENT, MESSAGES, ... on Instagram) and the email
`business_users` gives for the same business-scoped id. Graph lists no per-asset invitations:
people invited to the portfolio but not yet accepted hold nothing on the asset yet.

The token travels in the `Authorization: Bearer` header, not in the query string, so the
paging links Graph hands back (`paging.next`) carry no token either. Only if the very first
answers refuse it (a Graph-compatible server that reads just the `access_token` parameter)
is it sent once more as that parameter, and so for the rest of the run.

Graph reports most errors as HTTP 400 with `{"error": {"code", "error_subcode", "message",
"type", "fbtrace_id"}}`; `classify` maps the codes: 190 (and 102, 104) a refused token, 10
and 200-299 a missing permission, 100 "does not exist" an asset that cannot be seen; 4, 17,
32, 613 and 80001-80014 are rate limits, retried after the `estimated_time_to_regain_access`
(minutes) that the `X-Business-Use-Case-Usage` or `X-App-Usage` header gives.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests

from govern.connectors import (
    META_GRAPH_VERSION,
    ConnectorUnavailable,
    Holder,
    Settings,
    Unverifiable,
)
from govern.connectors.http import BACKOFF, Api
from govern.inventory.model import Account

_T = TypeVar("_T")

#: the Graph API version govern is written against; GOVERN_META_API_URL includes it
GRAPH_VERSION = META_GRAPH_VERSION
DEFAULT_URL = f"https://graph.facebook.com/{GRAPH_VERSION}"

ASSIGNED_FIELDS = "id,name,tasks,permitted_tasks,user_type"
BUSINESS_USER_FIELDS = "id,name,email,role"

# Graph error codes (developers.facebook.com/docs/graph-api/guides/error-handling).
REFUSED_CODES = frozenset({102, 104, 190})  # session / token missing, invalid or expired
PERMISSION_CODES = frozenset({10, *range(200, 300)})
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
NOT_FOUND_CODE = 100
USAGE_HEADERS = ("X-Business-Use-Case-Usage", "X-App-Usage", "X-Page-Usage")
BUSINESS_ID_HINT = "set `organization.connectors.meta.business_id` (the Business portfolio id)"

_PLATFORM_TITLES = {"facebook": "Facebook Page", "instagram": "Instagram account"}


class GraphConnector:
    """Holders of Facebook Pages and Instagram accounts owned by one Business portfolio."""

    namespace = "meta"
    title = "Meta"

    def __init__(self, settings: Settings) -> None:
        meta = settings.connectors.meta
        business_id = (meta.business_id or "").strip() if meta is not None else ""
        self.business_id = business_id or None
        self._settings = settings
        self._token = settings.token
        self.api = self._client(header=True)
        self._query_api: Api | None = None  # the fallback, once the header was refused
        self._lock = threading.Lock()
        self._auth_lock = threading.Lock()
        self._auth_verified = False
        self._business_users: dict[str, dict[str, tuple[str | None, str | None]]] = {}

    def _client(self, *, header: bool) -> Api:
        token = self._settings.token
        return Api(
            self._settings.api_url,
            title=self.title,
            headers={"Authorization": f"Bearer {token}"} if header else None,
            params=None if header else {"access_token": token},
            throttle=throttle,
            describe_error=self._describe_error,
            classify=self._classify,
            concurrency=self._settings.concurrency,
        )

    def _authenticated(self, operation: Callable[[], _T]) -> _T:
        """Run `operation` with the token in the `Authorization` header; should the very
        first answers refuse it (a Graph-compatible server that reads only the documented
        `access_token` parameter answers code 104 or 190), run it once more with the token
        as that parameter, and keep that for the rest of the run."""
        api = self.api
        try:
            result = operation()
        except ConnectorUnavailable as exc:
            if exc.kind != "refused" or self._auth_verified or api is self._query_api:
                raise
            with self._auth_lock:
                if self._query_api is None:
                    self._query_api = self._client(header=False)
                    self._query_api.timeout, self._query_api.retries = api.timeout, api.retries
                self.api = self._query_api
            result = operation()
        self._auth_verified = True
        return result

    # --- the Connector protocol ----------------------------------------------------------

    def holders(self, account: Account) -> Sequence[Holder]:
        asset = self._asset_id(account)
        business = self._business(account)
        return self._authenticated(lambda: self._holders(account, asset, business))

    def _holders(self, account: Account, asset: str, business: str) -> list[Holder]:
        directory = self.business_users(business)
        found: dict[str, Holder] = {}
        params = {"business": business, "fields": ASSIGNED_FIELDS}
        path = f"/{asset}/assigned_users"
        for response, body in self.api.pages(path, params, graph_next):
            if response.status_code == 404:
                raise Unverifiable(f"{_what(account)} {asset} not found on Meta (HTTP 404)")
            for item in _data(body, path, self.title):
                user_id = _text(item, "id", path, self.title, required=True)
                assert user_id is not None
                name = _text(item, "name", path, self.title)
                tasks = _strings(item, "tasks", path, self.title)
                known_name, email = directory.get(user_id, (None, None))
                found[user_id] = Holder(
                    id=user_id,
                    roles=tuple(tasks),
                    name=name or known_name,
                    email=email,
                )
        return list(found.values())

    def remove(self, account: Account, holder: Holder) -> None:
        asset = self._asset_id(account)
        business = self._business(account)
        self._authenticated(lambda: self._remove(asset, business, holder.id))

    def _remove(self, asset: str, business: str, user_id: str) -> None:
        path = f"/{asset}/assigned_users"
        try:
            response = self.api.delete(path, params={"user": user_id, "business": business})
        except Unverifiable:
            # Graph's "does not exist": the assignment (or the user) is already gone; the
            # caller re-reads the holders, which would report an asset that is really missing.
            return
        if response.status_code == 404:
            return
        body = self.api.json(response)
        if not isinstance(body, Mapping) or body.get("success") is not True:
            raise ConnectorUnavailable(
                f"{self.title}: DELETE {urlsplit(response.url).path} did not report success",
                kind="bad-response",
            )

    # --- the Business portfolio's people, read once per run ------------------------------

    def business_users(self, business: str) -> Mapping[str, tuple[str | None, str | None]]:
        """business-scoped user id -> (name, email), one listing per business per run; the
        threads that read several assets wait for the first listing instead of repeating it."""
        with self._lock:
            cached = self._business_users.get(business)
            if cached is not None:
                return cached
            people: dict[str, tuple[str | None, str | None]] = {}
            path = f"/{business}/business_users"
            params = {"fields": BUSINESS_USER_FIELDS}
            for response, body in self.api.pages(path, params, graph_next):
                if response.status_code == 404:
                    raise Unverifiable(
                        f"Business portfolio {business} not found on Meta (HTTP 404)"
                    )
                for item in _data(body, path, self.title):
                    user_id = _text(item, "id", path, self.title, required=True)
                    assert user_id is not None
                    people[user_id] = (
                        _text(item, "name", path, self.title),
                        _text(item, "email", path, self.title),
                    )
            self._business_users[business] = people
            return people

    # --- helpers --------------------------------------------------------------------------

    def _asset_id(self, account: Account) -> str:
        value = (account.platform_id or "").strip().strip("/")
        if not value:
            raise Unverifiable(
                f"platform_id missing: add the {_what(account)} id to the inventory "
                "(accounts[].platform_id)"
            )
        if "/" in value or "?" in value or "#" in value:
            raise Unverifiable(f"platform_id {value!r} is not a Graph object id")
        return value

    def _business(self, account: Account) -> str:
        if self.business_id is None:
            raise Unverifiable(
                f"no Business portfolio id for {_what(account)} {account.handle}: "
                + BUSINESS_ID_HINT
            )
        return self.business_id

    def _describe_error(self, body: Any) -> str | None:
        error = graph_error(body)
        if error is None:
            return None
        message = error.get("message")
        parts = [_redact(str(message), self._token)] if message else []
        code = error.get("code")
        if code is not None:
            subcode = error.get("error_subcode")
            parts.append(f"(code {code}" + (f", subcode {subcode})" if subcode else ")"))
        return " ".join(parts) or None

    def _classify(self, response: requests.Response, body: Any) -> Exception | None:
        error = graph_error(body)
        if error is None:
            return None
        code = _int(error.get("code"))
        detail = self._describe_error(body)
        said = f": {detail}" if detail else ""
        path = urlsplit(response.url).path
        if code in REFUSED_CODES:
            return ConnectorUnavailable(
                f"{self.title}: the token was refused (HTTP {response.status_code}){said}",
                kind="refused",
                hint="renew the token (GOVERN_META_TOKEN or `govern creds set connector-meta`)",
            )
        if code in PERMISSION_CODES:
            return ConnectorUnavailable(
                f"{self.title}: the token lacks permission for {path} "
                f"(HTTP {response.status_code}){said}",
                kind="forbidden",
                hint="docs/connectors.md lists the permissions Meta needs "
                "(business_management, pages_manage_metadata)",
            )
        if code == NOT_FOUND_CODE and "does not exist" in str(error.get("message", "")):
            return Unverifiable(
                f"Meta object {_object_id(path)} not found, or not visible to this token "
                "(Graph code 100: check platform_id and business_id)"
            )
        return None


def connector(settings: Settings) -> GraphConnector:
    return GraphConnector(settings)


# --- Graph API shapes -------------------------------------------------------------------


def graph_error(body: Any) -> Mapping[str, Any] | None:
    """The `error` object of a Graph error body, or None."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            return error
    return None


def graph_next(_response: requests.Response, body: Any) -> str | None:
    """Cursor paging: follow `paging.next` until a page has none."""
    if not isinstance(body, Mapping):
        return None
    paging = body.get("paging")
    if not isinstance(paging, Mapping):
        return None
    link = paging.get("next")
    return link if isinstance(link, str) and link else None


def throttle(response: requests.Response, body: Any) -> float | None:
    """Seconds to wait when Graph says we are rate limited (a throttling code, or HTTP 429):
    the usage headers' `estimated_time_to_regain_access` (minutes), else Retry-After or
    backoff."""
    error = graph_error(body)
    code = _int(error.get("code")) if error is not None else None
    if code not in THROTTLE_CODES and response.status_code != 429:
        return None
    minutes = regain_minutes(response.headers)
    # 0 minutes means "less than a minute", not "now": back off (Retry-After or growing).
    return minutes * 60.0 if minutes else BACKOFF


def regain_minutes(headers: Mapping[str, str]) -> float | None:
    """The longest `estimated_time_to_regain_access` in Meta's usage headers, in minutes.
    `X-Business-Use-Case-Usage` maps business object ids to lists of usage entries;
    `X-App-Usage` / `X-Page-Usage` are single objects."""
    longest: float | None = None
    for name in USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        for entry in _usage_entries(usage):
            value = entry.get("estimated_time_to_regain_access")
            if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
                longest = max(longest or 0.0, float(value))
    return longest


def _usage_entries(usage: Any) -> list[Mapping[str, Any]]:
    if not isinstance(usage, Mapping):
        return []
    if "estimated_time_to_regain_access" in usage:
        return [usage]
    entries: list[Mapping[str, Any]] = []
    for value in usage.values():
        if isinstance(value, list):
            entries.extend(v for v in value if isinstance(v, Mapping))
        elif isinstance(value, Mapping):
            entries.append(value)
    return entries


def _data(body: Any, path: str, title: str) -> list[Mapping[str, Any]]:
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
        raise _bad(title, path, "a list `data` of objects")
    return data


def _text(
    item: Mapping[str, Any], key: str, path: str, title: str, *, required: bool = False
) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and key == "id":
        return str(value)
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(title, path, f"a string `{key}` on every item")
    return value.strip() or None


def _strings(item: Mapping[str, Any], key: str, path: str, title: str) -> list[str]:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(title, path, f"`{key}` as a list of strings")
    return [v for v in value if v]


def _bad(title: str, path: str, expected: str) -> ConnectorUnavailable:
    return ConnectorUnavailable(
        f"{title}: unexpected answer from GET {path} (expected {expected})",
        kind="bad-response",
    )


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _object_id(path: str) -> str:
    """The node of `/v21.0/{node}/{edge}` (or `/{node}/{edge}`)."""
    parts = [p for p in path.split("/") if p]
    return parts[-2] if len(parts) >= 2 else (parts[-1] if parts else "?")


def _redact(text: str, token: str) -> str:
    return text.replace(token, "[token]") if token else text


def _what(account: Account) -> str:
    return _PLATFORM_TITLES.get(account.platform, "Meta asset")


__all__ = [
    "DEFAULT_URL",
    "GRAPH_VERSION",
    "GraphConnector",
    "connector",
    "graph_error",
    "graph_next",
    "regain_minutes",
    "throttle",
]
