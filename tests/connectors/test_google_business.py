"""The Google Business Profile connector against a local Account Management API v1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from govern.connectors import (
    SPECS,
    ConnectorUnavailable,
    Holder,
    People,
    Settings,
    Unverifiable,
    api_url,
    build,
)
from govern.connectors.google_business import GoogleBusiness, service_account_token
from govern.drift.roles import RoleNames
from govern.errors import InputError, UsageError
from govern.inventory.load import load_inventory
from govern.inventory.model import Account, Connectors
from govern.platforms import builtin_catalog
from tests.connectors.fake_google_business import (
    GOOGLE_TOKEN_URI,
    SCOPE,
    FakeGoogleBusiness,
    fake_google,
)

PEM_BEGIN = "-----BEGIN " + "PRIVATE KEY-----"
PEM_END = "-----END " + "PRIVATE KEY-----"

__all__ = ["fake_google"]  # the fixture, imported for pytest

PLATFORM = "google-business"
INVENTORY = """\
version: 1
organization: {name: Test Diocese, domains: [diocese.test]}
people:
  - {id: head, name: Fr Head, email: head@diocese.test, level: A, trained_on: 2026-06-01}
  - id: maria
    name: Maria Santos
    email: maria@diocese.test
    level: C
    trained_on: 2026-06-01
    identities: {google: "5009"}
  - id: helper
    name: Site Helper
    email: helper@diocese.test
    level: C
    trained_on: 2026-06-01
    identities: {google: accounts/123/admins/5011}
  - {id: newbie, name: New Person, email: New.Person@diocese.test, level: C, trained_on: 2026-06-01}
entities:
  - {id: parish, name: St Test Parish, head: head, it: [head]}
accounts:
  - id: parish-google
    entity: parish
    platform: google-business
    handle: St Test Parish
    platform_id: "123"
    access:
      - {person: head, role: owner}
      - {person: maria, role: admin}
"""


def account(platform_id: str | None = "123") -> Account:
    return Account(
        id="parish-google",
        entity="parish",
        platform=PLATFORM,
        handle="St Test Parish",
        platform_id=platform_id,
    )


def connect(fake: FakeGoogleBusiness, token: str | None = None) -> GoogleBusiness:
    url = api_url(SPECS[PLATFORM], {"GOVERN_GOOGLE_API_URL": fake.url}, Connectors())
    connector = build(
        PLATFORM, Settings(token=token or fake.token, api_url=url, connectors=Connectors())
    )
    assert isinstance(connector, GoogleBusiness)
    return connector


def populate(fake: FakeGoogleBusiness) -> None:
    fake.add_admin("123", "1001", "Fr Head", "PRIMARY_OWNER")
    fake.add_admin("123", "5009", "Maria Santos", "MANAGER")
    fake.add_admin("123", "5010", "Unknown Person", "OWNER")
    fake.add_admin("123", "5011", "Site Helper", "SITE_MANAGER")
    fake.invite("123", "7001", "new.person@diocese.test", "MANAGER")


# --- reading ---------------------------------------------------------------------------------


def test_holders_read_every_admin_and_invitation_in_one_request(
    fake_google: FakeGoogleBusiness,
) -> None:
    populate(fake_google)
    holders = connect(fake_google).holders(account())
    assert holders == [
        Holder("1001", ("PRIMARY_OWNER",), name="Fr Head", handle="accounts/123/admins/1001"),
        Holder("5009", ("MANAGER",), name="Maria Santos", handle="accounts/123/admins/5009"),
        Holder("5010", ("OWNER",), name="Unknown Person", handle="accounts/123/admins/5010"),
        Holder("5011", ("SITE_MANAGER",), name="Site Helper", handle="accounts/123/admins/5011"),
        Holder(
            "7001",
            ("MANAGER",),
            email="new.person@diocese.test",
            pending=True,
            handle="accounts/123/admins/7001",
        ),
    ]
    (request,) = fake_google.listings  # admins.list has no paging: one request
    assert request.path == "/v1/accounts/123/admins"
    assert request.query == {}
    assert request.headers["authorization"] == f"Bearer {fake_google.token}"


def test_many_admins_come_in_one_response_without_page_tokens(
    fake_google: FakeGoogleBusiness,
) -> None:
    for n in range(250):
        fake_google.add_admin("123", str(9000 + n), f"Person {n}", "MANAGER")
    holders = connect(fake_google).holders(account())
    assert [h.id for h in holders] == [str(9000 + n) for n in range(250)]
    assert len(fake_google.listings) == 1


def test_platform_id_may_be_the_resource_name(fake_google: FakeGoogleBusiness) -> None:
    populate(fake_google)
    holders = connect(fake_google).holders(account("accounts/123"))
    assert len(holders) == 5
    assert [r.path for r in fake_google.listings] == ["/v1/accounts/123/admins"]


def test_an_account_without_admins_answers_an_empty_object(
    fake_google: FakeGoogleBusiness,
) -> None:
    fake_google.add_account("123")
    assert connect(fake_google).holders(account()) == []


def test_an_unset_role_is_reported_as_the_enum_zero_value(fake_google: FakeGoogleBusiness) -> None:
    fake_google.server.fail(
        "GET",
        r"/v1/accounts/123/admins",
        status=200,
        body={"accountAdmins": [{"name": "accounts/123/admins/1", "admin": "No Role"}]},
    )
    (holder,) = connect(fake_google).holders(account())
    assert holder.roles == ("ADMIN_ROLE_UNSPECIFIED",)
    assert holder.pending is False


def test_an_admin_that_is_a_group_account_is_named_by_it(fake_google: FakeGoogleBusiness) -> None:
    group = {"name": "accounts/123/admins/88", "account": "accounts/456", "role": "MANAGER"}
    fake_google.server.fail(
        "GET", r"/v1/accounts/123/admins", status=200, body={"accountAdmins": [group]}
    )
    (holder,) = connect(fake_google).holders(account())
    assert (holder.id, holder.name, holder.email) == ("88", "accounts/456", None)


def test_holders_match_people_by_identity_or_invited_email_never_by_name(
    fake_google: FakeGoogleBusiness, tmp_path: Path
) -> None:
    populate(fake_google)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY)
    loaded = load_inventory(inventory, builtin_catalog())
    people = People(loaded.inventory)
    matched = {h.id: people.match("google", h) for h in connect(fake_google).holders(account())}
    assert matched == {
        "1001": None,  # "Fr Head" is only a display name: a lookalike, not a match
        "5009": "maria",  # identities.google
        "5010": None,  # unknown to the inventory
        "5011": "helper",  # identities.google as the full resource name
        "7001": "newbie",  # the pending invitation's email
    }
    head = people.lookalike(Holder("1001", ("PRIMARY_OWNER",), name="Fr Head"))
    assert head is not None and head.id == "head"


def test_missing_platform_id_is_unverifiable(fake_google: FakeGoogleBusiness) -> None:
    with pytest.raises(Unverifiable, match="platform_id missing"):
        connect(fake_google).holders(account(None))
    assert fake_google.server.requests == []


def test_an_unknown_account_is_unverifiable(fake_google: FakeGoogleBusiness) -> None:
    populate(fake_google)
    with pytest.raises(Unverifiable, match=r"accounts/999 not found"):
        connect(fake_google).holders(account("999"))


# --- errors ----------------------------------------------------------------------------------


def test_a_refused_token_is_unavailable_without_the_token(
    fake_google: FakeGoogleBusiness,
) -> None:
    populate(fake_google)
    secret = "ya29.wrong-token-" + "x" * 20
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_google, token=secret).holders(account())
    assert caught.value.kind == "refused"
    assert caught.value.exit_code == 3
    assert "UNAUTHENTICATED" in str(caught.value)
    assert secret not in str(caught.value) and secret not in caught.value.diagnostics()


def test_permission_denied_is_forbidden(fake_google: FakeGoogleBusiness) -> None:
    populate(fake_google)
    fake_google.fail("GET", 403)
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_google).holders(account())
    assert caught.value.kind == "forbidden"
    assert "PERMISSION_DENIED" in str(caught.value)
    assert fake_google.token not in caught.value.diagnostics()
    assert len(fake_google.listings) == 1  # a real 403 is not retried


@pytest.mark.parametrize("retry_after", ["0", "1"])
def test_quota_exhausted_is_retried_after_retry_after(
    fake_google: FakeGoogleBusiness, retry_after: str
) -> None:
    populate(fake_google)
    fake_google.fail("GET", 429, headers={"Retry-After": retry_after})
    holders = connect(fake_google).holders(account())
    assert len(holders) == 5
    assert len(fake_google.listings) == 2


def test_quota_exhausted_without_retry_after_backs_off(fake_google: FakeGoogleBusiness) -> None:
    populate(fake_google)
    fake_google.fail("GET", 429, times=2)
    assert len(connect(fake_google).holders(account())) == 5
    assert len(fake_google.listings) == 3


def test_a_quota_403_is_throttling_not_permission(fake_google: FakeGoogleBusiness) -> None:
    populate(fake_google)
    body = {
        "error": {
            "code": 403,
            "message": "Rate Limit Exceeded",
            "errors": [{"domain": "usageLimits", "reason": "rateLimitExceeded"}],
        }
    }
    fake_google.fail("GET", 403, body=body, headers={"Retry-After": "0"})
    assert len(connect(fake_google).holders(account())) == 5
    assert len(fake_google.listings) == 2


@pytest.mark.parametrize(
    ("status", "kind", "said"),
    [(429, "throttled", "rate limited"), (503, "unreachable", "UNAVAILABLE")],
)
def test_failing_forever_gives_up_after_the_retries(
    fake_google: FakeGoogleBusiness, status: int, kind: str, said: str
) -> None:
    populate(fake_google)
    fake_google.fail("GET", status, times=100, headers={"Retry-After": "0"})
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_google).holders(account())
    assert caught.value.kind == kind
    assert said in str(caught.value)
    assert fake_google.token not in caught.value.diagnostics()
    assert len(fake_google.listings) == 5  # the first try and Api's 4 retries


def test_a_long_retry_after_is_not_waited_for(fake_google: FakeGoogleBusiness) -> None:
    populate(fake_google)
    fake_google.fail("GET", 429, headers={"Retry-After": "3600"})
    with pytest.raises(ConnectorUnavailable, match="retry in 3600 s") as caught:
        connect(fake_google).holders(account())
    assert caught.value.kind == "throttled"


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried(fake_google: FakeGoogleBusiness, status: int) -> None:
    populate(fake_google)
    fake_google.fail("GET", status, times=2, headers={"Retry-After": "0"})
    assert len(connect(fake_google).holders(account())) == 5
    assert len(fake_google.listings) == 3


@pytest.mark.parametrize(
    "body",
    [
        "<html><body>502 Bad Gateway</body></html>",
        '{"accountAdmins": [',
        [],
        {"accountAdmins": {"name": "accounts/123/admins/1"}},
        {"accountAdmins": ["accounts/123/admins/1"]},
        {"accountAdmins": [{"admin": "No Name", "role": "OWNER"}]},
        {"accountAdmins": [{"name": "locations/9/admins/1", "role": "OWNER"}]},
        {"accountAdmins": [{"name": "accounts/123/admins/1", "role": 2}]},
        {"accountAdmins": [{"name": "accounts/123/admins/1", "pendingInvitation": "yes"}]},
        {"accountAdmins": [{"name": "accounts/123/admins/1", "admin": ["A", "B"]}]},
    ],
)
def test_malformed_answers_are_bad_responses(fake_google: FakeGoogleBusiness, body: object) -> None:
    fake_google.server.fail("GET", r"/v1/accounts/123/admins", status=200, body=body)
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_google).holders(account())
    assert caught.value.kind == "bad-response"
    assert caught.value.exit_code == 3


def test_a_timeout_is_retried_then_unreachable(fake_google: FakeGoogleBusiness) -> None:
    populate(fake_google)
    fake_google.fail("GET", 200, body={}, delay=1.0, times=100)
    connector = connect(fake_google)
    connector.api.timeout = (1.0, 0.2)
    connector.api.retries = 1
    with pytest.raises(ConnectorUnavailable, match="timed out") as caught:
        connector.holders(account())
    assert caught.value.kind == "unreachable"
    assert fake_google.url in str(caught.value)
    assert fake_google.token not in caught.value.diagnostics()


def test_a_timeout_then_an_answer_succeeds(fake_google: FakeGoogleBusiness) -> None:
    populate(fake_google)
    fake_google.fail("GET", 200, body={}, delay=1.0)
    connector = connect(fake_google)
    connector.api.timeout = (1.0, 0.2)
    assert len(connector.holders(account())) == 5


def test_an_unreachable_api_names_the_address() -> None:
    fake = FakeGoogleBusiness().start()
    fake.stop()  # nothing listens there any more
    connector = connect(fake)
    connector.api.retries = 0
    with pytest.raises(ConnectorUnavailable, match=r"cannot reach http://127\.0\.0\.1") as caught:
        connector.holders(account())
    assert caught.value.kind == "unreachable"


# --- removal ---------------------------------------------------------------------------------


def test_remove_sends_one_delete_and_the_reread_shows_them_gone(
    fake_google: FakeGoogleBusiness,
) -> None:
    populate(fake_google)
    connector = connect(fake_google)
    maria = next(h for h in connector.holders(account()) if h.id == "5009")
    connector.remove(account(), maria)
    (request,) = fake_google.removals
    assert request.path == "/v1/accounts/123/admins/5009"
    assert request.headers["authorization"] == f"Bearer {fake_google.token}"
    assert "5009" not in [h.id for h in connector.holders(account())]


def test_remove_a_pending_invitation(fake_google: FakeGoogleBusiness) -> None:
    populate(fake_google)
    connector = connect(fake_google)
    invited = next(h for h in connector.holders(account()) if h.pending)
    connector.remove(account(), invited)
    assert [r.path for r in fake_google.removals] == ["/v1/accounts/123/admins/7001"]
    assert not any(h.pending for h in connector.holders(account()))


def test_remove_by_id_alone_builds_the_resource_name(fake_google: FakeGoogleBusiness) -> None:
    populate(fake_google)
    connect(fake_google).remove(account("accounts/123"), Holder("5010", ("OWNER",)))
    assert [r.path for r in fake_google.removals] == ["/v1/accounts/123/admins/5010"]


def test_removing_someone_already_gone_succeeds(fake_google: FakeGoogleBusiness) -> None:
    populate(fake_google)
    connector = connect(fake_google)
    gone = Holder("4242", ("MANAGER",), handle="accounts/123/admins/4242")
    connector.remove(account(), gone)  # 404 NOT_FOUND: already gone
    assert len(fake_google.removals) == 1


def test_a_failed_removal_is_sent_once(fake_google: FakeGoogleBusiness) -> None:
    populate(fake_google)
    fake_google.fail("DELETE", 503, headers={"Retry-After": "0"})
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_google).remove(account(), Holder("5009", ("MANAGER",)))
    assert caught.value.kind == "unreachable"
    assert len(fake_google.removals) == 1
    assert fake_google.token not in caught.value.diagnostics()


@pytest.mark.parametrize(("status", "kind"), [(401, "refused"), (403, "forbidden")])
def test_a_refused_removal_is_unavailable(
    fake_google: FakeGoogleBusiness, status: int, kind: str
) -> None:
    populate(fake_google)
    fake_google.fail("DELETE", status)
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_google).remove(account(), Holder("5009", ("MANAGER",)))
    assert caught.value.kind == kind
    assert len(fake_google.removals) == 1
    assert "5009" in [h.id for h in connect(fake_google).holders(account())]


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("PRIMARY_OWNER", "owner"),
        ("OWNER", "owner"),
        ("MANAGER", "admin"),
        ("SITE_MANAGER", "editor"),
    ],
)
def test_the_api_role_names_resolve(name: str, role: str) -> None:
    assert RoleNames(builtin_catalog()).resolve(PLATFORM, name) == role


def test_the_unspecified_role_does_not_resolve() -> None:
    assert RoleNames(builtin_catalog()).resolve(PLATFORM, "ADMIN_ROLE_UNSPECIFIED") is None


# --- service accounts ------------------------------------------------------------------------


def test_a_service_account_key_is_exchanged_for_a_token(
    fake_google: FakeGoogleBusiness, tmp_path: Path
) -> None:
    populate(fake_google)
    key = fake_google.service_account_key(tmp_path)
    token = service_account_token({"GOOGLE_APPLICATION_CREDENTIALS": str(key)})
    assert token == "ya29.service-account-1"
    (claims,) = fake_google.assertions  # signed with the key, verified by the token server
    assert claims["iss"] == fake_google.client_email
    assert claims["scope"] == SCOPE
    assert claims["aud"] in (GOOGLE_TOKEN_URI, fake_google.token_uri)
    assert [r.path for r in fake_google.server.sent("POST")] == ["/token"]  # the key's token_uri
    holders = connect(fake_google, token=token).holders(account())
    assert len(holders) == 5


def test_govern_google_credentials_wins(fake_google: FakeGoogleBusiness, tmp_path: Path) -> None:
    key = fake_google.service_account_key(tmp_path)
    env = {"GOVERN_GOOGLE_CREDENTIALS": str(key), "GOOGLE_APPLICATION_CREDENTIALS": "/nowhere"}
    assert service_account_token(env) == "ya29.service-account-1"


def test_a_token_in_the_environment_wins(fake_google: FakeGoogleBusiness, tmp_path: Path) -> None:
    key = fake_google.service_account_key(tmp_path)
    env = {"GOVERN_GOOGLE_TOKEN": "ya29.env", "GOOGLE_APPLICATION_CREDENTIALS": str(key)}
    assert service_account_token(env) is None
    assert service_account_token({}) is None
    assert fake_google.server.requests == []


def test_a_key_the_token_server_refuses(fake_google: FakeGoogleBusiness, tmp_path: Path) -> None:
    key = fake_google.service_account_key(tmp_path)
    info = json.loads(key.read_text())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info["private_key"] = other.private_bytes(  # a key the token server does not know
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key.write_text(json.dumps(info))
    with pytest.raises(ConnectorUnavailable) as caught:
        service_account_token({"GOOGLE_APPLICATION_CREDENTIALS": str(key)})
    assert caught.value.kind == "refused"
    assert "invalid_grant" in str(caught.value)
    assert "PRIVATE KEY" not in caught.value.diagnostics()
    assert fake_google.issued == []


def test_a_failing_token_server(fake_google: FakeGoogleBusiness, tmp_path: Path) -> None:
    key = fake_google.service_account_key(tmp_path)
    fake_google.server.fail(
        "POST", "/token", status=503, body={"error": "internal_failure"}, times=9
    )
    with pytest.raises(ConnectorUnavailable, match="kept failing") as caught:
        service_account_token({"GOOGLE_APPLICATION_CREDENTIALS": str(key)})
    assert caught.value.kind == "unreachable"
    assert len(fake_google.server.sent("POST", "/token")) == 3  # google-auth's own retries


def test_an_unreachable_token_server(tmp_path: Path) -> None:
    fake = FakeGoogleBusiness().start()
    key = fake.service_account_key(tmp_path)
    fake.stop()
    with pytest.raises(ConnectorUnavailable, match=r"cannot reach http://127\.0\.0\.1") as caught:
        service_account_token({"GOOGLE_APPLICATION_CREDENTIALS": str(key)})
    assert caught.value.kind == "unreachable"


def test_a_missing_key_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(UsageError, match="cannot read the service-account key") as caught:
        service_account_token({"GOVERN_GOOGLE_CREDENTIALS": str(missing)})
    assert caught.value.exit_code == 2
    assert "GOVERN_GOOGLE_CREDENTIALS" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('{"type": "service_account",\n  "private_key": "-----BEGIN', ":2:", "not valid JSON"),
        (
            '{"type": "authorized_user"}',
            ":1:1:",
            "not a service-account key (type 'authorized_user')",
        ),
        ('{"type": "service_account"}', ":1:1:", "not a usable service-account key"),
        (
            '{"type": "service_account", "client_email": "a@b", "token_uri": "http://x/t",'
            ' "private_key":'
            # A PEM-shaped fake (base64 of "secret"), split so no scanner takes it for a key.
            f' "{PEM_BEGIN}\\nc2VjcmV0\\n{PEM_END}\\n"}}',
            ":1:1:",
            "not a usable service-account key",
        ),
    ],
)
def test_a_bad_key_file_is_an_input_error(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = tmp_path / "key.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        service_account_token({"GOOGLE_APPLICATION_CREDENTIALS": str(path)})
    rendered = caught.value.diagnostics()
    assert f"{path}{where}" in rendered
    assert message in rendered
    assert "c2VjcmV0" not in rendered and "BEGIN" not in rendered
    assert caught.value.exit_code == 2
