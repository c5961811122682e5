"""GitHub organizations: owners, members and pending invitations read from the REST API, and
removal of a member (docs/connectors.md).

The account's `handle` is the organization login (`acme`, not `@acme` or a URL). Read:

    GET /orgs/{org}/members?role=admin     owners; reported as role "admin"
    GET /orgs/{org}/members?role=member    plain members; role "member"
    GET /orgs/{org}/invitations            pending invitations (not access); their own role
                                           names: direct_member, admin, billing_manager, ...

all with `per_page=100` and `Link: <...>; rel="next"` paging. Removed with
`DELETE /orgs/{org}/memberships/{username}` (a member, or an invitation sent to a login) and
`DELETE /orgs/{org}/invitations/{invitation_id}` (an invitation sent to an email address, which
has no login to name). GitHub Enterprise Server: the API root from settings.api_url
(https://HOST/api/v3).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from govern.connectors import ConnectorUnavailable, Holder, Settings, Unverifiable
from govern.connectors.http import Api, link_next, retry_after
from govern.inventory.model import Account

API_VERSION = "2022-11-28"
PER_PAGE = 100  # the documented maximum
# "Rate limits for the REST API": a secondary limit without retry-after or an exhausted
# primary budget: "wait for at least one minute before retrying".
SECONDARY_WAIT = 60.0
# GitHub logins: letters, digits and hyphens, not starting with a hyphen, at most 39 characters.
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
# Member listings, in the order reported, and the role name each one stands for.
_MEMBER_ROLES = ("admin", "member")


class GithubConnector:
    namespace = "github"
    title = "GitHub"

    def __init__(self, settings: Settings) -> None:
        self.api = Api(
            settings.api_url,
            title=self.title,
            headers={
                "Authorization": f"Bearer {settings.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
            throttle=throttle,
            pace=pace,
            describe_error=describe_error,
            concurrency=settings.concurrency,
        )

    def holders(self, account: Account) -> Sequence[Holder]:
        org = organization(account)
        found: dict[str, Holder] = {}
        for role in _MEMBER_ROLES:
            for user in self._listing(f"/orgs/{quote(org)}/members", {"role": role}):
                holder = _member(user, role)
                key = holder.id.lower()
                seen = found.get(key)
                if seen is not None:  # listed twice: the roles changed between page reads
                    roles = seen.roles if role in seen.roles else (*seen.roles, role)
                    holder = Holder(seen.id, roles, seen.name, seen.email)
                found[key] = holder
        invitations = [
            _invitation(item)
            for item in self._listing(
                f"/orgs/{quote(org)}/invitations",
                {},
                # the members were just listed: the organization exists, the token may not
                # read its invitations (an owner's, or the Members permission).
                missing="pending invitations not visible to the token (it needs an "
                "organization owner's access)",
            )
        ]
        return [*found.values(), *invitations]

    def remove(self, account: Account, holder: Holder) -> None:
        org = organization(account)
        if holder.pending and holder.handle:
            path = f"/orgs/{quote(org)}/invitations/{_segment(holder.handle)}"
        else:
            path = f"/orgs/{quote(org)}/memberships/{_segment(holder.id)}"
        # 204: removed (or the invitation cancelled); 404: not a member any more, which is
        # what we wanted. Api raises for every other error status.
        self.api.delete(path)

    def _listing(
        self,
        path: str,
        params: dict[str, Any],
        missing: str = "organization not found or not visible to the token",
    ) -> Iterator[dict[str, Any]]:
        pages = self.api.pages(path, {**params, "per_page": PER_PAGE}, link_next)
        for response, body in pages:
            if response.status_code == 404:
                raise Unverifiable(missing)
            if not isinstance(body, list):
                raise _bad(response, "a JSON array")
            for item in body:
                if not isinstance(item, dict):
                    raise _bad(response, "an array of objects")
                yield item

    def close(self) -> None:
        self.api.close()


def connector(settings: Settings) -> GithubConnector:
    return GithubConnector(settings)


def organization(account: Account) -> str:
    """The organization login of `account` from its handle (`acme`; `@acme` and the
    organization's web address are accepted too)."""
    handle = account.handle.strip()
    if handle.startswith(("http://", "https://")):
        parts = [p for p in urlsplit(handle).path.split("/") if p]
        handle = parts[1] if len(parts) > 1 and parts[0] == "orgs" else (parts[0] if parts else "")
    handle = handle.removeprefix("@")
    if not _LOGIN.match(handle):
        raise Unverifiable(
            f"handle {account.handle!r} is not a GitHub organization login "
            "(write the login, e.g. acme)"
        )
    return handle


def throttle(response: requests.Response, body: Any) -> float | None:
    """Seconds to wait before retrying, per "Rate limits for the REST API": `retry-after`
    when present; an exhausted primary budget (`x-ratelimit-remaining: 0`) until
    `x-ratelimit-reset`; otherwise a secondary limit waits a minute. A 403 that is none of
    these is a permission error, not throttling."""
    if response.status_code not in (403, 429):
        return None
    wait = retry_after(response)
    if wait is not None:
        return wait
    if response.headers.get("x-ratelimit-remaining", "").strip() == "0":
        reset = _number(response.headers.get("x-ratelimit-reset"))
        return max(0.0, reset - time.time()) if reset is not None else SECONDARY_WAIT
    if response.status_code == 429 or _secondary(body):
        return SECONDARY_WAIT
    return None


def pace(response: requests.Response) -> float | None:
    """Seconds until the primary rate limit resets when an answer says it is spent
    (`x-ratelimit-remaining: 0`): the next request would be refused, so none is sent."""
    if response.headers.get("x-ratelimit-remaining", "").strip() != "0":
        return None
    reset = _number(response.headers.get("x-ratelimit-reset"))
    return max(0.0, reset - time.time()) if reset is not None else None


def describe_error(body: Any) -> str | None:
    """GitHub's error body: `{"message": ..., "documentation_url": ...}`."""
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return None


def _secondary(body: Any) -> bool:
    message = describe_error(body) or ""
    return "secondary rate limit" in message.lower()


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) and value.strip() else None


def _member(user: dict[str, Any], role: str) -> Holder:
    login = _text(user, "login")
    if login is None:
        raise ConnectorUnavailable(
            "GitHub: a member listing has an entry without a login", kind="bad-response"
        )
    # simple-user: `name` and `email` are optional and usually absent or null here.
    return Holder(login, (role,), name=_text(user, "name"), email=_text(user, "email"))


def _invitation(item: dict[str, Any]) -> Holder:
    login = _text(item, "login")  # null when the invitee has no GitHub account yet
    email = _text(item, "email")
    role = _text(item, "role")
    number = item.get("id")
    if (login is None and email is None) or role is None or not _is_id(number):
        raise ConnectorUnavailable(
            "GitHub: an invitation lacks its login or email, role or id", kind="bad-response"
        )
    return Holder(
        login or str(email),
        (role,),
        email=email,
        pending=True,
        # An invitation to an email address is cancelled by its id; one to a login through
        # the membership endpoint, like a member.
        handle=None if login else str(number),
    )


def _segment(value: str) -> str:
    return quote(value, safe="")


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad(response: requests.Response, wanted: str) -> ConnectorUnavailable:
    return ConnectorUnavailable(
        f"GitHub: {urlsplit(response.url).path} did not answer with {wanted}",
        kind="bad-response",
    )


__all__ = [
    "API_VERSION",
    "GithubConnector",
    "connector",
    "describe_error",
    "organization",
    "pace",
    "throttle",
]
