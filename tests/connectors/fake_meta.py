"""A local Graph API for the Meta connector: Business portfolio people, assets (Facebook Pages,
Instagram professional accounts) and their assigned users, speaking the documented shapes.

    fake = FakeMeta(token="EAAB-test").start()
    fake.business("555", users=[("1001", "Ana Reyes", "ana@diocese.example")])
    fake.asset("777", business="555")
    fake.assign("777", "1001", ["MANAGE", "CREATE_CONTENT"])
    GOVERN_META_API_URL=fake.url  (includes the version: http://127.0.0.1:PORT/v21.0)

What it follows (developers.facebook.com Graph API reference, facebook-business-sdk-codegen
api_specs Page.json / InstagramBusinessAsset.json / Business.json / AssignedUser.json /
BusinessUser.json):
- the token comes as `access_token` (query) or `Authorization: Bearer|OAuth <token>`; none:
  HTTP 400 code 104; another: HTTP 400 code 190 (OAuthException) — the message echoes a
  malformed token, as Graph's "Malformed access token ..." does, so redaction is tested;
- `GET /{asset}/assigned_users` requires `business`; items carry `id`, `name`, `user_type`
  and the edge fields `tasks`, `permitted_tasks`; only the `fields` asked for (id always);
- `GET /{business}/business_users`: `id`, `name`, `email`, `role`, ...;
- `GET /{business}/pending_users`: invitations not yet accepted (BusinessRoleRequest);
- cursor paging: `{"data": [...], "paging": {"cursors": {"before", "after"}, "next"}}`,
  `next` only when another page exists, echoing the query (with `access_token` only when it
  was sent as a parameter, as Graph does) plus `after`;
- an unknown node: HTTP 400 code 100 subcode 33 "Unsupported get request. Object with ID ...
  does not exist, ..."; a missing permission: HTTP 403 code 200;
- `DELETE /{asset}/assigned_users?user=` answers `{"success": true}`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest

from govern.connectors import META_GRAPH_VERSION
from tests.support.apiserver import ApiServer, Reply, Request

TOKEN = "EAABfakeMetaToken0123456789"
VERSION = r"(?:/v\d+\.\d+)?"
NODE = r"(?P<node>[0-9]+)"
DEFAULT_LIMIT = 25
FBTRACE = "AbCdEfGhIjK"


@dataclass
class BusinessUser:
    id: str
    name: str
    email: str | None = None
    role: str = "EMPLOYEE"


@dataclass
class Assignment:
    user: str
    tasks: list[str]
    user_type: str = "business_user"


@dataclass
class Asset:
    id: str
    business: str
    kind: str = "page"  # page | instagram
    assigned: dict[str, Assignment] = field(default_factory=dict)


@dataclass
class Invitation:
    id: str
    email: str
    role: str = "EMPLOYEE"
    status: str = "PENDING"


def error_body(
    code: int,
    message: str,
    *,
    type_: str = "OAuthException",
    subcode: int | None = None,
    **extra: object,
) -> dict[str, object]:
    """Graph's error object: {"error": {"message", "type", "code", "error_subcode",
    "fbtrace_id"}} (developers.facebook.com/docs/graph-api/guides/error-handling)."""
    error: dict[str, object] = {"message": message, "type": type_, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    error["fbtrace_id"] = FBTRACE
    return {"error": error}


def graph_error(
    status: int,
    message: str,
    code: int,
    *,
    type_: str = "OAuthException",
    subcode: int | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    return Reply(
        status, error_body(code, message, type_=type_, subcode=subcode), dict(headers or {})
    )


def not_found(node: str) -> Reply:
    return graph_error(
        400,
        f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation. Please read the Graph API "
        "documentation at https://developers.facebook.com/docs/graph-api",
        100,
        type_="GraphMethodException",
        subcode=33,
    )


class FakeMeta:
    """The Graph API of one or more Business portfolios, in memory."""

    def __init__(self, token: str = TOKEN, *, page_size: int = 2, header_auth: bool = True) -> None:
        self.token = token
        self.header_auth = header_auth  # False: read only the `access_token` parameter
        self.page_size = page_size
        self.businesses: dict[str, dict[str, BusinessUser]] = {}
        self.invitations: dict[str, list[Invitation]] = {}
        self.assets: dict[str, Asset] = {}
        self.denied: set[str] = set()  # edges answering a permission error (code 200)
        self.removals: list[tuple[str, str]] = []  # (asset id, user id) per DELETE seen
        self.server = ApiServer(auth=self._auth)
        self.server.route("GET", VERSION + "/" + NODE + "/assigned_users", self._assigned)
        self.server.route("DELETE", VERSION + "/" + NODE + "/assigned_users", self._unassign)
        self.server.route("GET", VERSION + "/" + NODE + "/business_users", self._business_users)
        self.server.route("GET", VERSION + "/" + NODE + "/pending_users", self._pending_users)

    # --- set-up -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The Graph root including its version, as GOVERN_META_API_URL takes it."""
        return f"{self.server.url}/{META_GRAPH_VERSION}"

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    def start(self) -> FakeMeta:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def business(self, business_id: str, users: Sequence[tuple[str, str, str | None]] = ()) -> None:
        people = self.businesses.setdefault(business_id, {})
        for user_id, name, email in users:
            people[user_id] = BusinessUser(user_id, name, email)

    def asset(self, asset_id: str, *, business: str, kind: str = "page") -> None:
        self.assets[asset_id] = Asset(asset_id, business, kind)

    def assign(
        self, asset_id: str, user_id: str, tasks: Sequence[str], *, system: bool = False
    ) -> None:
        """Give a business (or system) user tasks on an asset; unknown users stay unknown to
        business_users (an outsider assigned through a partner business, or a system user)."""
        self.assets[asset_id].assigned[user_id] = Assignment(
            user_id, list(tasks), "system_user" if system else "business_user"
        )

    def invite(self, business_id: str, email: str, role: str = "EMPLOYEE") -> None:
        pending = self.invitations.setdefault(business_id, [])
        pending.append(Invitation(f"9{len(pending):04d}", email, role))

    def fail(self, method: str, edge: str, **kwargs: object) -> None:
        """Fault injection on an edge (`assigned_users`, `business_users`)."""
        self.server.fail(method, VERSION + "/[0-9]+/" + edge, **kwargs)  # type: ignore[arg-type]

    def names(self) -> dict[str, str]:
        return {u.id: u.name for people in self.businesses.values() for u in people.values()}

    # --- the API ------------------------------------------------------------------------

    def _auth(self, request: Request) -> Reply | None:
        given = request.arg("access_token")
        header = request.headers.get("authorization", "")
        match = re.match(r"(?i)^(?:bearer|oauth)\s+(\S+)$", header.strip())
        if given is None and match and self.header_auth:
            given = match[1]
        if not given:
            return graph_error(400, "An access token is required to request this resource.", 104)
        if given != self.token:
            return graph_error(400, f"Malformed access token {given}", 190)
        return None

    def _assigned(self, request: Request) -> Reply:
        asset = self.assets.get(request.match["node"])
        if asset is None:
            return not_found(request.match["node"])
        if "assigned_users" in self.denied:
            return self._denied()
        business = request.arg("business")
        if not business:
            return graph_error(
                400, "(#100) The parameter business is required", 100, type_="OAuthException"
            )
        if business != asset.business:
            return graph_error(
                400, f"(#100) Business {business} does not own the object", 100, subcode=33
            )
        people = self.businesses.get(asset.business, {})
        rows: list[dict[str, object]] = []
        for assignment in asset.assigned.values():
            person = people.get(assignment.user)
            rows.append(
                {
                    "id": assignment.user,
                    "name": person.name if person else f"User {assignment.user}",
                    "user_type": assignment.user_type,
                    "tasks": list(assignment.tasks),
                    "permitted_tasks": list(assignment.tasks),
                    "business": {"id": asset.business},
                }
            )
        return self._page(request, rows)

    def _unassign(self, request: Request) -> Reply:
        asset = self.assets.get(request.match["node"])
        if asset is None:
            return not_found(request.match["node"])
        if "assigned_users" in self.denied:
            return self._denied()
        user = request.arg("user")
        if not user:
            return graph_error(400, "(#100) The parameter user is required", 100)
        self.removals.append((asset.id, user))
        asset.assigned.pop(user, None)
        return Reply(200, {"success": True})

    def _business_users(self, request: Request) -> Reply:
        people = self.businesses.get(request.match["node"])
        if people is None:
            return not_found(request.match["node"])
        if "business_users" in self.denied:
            return self._denied()
        rows = []
        for person in people.values():
            row: dict[str, object] = {"id": person.id, "name": person.name, "role": person.role}
            if person.email is not None:
                row["email"] = person.email
            rows.append(row)
        return self._page(request, rows)

    def _pending_users(self, request: Request) -> Reply:
        if request.match["node"] not in self.businesses:
            return not_found(request.match["node"])
        rows: list[dict[str, object]] = [
            {"id": i.id, "email": i.email, "role": i.role, "status": i.status}
            for i in self.invitations.get(request.match["node"], [])
        ]
        return self._page(request, rows)

    def _denied(self) -> Reply:
        return graph_error(
            403, "(#200) Requires business_management permission to manage the object", 200
        )

    def _page(self, request: Request, rows: list[dict[str, object]]) -> Reply:
        fields = request.arg("fields")
        if fields:
            wanted = {"id", *(f.strip() for f in fields.split(",") if f.strip())}
            rows = [{k: v for k, v in row.items() if k in wanted} for row in rows]
        else:
            rows = [{k: v for k, v in row.items() if k in ("id", "name", "tasks")} for row in rows]
        limit = int(request.arg("limit") or DEFAULT_LIMIT)
        size = max(1, min(limit, self.page_size))
        start = _decode(request.arg("after")) if request.arg("after") else 0
        chunk = rows[start : start + size]
        body: dict[str, object] = {"data": chunk}
        if chunk:
            paging: dict[str, object] = {
                "cursors": {"before": _encode(start), "after": _encode(start + len(chunk))}
            }
            if start + size < len(rows):
                query = {k: v[0] for k, v in request.query.items() if k != "after"}
                query["after"] = _encode(start + size)
                paging["next"] = f"{self.server.url}{request.path}?{urlencode(query)}"
            body["paging"] = paging
        return Reply(200, body)


def _encode(index: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{index}".encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> int:
    padded = (cursor or "") + "=" * (-len(cursor or "") % 4)
    return int(base64.urlsafe_b64decode(padded).decode().split(":", 1)[1])


@pytest.fixture
def fake_meta() -> Iterator[FakeMeta]:
    fake = FakeMeta().start()
    try:
        yield fake
    finally:
        fake.stop()
