"""LinkedIn Company Pages: role holders from the Community Management API (read only).

    GET {base}/rest/organizationAcls?q=organization&organization=urn:li:organization:{id}
        &start=0&count=100
    headers: Authorization: Bearer TOKEN, LinkedIn-Version: YYYYMM,
             X-Restli-Protocol-Version: 2.0.0

Each element is `{roleAssignee: urn:li:person:..., role: ADMINISTRATOR | ..., state:
APPROVED | REQUESTED | REJECTED | REVOKED, organization}`. Only APPROVED is access; REQUESTED
is a request (reported as pending, never as access); REJECTED and REVOKED are history.
Paging is Rest.li's `start`/`count` with `paging.total` when the server gives it.

The documented API offers no way to remove a role holder: `govern revoke` keeps the manual
checklist entry with the admin URL for LinkedIn pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

from govern.connectors import ConnectorUnavailable, Holder, Settings, Unverifiable
from govern.connectors.http import Api, retry_after
from govern.inventory.model import Account

# The Marketing API version sent in `LinkedIn-Version` (YYYYMM); LinkedIn sunsets versions
# after a year, so it is overridable without a release: GOVERN_LINKEDIN_VERSION.
LINKEDIN_VERSION = "202511"
PAGE_SIZE = 100
_ORG = "urn:li:organization:"


def organization_urn(account: Account) -> str:
    value = (account.platform_id or "").strip()
    if not value:
        raise Unverifiable(
            "platform_id missing: add the Company Page's organization id (the number in "
            "https://www.linkedin.com/company/ID/admin/) to the account"
        )
    return value if value.startswith(_ORG) else _ORG + value


def _describe(body: Any) -> str | None:
    if isinstance(body, dict):
        message = body.get("message")
        code = body.get("code") or body.get("serviceErrorCode")
        if isinstance(message, str):
            return f"{message} ({code})" if code else message
    return None


def _throttle(response: requests.Response, _body: Any) -> float | None:
    if response.status_code == 429:
        return retry_after(response)
    return None


class LinkedinConnector:
    namespace = "linkedin"
    title = "LinkedIn"

    def __init__(self, settings: Settings, version: str = LINKEDIN_VERSION) -> None:
        self.page_size = PAGE_SIZE
        self.api = Api(
            settings.api_url,
            title=self.title,
            headers={
                "Authorization": f"Bearer {settings.token}",
                "LinkedIn-Version": version,
                "X-Restli-Protocol-Version": "2.0.0",
                "Accept": "application/json",
            },
            throttle=_throttle,
            describe_error=_describe,
            concurrency=settings.concurrency,
        )

    def holders(self, account: Account) -> Sequence[Holder]:
        organization = organization_urn(account)
        holders: list[Holder] = []
        start = 0
        while True:
            response = self.api.get(
                "/rest/organizationAcls",
                {
                    "q": "organization",
                    "organization": organization,
                    "start": start,
                    "count": self.page_size,
                },
            )
            if response.status_code == 404:
                raise Unverifiable(f"organization {organization} not found")
            body = self.api.json(response)
            elements = body.get("elements") if isinstance(body, dict) else None
            if not isinstance(elements, list):
                raise ConnectorUnavailable(
                    "LinkedIn: organizationAcls answered without an `elements` list",
                    kind="bad-response",
                )
            for element in elements:
                holder = _holder(element)
                if holder is not None:
                    holders.append(holder)
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            total = paging.get("total")
            start += len(elements)
            if not elements:
                break
            # With `total`, page until it is reached (a server may return fewer elements than
            # asked for); without it, a short page is the last.
            if isinstance(total, int) and not isinstance(total, bool):
                if start >= total:
                    break
            elif len(elements) < self.page_size:
                break
        return holders

    def remove(self, account: Account, holder: Holder) -> None:
        raise ConnectorUnavailable(
            "LinkedIn's API offers no removal of a page admin: remove them on the admin page",
            kind="bad-response",
        )


def _holder(element: Any) -> Holder | None:
    if not isinstance(element, dict):
        raise ConnectorUnavailable("LinkedIn: an ACL element is not an object", kind="bad-response")
    assignee, role, state = element.get("roleAssignee"), element.get("role"), element.get("state")
    if not isinstance(assignee, str) or not isinstance(role, str):
        raise ConnectorUnavailable(
            "LinkedIn: an ACL element lacks roleAssignee or role", kind="bad-response"
        )
    state = state if isinstance(state, str) else "APPROVED"
    if state == "APPROVED":
        return Holder(id=assignee, roles=(role,))
    if state == "REQUESTED":
        return Holder(id=assignee, roles=(role,), pending=True)
    return None  # REJECTED, REVOKED: not access, not a request


def connector(settings: Settings) -> LinkedinConnector:
    import os

    return LinkedinConnector(
        settings, os.environ.get("GOVERN_LINKEDIN_VERSION") or LINKEDIN_VERSION
    )


__all__ = ["LINKEDIN_VERSION", "LinkedinConnector", "connector", "organization_urn"]
