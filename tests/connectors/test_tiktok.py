"""The TikTok connector against a local server speaking the Business Center member API:
paging, body-level errors (HTTP 200 with a code), throttling, removal."""

from __future__ import annotations

import pytest

from govern.connectors import ConnectorUnavailable, Settings, Unverifiable, build
from govern.inventory.model import Account, Connectors, TiktokConnector
from tests.connectors.fake_tiktok import TOKEN, FakeTiktok, tiktok

__all__ = ["tiktok"]

ACCOUNT = Account(id="tt", entity="parish", platform="tiktok", handle="@sttest")


def connect(fake: FakeTiktok, token: str = TOKEN, bc_id: str | None = "bc1"):  # type: ignore[no-untyped-def]
    return build(
        "tiktok",
        Settings(
            token=token,
            api_url=fake.url,
            connectors=Connectors(tiktok=TiktokConnector(bc_id=bc_id)),
        ),
    )


def test_members_across_pages_with_invitations_apart(tiktok: FakeTiktok) -> None:
    tiktok.add("bc1", "101", "ADMIN", email="head@diocese.test")
    tiktok.add("bc1", "102", "STANDARD", email="mgr@diocese.test")
    tiktok.add("bc1", "103", "STANDARD", email="new@diocese.test", status="PENDING")
    tiktok.add("bc1", "104", "ADMIN", status="REJECTED")
    tiktok.add("bc1", "105", "STANDARD", email="x@gmail.com")
    holders = connect(tiktok).holders(ACCOUNT)
    assert [(h.id, h.roles, h.email, h.pending) for h in holders] == [
        ("101", ("ADMIN",), "head@diocese.test", False),
        ("102", ("STANDARD",), "mgr@diocese.test", False),
        ("103", ("STANDARD",), "new@diocese.test", True),
        ("105", ("STANDARD",), "x@gmail.com", False),
    ]
    pages = [r.arg("page") for r in tiktok.server.sent("GET")]
    assert pages == ["1", "2", "3"]


def test_body_level_errors_are_errors_not_empty_lists(tiktok: FakeTiktok) -> None:
    with pytest.raises(ConnectorUnavailable) as refused:
        connect(tiktok, token="not-the-secret-token").holders(ACCOUNT)
    assert refused.value.kind == "refused"
    assert "not-the-secret-token" not in refused.value.diagnostics()
    with pytest.raises(Unverifiable, match="not found"):
        connect(tiktok, bc_id="nope").holders(ACCOUNT)
    with pytest.raises(Unverifiable, match="bc_id"):
        connect(tiktok, bc_id=None).holders(ACCOUNT)


def test_rate_limiting_in_the_body_is_retried(tiktok: FakeTiktok) -> None:
    tiktok.add("bc1", "101", "ADMIN")
    tiktok.server.fail(
        "GET",
        r"/open_api/v1\.3/bc/member/get",
        status=200,
        times=2,
        body={"code": 40100, "message": "Too many requests", "data": {}},
        headers={"Retry-After": "0"},
    )
    assert [h.id for h in connect(tiktok).holders(ACCOUNT)] == ["101"]
    tiktok.server.fail(
        "GET",
        r"/open_api/v1\.3/bc/member/get",
        status=200,
        times=10,
        body={"code": 40100, "message": "Too many requests", "data": {}},
        headers={"Retry-After": "0"},
    )
    with pytest.raises(ConnectorUnavailable) as throttled:
        connect(tiktok).holders(ACCOUNT)
    assert throttled.value.kind == "throttled"


def test_a_body_without_a_code_is_a_bad_response(tiktok: FakeTiktok) -> None:
    tiktok.server.fail("GET", r"/open_api/v1\.3/bc/member/get", status=200, body={"data": {}})
    with pytest.raises(ConnectorUnavailable, match="code"):
        connect(tiktok).holders(ACCOUNT)


def test_removal_is_one_request_and_already_gone_is_fine(tiktok: FakeTiktok) -> None:
    tiktok.add("bc1", "101", "ADMIN")
    tiktok.add("bc1", "102", "STANDARD")
    connector = connect(tiktok)
    gone = next(h for h in connector.holders(ACCOUNT) if h.id == "102")
    connector.remove(ACCOUNT, gone)
    assert [r.json() for r in tiktok.server.sent("POST")] == [{"bc_id": "bc1", "user_id": "102"}]
    assert [h.id for h in connector.holders(ACCOUNT)] == ["101"]
    connector.remove(ACCOUNT, gone)  # already gone: no error
