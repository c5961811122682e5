"""A local LinkedIn Community Management API: `GET /rest/organizationAcls` (organization
finder) with Rest.li `start`/`count` paging, the version headers checked, and LinkedIn's
error shape (`{"status", "serviceErrorCode", "code", "message"}`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.support.apiserver import ApiServer, Reply, Request

TOKEN = "li-test-token-0123456789"


def _error(status: int, code: str, message: str, service: int = 100) -> Reply:
    return Reply(
        status, {"status": status, "serviceErrorCode": service, "code": code, "message": message}
    )


@dataclass
class FakeLinkedin:
    token: str = TOKEN
    # organization id -> ACL elements
    acls: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    max_count: int = 2  # the server's own cap on `count`: pages of two
    server: ApiServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = ApiServer(auth=self._auth)
        self.server.route("GET", r"/rest/organizationAcls", self._acls)

    @property
    def url(self) -> str:
        return self.server.url

    def add(self, org: str, person: str, role: str, state: str = "APPROVED") -> None:
        self.acls.setdefault(org, []).append(
            {
                "organization": f"urn:li:organization:{org}",
                "roleAssignee": f"urn:li:person:{person}",
                "role": role,
                "state": state,
            }
        )

    def _auth(self, request: Request) -> Reply | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(
                401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired", 65601
            )
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return _error(400, "ILLEGAL_ARGUMENT", "missing X-Restli-Protocol-Version")
        if not (request.headers.get("linkedin-version") or "").isdigit():
            return _error(426, "VERSION_MISSING", "A version must be present")
        return None

    def _acls(self, request: Request) -> Reply:
        if request.arg("q") != "organization":
            return _error(400, "ILLEGAL_ARGUMENT", "unknown finder")
        urn = request.arg("organization") or ""
        org = urn.removeprefix("urn:li:organization:")
        if org not in self.acls:
            return _error(404, "NOT_FOUND", f"Organization {urn} not found")
        start = int(request.arg("start", "0") or 0)
        count = min(int(request.arg("count", "10") or 10), self.max_count)
        elements = self.acls[org]
        page = elements[start : start + count]
        return Reply(
            200,
            {
                "paging": {"start": start, "count": count, "total": len(elements), "links": []},
                "elements": page,
            },
        )


@pytest.fixture
def linkedin() -> Iterator[FakeLinkedin]:
    fake = FakeLinkedin()
    fake.server.start()
    try:
        yield fake
    finally:
        fake.server.stop()
