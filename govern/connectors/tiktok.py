"""TikTok Business Center: members read and removed through the TikTok API for Business.

    GET  {base}/open_api/v1.3/bc/member/get/?bc_id=...&page=1&page_size=50
    POST {base}/open_api/v1.3/bc/member/delete/   {"bc_id": ..., "user_id": ...}
    header: Access-Token: TOKEN

The Business Center is `organization.connectors.tiktok.bc_id`; a TikTok account governed
there is held by the Center's members. Each member is `{user_id, user_name, user_email,
user_role: ADMIN | STANDARD, relation_status: BOUND | PENDING | REJECTED}`: BOUND is access,
PENDING an invitation (not access), REJECTED nothing. Paging: `page`/`page_size` with
`data.page_info.total_page`.

Errors arrive as HTTP 200 with a non-zero `code` in the body (`{"code", "message",
"request_id", "data"}`), rate limiting included (40100): they are errors here, never an
empty member list.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import requests

from govern.connectors import ConnectorUnavailable, Holder, Settings, Unverifiable
from govern.connectors.http import Api, retry_after
from govern.inventory.model import Account

PAGE_SIZE = 50  # the documented maximum
# Documented body codes (TikTok API for Business, "Return codes").
THROTTLED = frozenset({40100, 40133, 50002})  # too many requests / QPS limits
REFUSED = frozenset({40104, 40105, 40102})  # access token empty, invalid, expired
FORBIDDEN = frozenset({40001, 40006})  # no permission
NOT_FOUND = frozenset({40002})  # a parameter error: an unknown bc_id


def _throttle(response: requests.Response, body: Any) -> float | None:
    if response.status_code == 429:
        return retry_after(response)
    if isinstance(body, dict) and body.get("code") in THROTTLED:
        return retry_after(response) or 1.0
    return None


def _describe(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return f"{body['message']} (code {body.get('code')})"
    return None


class TiktokConnector:
    namespace = "tiktok"
    title = "TikTok"

    def __init__(self, settings: Settings) -> None:
        tiktok = settings.connectors.tiktok
        self.bc_id = tiktok.bc_id if tiktok is not None else None
        self.page_size = PAGE_SIZE
        self.api = Api(
            settings.api_url,
            title=self.title,
            headers={"Access-Token": settings.token, "Accept": "application/json"},
            throttle=_throttle,
            describe_error=_describe,
            concurrency=settings.concurrency,
        )

    def _bc(self) -> str:
        if not self.bc_id:
            raise Unverifiable(
                "no Business Center: set organization.connectors.tiktok.bc_id in the inventory"
            )
        return self.bc_id

    def _data(self, response: requests.Response) -> dict[str, Any]:
        """`data` of a successful answer; the body's own `code` decides success."""
        body = self.api.json(response)
        if not isinstance(body, dict) or not isinstance(body.get("code"), int):
            raise ConnectorUnavailable(
                "TikTok: the answer has no numeric `code`", kind="bad-response"
            )
        code = body["code"]
        if code == 0:
            data = body.get("data")
            return data if isinstance(data, dict) else {}
        said = _describe(body) or f"code {code}"
        if code in REFUSED:
            raise ConnectorUnavailable(
                f"TikTok: the token was refused ({said})",
                kind="refused",
                hint="renew the token (GOVERN_TIKTOK_TOKEN or `govern creds set connector-tiktok`)",
            )
        if code in FORBIDDEN:
            raise ConnectorUnavailable(
                f"TikTok: the token lacks permission for the Business Center ({said})",
                kind="forbidden",
            )
        if code in NOT_FOUND:
            raise Unverifiable(f"Business Center {self.bc_id} not found ({said})")
        if code in THROTTLED:
            raise ConnectorUnavailable(f"TikTok: rate limited ({said})", kind="throttled")
        raise ConnectorUnavailable(f"TikTok: the request failed ({said})", kind="bad-response")

    def holders(self, account: Account) -> Sequence[Holder]:
        bc_id = self._bc()
        members: list[Holder] = []
        page = 1
        while True:
            response = self.api.get(
                "/open_api/v1.3/bc/member/get/",
                {"bc_id": bc_id, "page": page, "page_size": self.page_size},
            )
            if response.status_code == 404:
                raise Unverifiable(f"Business Center {bc_id} not found")
            data = self._data(response)
            items = data.get("list")
            if not isinstance(items, list):
                raise ConnectorUnavailable(
                    "TikTok: bc/member/get answered without a member list", kind="bad-response"
                )
            for item in items:
                holder = _holder(item)
                if holder is not None:
                    members.append(holder)
            info = data.get("page_info")
            total_page = info.get("total_page") if isinstance(info, dict) else None
            if not items or not isinstance(total_page, int) or page >= total_page:
                break
            page += 1
        return members

    def remove(self, account: Account, holder: Holder) -> None:
        # An invitation is withdrawn by email, a member removed by user id (bc/member/delete).
        body = (
            {"bc_id": self._bc(), "user_email": holder.email}
            if holder.pending and holder.email
            else {"bc_id": self._bc(), "user_id": holder.id}
        )
        response = self.api.post("/open_api/v1.3/bc/member/delete/", json=body)
        # 40002 (a parameter names no member): already gone. The caller re-reads the members
        # to confirm, so a wrong bc_id cannot pass for a removal.
        with contextlib.suppress(Unverifiable):
            self._data(response)


def _holder(item: Any) -> Holder | None:
    if not isinstance(item, dict) or not isinstance(item.get("user_id"), str | int):
        raise ConnectorUnavailable("TikTok: a member has no user_id", kind="bad-response")
    status = item.get("relation_status") or "BOUND"
    if status not in ("BOUND", "PENDING"):
        return None  # REJECTED: neither access nor an invitation
    role = item.get("user_role")
    name, email = item.get("user_name"), item.get("user_email")
    return Holder(
        id=str(item["user_id"]),
        roles=(role,) if isinstance(role, str) else (),
        name=name if isinstance(name, str) else None,
        email=email if isinstance(email, str) else None,
        pending=status == "PENDING",
    )


def connector(settings: Settings) -> TiktokConnector:
    return TiktokConnector(settings)


__all__ = ["TiktokConnector", "connector"]
