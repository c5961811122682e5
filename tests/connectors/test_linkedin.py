"""The LinkedIn connector against a local server speaking organizationAcls: paging, states,
headers, errors; LinkedIn has no documented removal."""

from __future__ import annotations

import pytest

from govern.connectors import ConnectorUnavailable, Settings, Unverifiable, build
from govern.inventory.model import Account, Connectors
from tests.connectors.fake_linkedin import TOKEN, FakeLinkedin, linkedin

__all__ = ["linkedin"]


def page(platform_id: str | None = "777") -> Account:
    return Account(
        id="li", entity="parish", platform="linkedin", handle="st-test", platform_id=platform_id
    )


def connect(fake: FakeLinkedin, token: str = TOKEN):  # type: ignore[no-untyped-def]
    return build("linkedin", Settings(token=token, api_url=fake.url, connectors=Connectors()))


def test_reads_every_page_and_keeps_requests_apart_from_access(linkedin: FakeLinkedin) -> None:
    linkedin.add("777", "head", "ADMINISTRATOR")
    linkedin.add("777", "mgr", "CONTENT_ADMINISTRATOR")
    linkedin.add("777", "asker", "ADMINISTRATOR", state="REQUESTED")
    linkedin.add("777", "gone", "ADMINISTRATOR", state="REVOKED")
    linkedin.add("777", "analyst", "ANALYST")
    holders = connect(linkedin).holders(page("urn:li:organization:777"))
    assert [(h.id, h.roles, h.pending) for h in holders] == [
        ("urn:li:person:head", ("ADMINISTRATOR",), False),
        ("urn:li:person:mgr", ("CONTENT_ADMINISTRATOR",), False),
        ("urn:li:person:asker", ("ADMINISTRATOR",), True),
        ("urn:li:person:analyst", ("ANALYST",), False),
    ]
    gets = linkedin.server.sent("GET", "/rest/organizationAcls")
    assert len(gets) == 3  # five elements in pages of two
    assert [g.arg("start") for g in gets] == ["0", "2", "4"]
    assert {g.arg("organization") for g in gets} == {"urn:li:organization:777"}


def test_missing_platform_id_and_unknown_organization_are_unverifiable(
    linkedin: FakeLinkedin,
) -> None:
    with pytest.raises(Unverifiable, match="platform_id missing"):
        connect(linkedin).holders(page(None))
    with pytest.raises(Unverifiable, match="not found"):
        connect(linkedin).holders(page("404"))


def test_a_refused_token_is_a_backend_error_without_the_token(linkedin: FakeLinkedin) -> None:
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(linkedin, token="wrong-secret-token").holders(page())
    assert caught.value.kind == "refused" and caught.value.exit_code == 3
    assert "wrong-secret-token" not in caught.value.diagnostics()


def test_throttling_is_retried_then_answered(linkedin: FakeLinkedin) -> None:
    linkedin.add("777", "head", "ADMINISTRATOR")
    linkedin.server.fail(
        "GET",
        "/rest/organizationAcls",
        status=429,
        times=2,
        headers={"Retry-After": "0"},
        body={"status": 429, "message": "slow"},
    )
    assert [h.id for h in connect(linkedin).holders(page())] == ["urn:li:person:head"]


def test_malformed_answers_are_backend_errors(linkedin: FakeLinkedin) -> None:
    linkedin.server.fail("GET", "/rest/organizationAcls", status=200, body="<html>")
    with pytest.raises(ConnectorUnavailable, match="not JSON"):
        connect(linkedin).holders(page())
    linkedin.server.fail("GET", "/rest/organizationAcls", status=200, body={"elements": [{}]})
    with pytest.raises(ConnectorUnavailable, match="roleAssignee"):
        connect(linkedin).holders(page())


def test_there_is_no_documented_removal(linkedin: FakeLinkedin) -> None:
    from govern.connectors import SPECS, Holder

    assert SPECS["linkedin"].removes is False
    with pytest.raises(ConnectorUnavailable, match="no removal"):
        connect(linkedin).remove(page(), Holder(id="urn:li:person:x", roles=("ADMINISTRATOR",)))
    assert linkedin.server.sent("DELETE") == [] and linkedin.server.sent("POST") == []
