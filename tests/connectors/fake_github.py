"""A local GitHub REST API (the organization-members subset govern uses), with state.

    fake = FakeGithub(token="ghp_test").start()
    fake.add_org("acme")
    fake.add_member("acme", "octocat", role="admin")
    fake.add_invitation("acme", email="new@example.org", role="direct_member")
    ... GOVERN_GITHUB_API_URL=fake.url ...
    fake.removals                          # the DELETE requests seen
    fake.stop()

Follows the documented API (docs.github.com/rest/orgs/members, version 2022-11-28; payloads
shaped like github/rest-api-description's `simple-user` and `organization-invitation`
examples):
- `GET /orgs/{org}/members?role=all|admin|member`, `GET /orgs/{org}/invitations`: arrays,
  `per_page` (default 30, max 100; the fake caps it at `page_size` so tests see several
  pages) and `page`; a `Link` header with `next`/`last`/`first`/`prev` whose URLs, as on
  github.com, name the organization by id (`/organizations/{id}/members?...`).
- `DELETE /orgs/{org}/memberships/{username}` (a member, or an invitation to that login),
  `DELETE /orgs/{org}/invitations/{invitation_id}`: 204, or 404 when there is nothing.
- Errors as `{"message", "documentation_url", "status"}`: 401 "Bad credentials" for a wrong
  or missing token (`Authorization: Bearer T` or `token T`), 404 "Not Found" for an unknown
  organization, 403 for a removal with a read-only token, and the primary rate limit (403 with
  `x-ratelimit-remaining: 0` and `x-ratelimit-reset`) after `exhaust()`.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.apiserver import ApiServer, Reply, Request

DOCS = "https://docs.github.com/rest"
MEMBERS_DOCS = f"{DOCS}/orgs/members#list-organization-members"
INVITATIONS_DOCS = f"{DOCS}/orgs/members#list-pending-organization-invitations"
RATE_DOCS = f"{DOCS}/overview/rate-limits-for-the-rest-api"
RATE_LIMIT = 5000


def error(status: int, message: str, docs: str = DOCS) -> Reply:
    return Reply(status, {"message": message, "documentation_url": docs, "status": str(status)})


@dataclass
class _Org:
    login: str
    id: int
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # lower login -> user
    roles: dict[str, str] = field(default_factory=dict)  # lower login -> admin | member
    invitations: list[dict[str, Any]] = field(default_factory=list)


class FakeGithub:
    def __init__(
        self,
        token: str = "ghp_fake-token-0123456789",
        *,
        page_size: int = 2,
        can_write: bool = True,
        invitations_visible: bool = True,
        prefix: str = "",
    ) -> None:
        self.token = token
        self.prefix = prefix.rstrip("/")  # GitHub Enterprise Server: "/api/v3"
        self.page_size = page_size
        self.can_write = can_write
        self.invitations_visible = invitations_visible
        self.server = ApiServer(auth=self._auth)
        self._orgs: dict[str, _Org] = {}
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        self._exhausted_until = 0.0
        root = re.escape(self.prefix)
        route = self.server.route
        route("GET", root + r"/orgs/(?P<org>[^/]+)/members", self._members)
        route("GET", root + r"/organizations/(?P<org_id>\d+)/members", self._members)
        route("GET", root + r"/orgs/(?P<org>[^/]+)/invitations", self._invitations)
        route("GET", root + r"/organizations/(?P<org_id>\d+)/invitations", self._invitations)
        route(
            "DELETE", root + r"/orgs/(?P<org>[^/]+)/memberships/(?P<username>[^/]+)", self._remove
        )
        route(
            "DELETE", root + r"/orgs/(?P<org>[^/]+)/invitations/(?P<invitation>[^/]+)", self._cancel
        )

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeGithub:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        """The API root, as GOVERN_GITHUB_API_URL takes it."""
        return self.server.url + self.prefix

    # --- state --------------------------------------------------------------------------

    def add_org(self, login: str) -> None:
        with self._lock:
            self._orgs.setdefault(login.lower(), _Org(login, next(self._ids)))

    def add_member(
        self, org: str, login: str, *, role: str = "member", name: str | None = None
    ) -> None:
        """An organization member; role "admin" is an organization owner."""
        assert role in ("admin", "member")
        self.add_org(org)
        with self._lock:
            state = self._orgs[org.lower()]
            state.members[login.lower()] = simple_user(login, next(self._ids), name=name)
            state.roles[login.lower()] = role

    def add_invitation(
        self,
        org: str,
        *,
        login: str | None = None,
        email: str | None = None,
        role: str = "direct_member",
    ) -> int:
        """A pending invitation (to a GitHub login, or to an email address: login null)."""
        self.add_org(org)
        with self._lock:
            state = self._orgs[org.lower()]
            number = next(self._ids)
            state.invitations.append(
                {
                    "id": number,
                    "login": login,
                    "node_id": f"MDIyOk9yZ2FuaXphdGlvbkludml0YXRpb24{number}",
                    "email": email,
                    "role": role,
                    "created_at": "2026-11-02T06:46:10-08:00",
                    "failed_at": None,
                    "failed_reason": None,
                    "inviter": simple_user("octocat", 1),
                    "team_count": 0,
                    "invitation_teams_url": (
                        f"https://api.github.com/organizations/{state.id}/invitations/{number}/teams"
                    ),
                    "invitation_source": "member",
                }
            )
            return number

    def members(self, org: str) -> dict[str, str]:
        """login -> role (admin | member) as the organization has them now."""
        with self._lock:
            state = self._orgs[org.lower()]
            return {state.members[k]["login"]: state.roles[k] for k in state.members}

    def invitations(self, org: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._orgs[org.lower()].invitations)

    def exhaust(self, reset_in: float) -> None:
        """Spend the primary rate limit: requests get GitHub's 403 until the reset."""
        self._exhausted_until = time.time() + reset_in

    @property
    def removals(self) -> list[Request]:
        return self.server.sent("DELETE")

    # --- the API ------------------------------------------------------------------------

    def _auth(self, request: Request) -> Reply | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if not header:
            return error(401, "Requires authentication")
        if scheme.lower() not in ("bearer", "token") or value.strip() != self.token:
            return error(401, "Bad credentials")
        if time.time() < self._exhausted_until:
            reply = error(403, "API rate limit exceeded for user ID 1.", RATE_DOCS)
            reply.headers.update(self._rate_headers(0, math.ceil(self._exhausted_until)))
            return reply
        return None

    def _rate_headers(self, remaining: int, reset: int) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-used": str(RATE_LIMIT - remaining),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
        }

    def _org(self, request: Request) -> _Org | None:
        with self._lock:
            if "org_id" in request.match:
                wanted = int(request.match["org_id"])
                return next((o for o in self._orgs.values() if o.id == wanted), None)
            return self._orgs.get(request.match["org"].lower())

    def _members(self, request: Request) -> Reply:
        org = self._org(request)
        if org is None:
            return error(404, "Not Found", MEMBERS_DOCS)
        role = request.arg("role", "all")
        if role not in ("all", "admin", "member"):
            return error(422, "Validation Failed", MEMBERS_DOCS)
        with self._lock:
            users = [
                dict(user)
                for key, user in sorted(org.members.items())
                if role == "all" or org.roles[key] == role
            ]
        return self._page(request, org, "members", users)

    def _invitations(self, request: Request) -> Reply:
        org = self._org(request)
        if org is None or not self.invitations_visible:
            return error(404, "Not Found", INVITATIONS_DOCS)
        with self._lock:
            items = [dict(item) for item in org.invitations]
        return self._page(request, org, "invitations", items)

    def _page(self, request: Request, org: _Org, listing: str, items: list[Any]) -> Reply:
        try:
            per_page = int(request.arg("per_page", "30") or 30)
            page = int(request.arg("page", "1") or 1)
        except ValueError:
            return error(422, "Validation Failed")
        size = max(1, min(per_page, 100, self.page_size))
        last = max(1, math.ceil(len(items) / size))
        chunk = items[(page - 1) * size : page * size]
        query = {k: v[0] for k, v in request.query.items() if k != "page"}

        def link(number: int) -> str:
            params = urlencode({**query, "page": number})
            return f"{self.url}/organizations/{org.id}/{listing}?{params}"

        links = []
        if page < last:
            links += [f'<{link(page + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
        if page > 1:
            links += [f'<{link(page - 1)}>; rel="prev"', f'<{link(1)}>; rel="first"']
        headers = self._rate_headers(RATE_LIMIT - 1, int(time.time()) + 3600)
        if links:
            headers["Link"] = ", ".join(links)
        return Reply(200, chunk, headers)

    def _remove(self, request: Request) -> Reply:
        org, refused = self._writable(request, "remove a member from this organization")
        if org is None:
            return refused
        key = request.match["username"].lower()
        with self._lock:
            if key in org.members:
                del org.members[key]
                del org.roles[key]
                return Reply(204)
        # "If the specified user has been invited to the organization, this will cancel
        # their invitation."
        return self._drop_invitation(org, lambda i: (i["login"] or "").lower() == key)

    def _cancel(self, request: Request) -> Reply:
        org, refused = self._writable(request, "cancel an invitation")
        if org is None:
            return refused
        wanted = request.match["invitation"]
        return self._drop_invitation(org, lambda i: str(i["id"]) == wanted)

    def _writable(self, request: Request, action: str) -> tuple[_Org | None, Reply]:
        org = self._org(request)
        if org is None:
            return None, error(404, "Not Found")
        if not self.can_write:
            return None, error(403, f"You must be an admin to {action}.")
        return org, Reply(204)

    def _drop_invitation(self, org: _Org, chosen: Callable[[dict[str, Any]], bool]) -> Reply:
        with self._lock:
            kept = [i for i in org.invitations if not chosen(i)]
            if len(kept) == len(org.invitations):
                return error(404, "Not Found")
            org.invitations = kept
        return Reply(204)


def simple_user(login: str, number: int, *, name: str | None = None) -> dict[str, Any]:
    """A `simple-user` object as the members listing returns it."""
    user: dict[str, Any] = {
        "login": login,
        "id": number,
        "node_id": f"MDQ6VXNlcj{number}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{number}?v=4",
        "gravatar_id": "",
        "url": f"https://api.github.com/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": "User",
        "site_admin": False,
    }
    if name is not None:
        user["name"] = name
    return user


@pytest.fixture
def fake_github() -> Iterator[FakeGithub]:
    fake = FakeGithub().start()
    try:
        yield fake
    finally:
        fake.stop()
