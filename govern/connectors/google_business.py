"""Google Business Profile: who administers a Business Profile account, read and removed
through the Account Management API v1.

    GET    {base}/v1/accounts/{account}/admins        -> {"accountAdmins": [Admin, ...]}
    DELETE {base}/v1/accounts/{account}/admins/{admin} -> {}

An Admin is `{name, admin, account, role, pendingInvitation}`: `name` is the resource name
`accounts/{a}/admins/{admin}` (its last part is the admin id people put in
`identities.google`); `admin` is the user's first and last name once the invitation is
accepted and the invited email while `pendingInvitation` is true; `role` is one of
PRIMARY_OWNER, OWNER, MANAGER, SITE_MANAGER. admins.list has no paging (the discovery
document declares no pageToken and the response no nextPageToken). Responses are proto3
JSON: an empty list, `pendingInvitation: false` and an unset role are left out.

Errors come as `{"error": {"code", "message", "status"}}`: 401 UNAUTHENTICATED (token
refused), 403 PERMISSION_DENIED (missing scope or access), 404 NOT_FOUND (no such account,
or the caller cannot see it), 429 RESOURCE_EXHAUSTED (quota: 300 requests per minute) and
503 UNAVAILABLE, both retried.

Authentication is an OAuth 2.0 access token with scope business.manage: GOVERN_GOOGLE_TOKEN,
the credential store's `connector-google`, or a service-account key file
(`service_account_token`: GOVERN_GOOGLE_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS) that
google-auth exchanges for a token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from govern.connectors import (
    ConnectorUnavailable,
    Holder,
    Settings,
    Unverifiable,
    account_path,
    token_env,
)
from govern.connectors.http import Api, retry_after
from govern.errors import InputError, Problem, UsageError
from govern.inventory.model import Account

NAMESPACE = "google"
TITLE = "Google Business Profile"
SCOPE = "https://www.googleapis.com/auth/business.manage"
CREDENTIALS_ENVS = ("GOVERN_GOOGLE_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS")
TOKEN_TIMEOUT = 30.0  # seconds for one token exchange; google-auth's own default is 120
# A role the response leaves out is the enum's zero value (proto3 JSON omits defaults).
ROLE_UNSPECIFIED = "ADMIN_ROLE_UNSPECIFIED"
# Older Google APIs answered quota errors with 403 and these reasons; treat them as 429.
QUOTA_WAIT = 1.0  # seconds before retrying a quota 403 that names no Retry-After
_QUOTA_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})
_ADMIN_NAME = re.compile(r"^accounts/[^/]+/admins/(?P<admin>[^/]+)$")


class GoogleBusiness:
    """Reads and removes the admins of Business Profile accounts."""

    namespace = NAMESPACE
    title = TITLE

    def __init__(self, settings: Settings) -> None:
        self.api = Api(
            settings.api_url,
            title=TITLE,
            headers={"Authorization": f"Bearer {settings.token}"},
            throttle=throttle,
            describe_error=describe_error,
            concurrency=settings.concurrency,
        )

    def holders(self, account: Account) -> Sequence[Holder]:
        parent = account_path(account, "accounts")
        response = self.api.get(f"/v1/{_quote_path(parent)}/admins")
        if response.status_code == 404:
            raise Unverifiable(
                f"Google Business Profile account {parent} not found, or the token's user "
                "cannot see it (check platform_id)"
            )
        body = self.api.json(response)
        return [_holder(item, self.api) for item in _admins(body, self.api)]

    def remove(self, account: Account, holder: Holder) -> None:
        name = _admin_name(account, holder)
        # One request, never retried (the caller re-reads). Success is `{}`
        # (google.protobuf.Empty); 404 means already gone, also success; Api raises the rest.
        self.api.delete(f"/v1/{_quote_path(name)}")

    def close(self) -> None:
        self.api.close()


def connector(settings: Settings) -> GoogleBusiness:
    return GoogleBusiness(settings)


# --- responses -----------------------------------------------------------------------------


def _bad(api: Api, what: str) -> ConnectorUnavailable:
    return ConnectorUnavailable(
        f"{TITLE}: unexpected answer from {api.base_url}: {what}", kind="bad-response"
    )


def _admins(body: Any, api: Api) -> list[Any]:
    if not isinstance(body, dict):
        raise _bad(api, "the admins listing is not a JSON object")
    admins = body.get("accountAdmins", [])  # left out when the account has none
    if not isinstance(admins, list):
        raise _bad(api, "accountAdmins is not a list")
    return admins


def _holder(item: Any, api: Api) -> Holder:
    if not isinstance(item, dict):
        raise _bad(api, "an admin is not a JSON object")
    name = item.get("name")
    match = _ADMIN_NAME.match(name) if isinstance(name, str) else None
    if match is None:
        raise _bad(api, "an admin has no resource name accounts/{account}/admins/{admin}")
    role = item.get("role", ROLE_UNSPECIFIED)
    admin = item.get("admin")
    pending = item.get("pendingInvitation", False)
    if not isinstance(role, str) or not isinstance(pending, bool):
        raise _bad(api, f"admin {name}: role or pendingInvitation of the wrong type")
    group = item.get("account")  # an account (user or location group) holding the role
    if admin is not None and not isinstance(admin, str):
        raise _bad(api, f"admin {name}: admin is not a string")
    if group is not None and not isinstance(group, str):
        raise _bad(api, f"admin {name}: account is not a string")
    label = admin.strip() if admin and admin.strip() else None
    if label is None and not pending:
        label = group or None
    return Holder(
        id=match["admin"],
        roles=(role,),
        # Pending: `admin` is the invited email. Accepted: the user's first and last name.
        name=None if pending else label,
        email=label if pending else None,
        pending=pending,
        handle=name,
    )


def _admin_name(account: Account, holder: Holder) -> str:
    """The admin's resource name: the one the listing gave, else built from the account."""
    if holder.handle and _ADMIN_NAME.match(holder.handle):
        return holder.handle
    admin_id = holder.id.strip().strip("/").rsplit("/", 1)[-1]
    return f"{account_path(account, 'accounts')}/admins/{admin_id}"


def _quote_path(name: str) -> str:
    return "/".join(quote(part, safe="") for part in name.split("/"))


def _error(body: Any) -> Mapping[str, Any] | None:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def describe_error(body: Any) -> str | None:
    """`STATUS: message` of a Google error body, for the exit-3 line."""
    error = _error(body)
    if error is None:
        return None
    status, message = error.get("status"), error.get("message")
    parts = [str(part) for part in (status, message) if isinstance(part, str) and part]
    return ": ".join(parts) or None


def throttle(response: requests.Response, body: Any) -> float | None:
    """Seconds to wait when a 403 is really a quota error (status RESOURCE_EXHAUSTED or a
    rate-limit reason), else None. 429 RESOURCE_EXHAUSTED and 503 UNAVAILABLE need no hook:
    Api retries them after `Retry-After`, or with exponential backoff and jitter."""
    if response.status_code != 403:
        return None
    error = _error(body) or {}
    entries = [
        entry
        for key in ("errors", "details")
        if isinstance(error.get(key), list)
        for entry in error[key]
        if isinstance(entry, dict)
    ]
    reasons = {str(entry.get("reason")) for entry in entries}
    if error.get("status") == "RESOURCE_EXHAUSTED" or reasons & _QUOTA_REASONS:
        return retry_after(response) or QUOTA_WAIT
    return None


# --- service accounts ----------------------------------------------------------------------


def service_account_token(env: Mapping[str, str]) -> str | None:
    """An access token for a service-account key file, or None when there is none to use.

    Used when GOVERN_GOOGLE_TOKEN is unset and GOVERN_GOOGLE_CREDENTIALS (else
    GOOGLE_APPLICATION_CREDENTIALS) names a key file: google-auth signs a JWT with the key
    (RS256) and exchanges it at the key's `token_uri` for a token with scope business.manage.
    A file that is missing or not a service-account key is an input error (exit 2); a refused
    or failed exchange is `ConnectorUnavailable` (exit 3). Nothing secret is in any message.
    """
    if env.get(token_env(NAMESPACE), "").strip():
        return None
    found = [(var, env.get(var, "").strip()) for var in CREDENTIALS_ENVS]
    var, path = next(((v, p) for v, p in found if p), ("", ""))
    if not path:
        return None
    info = _key_info(path, var)

    from google.auth import exceptions
    from google.oauth2 import service_account

    try:
        credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=[SCOPE]
        )
    except (ValueError, KeyError, TypeError):
        raise InputError(
            [
                Problem(
                    path,
                    1,
                    1,
                    "not a usable service-account key (a field is missing or the private key "
                    "cannot be read)",
                    f"download a new JSON key for the service account; named by {var}",
                )
            ]
        ) from None
    token_uri = str(info.get("token_uri", ""))
    try:
        credentials.refresh(_TokenRequest())
    except exceptions.RefreshError as exc:
        if getattr(exc, "retryable", False):  # 5xx or 429 after google-auth's own retries
            raise ConnectorUnavailable(
                f"{TITLE}: the token server at {_origin(token_uri)} kept failing"
                f"{_oauth_error(exc)}",
                kind="unreachable",
                hint="run again later",
            ) from None
        raise ConnectorUnavailable(
            f"{TITLE}: the service account's token request was refused at "
            f"{_origin(token_uri)}{_oauth_error(exc)}",
            kind="refused",
            hint=f"check the key named by {var} (revoked or deleted keys are refused)",
        ) from None
    except exceptions.TransportError as exc:
        raise ConnectorUnavailable(
            f"{TITLE}: cannot reach {_origin(token_uri)} for a service-account token: "
            f"{_transport_reason(exc)}",
            kind="unreachable",
            hint="check the network, or the key's token_uri",
        ) from None
    token = credentials.token
    if not isinstance(token, str) or not token:
        raise ConnectorUnavailable(
            f"{TITLE}: {_origin(token_uri)} answered the token request without a token",
            kind="bad-response",
        )
    return token


def _key_info(path: str, var: str) -> dict[str, Any]:
    hint = f"named by {var}: the JSON key of a service account (IAM > Service accounts > Keys)"
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot read the service-account key ({exc.strerror})", hint=hint
        ) from None
    try:
        info = json.loads(text)
    except json.JSONDecodeError as exc:
        # The message names the position only: the text around it may be the private key.
        raise InputError([Problem(path, exc.lineno, exc.colno, "not valid JSON", hint)]) from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        kind = info.get("type") if isinstance(info, dict) else None
        raise InputError(
            [
                Problem(
                    path,
                    1,
                    1,
                    "not a service-account key"
                    + (f" (type {kind!r})" if isinstance(kind, str) else ""),
                    hint,
                )
            ]
        )
    return info


class _TokenRequest:
    """google-auth's requests transport with a bounded timeout per token exchange."""

    def __init__(self) -> None:
        from google.auth.transport.requests import Request

        self._request = Request()

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        limit = TOKEN_TIMEOUT if timeout is None else min(float(timeout), TOKEN_TIMEOUT)
        return self._request(
            url, method=method, body=body, headers=headers, timeout=limit, **kwargs
        )


def _oauth_error(exc: Exception) -> str:
    """The OAuth error code of a refused exchange (`invalid_grant`), never the raw body."""
    for arg in exc.args:
        data = arg if isinstance(arg, dict) else None
        if data is None and isinstance(arg, str):
            try:
                data = json.loads(arg)
            except ValueError:
                data = None
        code = data.get("error") if isinstance(data, dict) else None
        if isinstance(code, str) and re.fullmatch(r"[a-z_]{1,40}", code):
            return f" ({code})"
    return ""


def _transport_reason(exc: Exception) -> str:
    text = str(exc).lower()
    if "timed out" in text or "timeout" in text:
        return "timed out"
    return "connection failed"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "the token server"


__all__ = ["SCOPE", "GoogleBusiness", "connector", "describe_error", "service_account_token"]
