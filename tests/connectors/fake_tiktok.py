"""A local TikTok API for Business: `bc/member/get` with page/page_size paging and
`bc/member/delete`, the `Access-Token` header, and errors the way TikTok sends them: HTTP 200
with a non-zero `code` in the body."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.apiserver import ApiServer, Reply, Request

TOKEN = "tt-test-token-abcdef0123"


def body(code: int, message: str, data: Any = None) -> Reply:
    return Reply(
        200,
        {"code": code, "message": message, "request_id": uuid.uuid4().hex, "data": data or {}},
    )


@dataclass
class FakeTiktok:
    token: str = TOKEN
    page_size_cap: int = 2
    # bc id -> members
    members: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    server: ApiServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = ApiServer(auth=self._auth)
        self.server.route("GET", r"/open_api/v1\.3/bc/member/get", self._get)
        self.server.route("POST", r"/open_api/v1\.3/bc/member/delete", self._delete)

    @property
    def url(self) -> str:
        return self.server.url

    def add(
        self,
        bc: str,
        user_id: str,
        role: str = "STANDARD",
        *,
        email: str = "",
        status: str = "BOUND",
        name: str = "",
    ) -> None:
        self.members.setdefault(bc, []).append(
            {
                "user_id": user_id,
                "user_name": name or user_id,
                "user_email": email,
                "user_role": role,
                "relation_status": status,
            }
        )

    def _auth(self, request: Request) -> Reply | None:
        token = request.headers.get("access-token")
        if not token:
            return body(40104, "Access token is null")
        if token != self.token:
            return body(40105, "Access token is incorrect or has been revoked.")
        return None

    def _get(self, request: Request) -> Reply:
        bc = request.arg("bc_id") or ""
        if bc not in self.members:
            return body(40002, f"bc_id {bc} does not exist")
        page = int(request.arg("page", "1") or 1)
        size = min(int(request.arg("page_size", "10") or 10), self.page_size_cap)
        items = self.members[bc]
        total_page = max(1, -(-len(items) // size))
        chunk = items[(page - 1) * size : page * size]
        return body(
            0,
            "OK",
            {
                "list": chunk,
                "page_info": {
                    "page": page,
                    "page_size": size,
                    "total_number": len(items),
                    "total_page": total_page,
                },
            },
        )

    def _delete(self, request: Request) -> Reply:
        data = request.json()
        bc = data.get("bc_id")
        if bc not in self.members:
            return body(40002, f"bc_id {bc} does not exist")
        before = len(self.members[bc])
        self.members[bc] = [
            m
            for m in self.members[bc]
            if not (
                ("user_id" in data and m["user_id"] == data["user_id"])
                or ("user_email" in data and m["user_email"] == data["user_email"])
            )
        ]
        if len(self.members[bc]) == before:
            return body(40002, "user not in the Business Center")
        return body(0, "OK")


@pytest.fixture
def tiktok() -> Iterator[FakeTiktok]:
    fake = FakeTiktok()
    fake.server.start()
    try:
        yield fake
    finally:
        fake.server.stop()
