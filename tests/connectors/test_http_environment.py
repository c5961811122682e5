"""The connectors' HTTP session takes proxies from the environment (as requests does) but
never ~/.netrc: a netrc login for the API host would replace the platform token."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.connectors import ConnectorUnavailable, Settings, build
from govern.inventory.model import Account, Connectors
from tests.connectors.fake_linkedin import FakeLinkedin, linkedin

__all__ = ["linkedin"]

PAGE = Account(  # type: ignore[call-arg]
    id="li", entity="parish", platform="linkedin", handle="st-test", platform_id="777"
)


def connect(fake: FakeLinkedin):  # type: ignore[no-untyped-def]
    return build("linkedin", Settings(token=fake.token, api_url=fake.url, connectors=Connectors()))


@pytest.fixture(autouse=True)
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_a_netrc_login_for_the_api_host_does_not_replace_the_token(
    linkedin: FakeLinkedin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-the-token\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    linkedin.add("777", "head", "ADMINISTRATOR")
    holders = connect(linkedin).holders(PAGE)
    assert [h.id for h in holders] == ["urn:li:person:head"]
    sent = linkedin.server.sent("GET", "/rest/organizationAcls")[0]
    assert sent.headers["authorization"] == f"Bearer {linkedin.token}"


def test_the_proxy_from_the_environment_is_used(
    linkedin: FakeLinkedin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # discard port: nothing listens
    connector = connect(linkedin)
    connector.api.retries = 0
    with pytest.raises(ConnectorUnavailable) as caught:
        connector.holders(PAGE)
    assert caught.value.kind == "unreachable"
    assert linkedin.server.requests == []  # it went to the proxy, not to the server


def test_no_proxy_exempts_the_api_host(
    linkedin: FakeLinkedin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    linkedin.add("777", "head", "ADMINISTRATOR")
    assert len(connect(linkedin).holders(PAGE)) == 1
