"""The Meta connector against a local Graph API (tests/connectors/fake_meta.py): holders of
Facebook Pages and Instagram accounts across pages, emails from business_users, removal,
and every failure the Graph API documents, with the token never in a message."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from govern.connectors import (
    META_GRAPH_VERSION,
    SPECS,
    Connector,
    ConnectorUnavailable,
    Holder,
    Settings,
    Unverifiable,
    build,
)
from govern.connectors.meta import DEFAULT_URL, GRAPH_VERSION, GraphConnector, regain_minutes
from govern.drift.roles import RoleNames
from govern.inventory.model import Account, Connectors, MetaConnector
from govern.platforms import builtin_catalog
from tests.connectors.fake_meta import TOKEN, FakeMeta, error_body, fake_meta

__all__ = ["fake_meta"]

BUSINESS = "5550001"
PAGE = "7770001"
INSTAGRAM = "17841400000000001"


def settings(fake: FakeMeta, *, token: str = TOKEN, business: str | None = BUSINESS) -> Settings:
    return Settings(
        token=token,
        api_url=fake.url,
        connectors=Connectors(meta=MetaConnector(business_id=business)),
    )


def connect(fake: FakeMeta, platform: str = "facebook", **kwargs: object) -> GraphConnector:
    connector = build(platform, settings(fake, **kwargs))  # type: ignore[arg-type]
    assert isinstance(connector, GraphConnector)
    return connector


def account(platform_id: str | None = PAGE, platform: str = "facebook") -> Account:
    return Account(
        id=f"st-mary-{platform}",
        entity="st-mary",
        platform=platform,
        handle="stmaryparish",
        platform_id=platform_id,
    )


def diocese(fake: FakeMeta) -> None:
    """Five people on the Page (three pages of two), four of them known to the portfolio
    (business_users: two pages), an Instagram account with two holders."""
    fake.business(
        BUSINESS,
        [
            ("1001", "Ana Reyes", "ana@diocese.example"),
            ("1002", "Ben Okafor", "ben@diocese.example"),
            ("1003", "Carla Diaz", None),
            ("1004", "Dan Wu", "dan@diocese.example"),
        ],
    )
    fake.asset(PAGE, business=BUSINESS)
    fake.assign(PAGE, "1001", ["MANAGE", "CREATE_CONTENT", "MODERATE", "ADVERTISE", "ANALYZE"])
    fake.assign(PAGE, "1002", ["CREATE_CONTENT", "MODERATE", "MESSAGING"])
    fake.assign(PAGE, "1003", ["ANALYZE"])
    fake.assign(PAGE, "1004", ["ADVERTISE", "ANALYZE"])
    fake.assign(PAGE, "2999", ["MANAGE"], system=True)  # a system user: not a business user
    fake.asset(INSTAGRAM, business=BUSINESS, kind="instagram")
    fake.assign(INSTAGRAM, "1001", ["CONTENT", "MESSAGES", "COMMUNITY_ACTIVITY", "ANALYZE"])
    fake.assign(INSTAGRAM, "1004", ["ADVERTISE"])


def by_id(holders: object) -> dict[str, Holder]:
    assert isinstance(holders, list)
    return {h.id: h for h in holders}


# --- reading holders ----------------------------------------------------------------------


def test_reads_every_holder_across_pages_with_tasks_and_emails(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    holders = by_id(connect(fake_meta).holders(account()))

    assert set(holders) == {"1001", "1002", "1003", "1004", "2999"}
    ana = holders["1001"]
    assert ana.roles == ("MANAGE", "CREATE_CONTENT", "MODERATE", "ADVERTISE", "ANALYZE")
    assert (ana.name, ana.email, ana.pending) == ("Ana Reyes", "ana@diocese.example", False)
    assert holders["1003"].email is None  # business_users gives no email for Carla
    assert holders["1002"].roles == ("CREATE_CONTENT", "MODERATE", "MESSAGING")

    pages = fake_meta.server.sent("GET", r".*/assigned_users")
    assert len(pages) == 3  # 5 holders, pages of 2: paging.next followed until absent
    assert [r.arg("after") is not None for r in pages] == [False, True, True]
    first = pages[0]
    assert first.path == f"/{META_GRAPH_VERSION}/{PAGE}/assigned_users"
    assert first.arg("business") == BUSINESS
    assert first.arg("fields") == "id,name,tasks,permitted_tasks,user_type"
    assert len(fake_meta.server.sent("GET", r".*/business_users")) == 2


def test_an_unknown_holder_is_reported_with_what_graph_gives(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    holders = by_id(connect(fake_meta).holders(account()))
    outsider = holders["2999"]  # assigned, but not a person of the portfolio
    assert outsider.roles == ("MANAGE",)
    assert outsider.email is None
    assert outsider.name == "User 2999"


def test_instagram_uses_the_same_edges_with_its_own_tasks(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    connector = connect(fake_meta, "instagram")
    assert (connector.namespace, SPECS["instagram"].namespace) == ("meta", "meta")
    holders = by_id(connector.holders(account(INSTAGRAM, "instagram")))
    assert holders["1001"].roles == ("CONTENT", "MESSAGES", "COMMUNITY_ACTIVITY", "ANALYZE")
    assert holders["1004"].email == "dan@diocese.example"
    assert fake_meta.server.sent("GET", rf".*/{INSTAGRAM}/assigned_users")


def test_the_token_travels_in_the_authorization_header_only(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    connect(fake_meta).holders(account())
    assert fake_meta.requests
    for request in fake_meta.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert "access_token" not in request.query
        assert TOKEN not in str(request.query)


def test_business_users_are_listed_once_per_run_across_threads(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    for n in range(6):
        fake_meta.asset(f"88800{n}", business=BUSINESS)
        fake_meta.assign(f"88800{n}", "1002", ["MANAGE"])
    connector = connect(fake_meta)
    accounts = [account(f"88800{n}") for n in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(connector.holders, accounts))
    assert all(by_id(r)["1002"].email == "ben@diocese.example" for r in results)
    # one listing of the portfolio (two pages of two), not one per asset
    assert len(fake_meta.server.sent("GET", r".*/business_users")) == 2


def test_pending_portfolio_invitations_are_not_access_to_an_asset(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    fake_meta.invite(BUSINESS, "newcomer@diocese.example")
    holders = connect(fake_meta).holders(account())
    assert all(h.email != "newcomer@diocese.example" for h in holders)
    assert not any(h.pending for h in holders)


def test_the_version_constant_is_the_catalog_default(fake_meta: FakeMeta) -> None:
    assert GRAPH_VERSION == META_GRAPH_VERSION
    assert DEFAULT_URL == SPECS["facebook"].default_url == SPECS["instagram"].default_url
    assert fake_meta.url.endswith("/" + GRAPH_VERSION)


def test_the_connector_satisfies_the_protocol(fake_meta: FakeMeta) -> None:
    connector: Connector = connect(fake_meta)
    assert (connector.namespace, connector.title) == ("meta", "Meta")


def test_a_server_reading_only_the_parameter_gets_the_token_there() -> None:
    fake = FakeMeta(header_auth=False).start()
    try:
        diocese(fake)
        connector = connect(fake)
        assert len(connector.holders(account())) == 5
        assert len(connector.holders(account(INSTAGRAM, "instagram"))) == 2
        first, *rest = fake.requests
        assert "access_token" not in first.query  # the header was tried first, and refused
        assert rest and all(r.arg("access_token") == TOKEN for r in rest)
        assert all("authorization" not in r.headers for r in rest)
        assert len(rest) == 2 + 3 + 1  # business_users x2, assigned_users x3, Instagram x1
    finally:
        fake.stop()


def test_a_bad_token_is_tried_once_each_way_then_refused(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    connector = connect(fake_meta, token="EAABbad")
    for _ in range(2):
        with pytest.raises(ConnectorUnavailable) as caught:
            connector.holders(account())
        assert caught.value.kind == "refused"
    assert len(fake_meta.requests) == 3  # header, parameter; then the parameter only


def test_once_the_header_worked_a_refusal_is_final(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    connector = connect(fake_meta)
    connector.holders(account())
    seen = len(fake_meta.requests)
    body = error_body(
        190, "Error validating access token: The session has been invalidated", subcode=460
    )
    fake_meta.fail("GET", "assigned_users", status=400, body=body, times=5)
    with pytest.raises(ConnectorUnavailable) as caught:
        connector.holders(account())
    assert caught.value.kind == "refused"
    assert len(fake_meta.requests) == seen + 1
    assert all("access_token" not in r.query for r in fake_meta.requests)


# --- unverifiable accounts ------------------------------------------------------------------


def test_no_business_id_is_unverifiable_with_the_setting_to_add(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    connector = connect(fake_meta, business=None)
    with pytest.raises(Unverifiable) as caught:
        connector.holders(account())
    assert "organization.connectors.meta.business_id" in caught.value.reason
    assert fake_meta.requests == []


def test_no_platform_id_is_unverifiable(fake_meta: FakeMeta) -> None:
    with pytest.raises(Unverifiable, match="platform_id missing"):
        connect(fake_meta).holders(account(None))
    assert fake_meta.requests == []


def test_an_asset_graph_does_not_know_is_unverifiable(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    with pytest.raises(Unverifiable) as caught:
        connect(fake_meta).holders(account("7770099"))
    assert "7770099" in caught.value.reason
    assert "not found" in caught.value.reason


def test_an_http_404_is_unverifiable(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    fake_meta.fail("GET", "assigned_users", status=404, body={"error": {"message": "gone"}})
    with pytest.raises(Unverifiable, match="not found"):
        connect(fake_meta).holders(account())


# --- the token, permissions, throttling, failures -------------------------------------------


def test_a_refused_token_is_connector_unavailable_without_the_token(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    secret = "EAABwrongTokenThatMustNotLeak42"
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_meta, token=secret).holders(account())
    assert caught.value.kind == "refused"
    assert caught.value.exit_code == 3
    # the fake echoes the malformed token in its message, as Graph does
    assert secret not in _everything(caught.value)
    assert "code 190" in str(caught.value)


def test_a_token_refused_with_http_401_is_refused(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    body = error_body(190, "Error validating access token: Session has expired", subcode=463)
    fake_meta.fail("GET", "business_users", status=401, body=body, times=2)
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_meta).holders(account())
    assert caught.value.kind == "refused"
    assert len(fake_meta.server.sent("GET")) == 2  # the header, then the parameter


def test_a_missing_permission_is_forbidden(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    fake_meta.denied.add("assigned_users")
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_meta).holders(account())
    assert caught.value.kind == "forbidden"
    assert "code 200" in str(caught.value)


def test_permission_error_with_http_400_is_forbidden(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    body = error_body(10, "(#10) Application does not have permission for this action")
    fake_meta.fail("GET", "assigned_users", status=400, body=body)
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_meta).holders(account())
    assert caught.value.kind == "forbidden"


def test_http_429_is_retried_after_retry_after(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    fake_meta.fail("GET", "assigned_users", status=429, headers={"Retry-After": "0"}, times=2)
    assert len(connect(fake_meta).holders(account())) == 5
    assert len(fake_meta.server.sent("GET", r".*/assigned_users")) == 5  # 2 refused + 3 pages


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001, 80014])
def test_graph_throttling_codes_wait_for_the_usage_header(fake_meta: FakeMeta, code: int) -> None:
    diocese(fake_meta)
    usage = (
        f'{{"{BUSINESS}": [{{"type": "pages", "call_count": 100, "total_cputime": 10, '
        '"total_time": 10, "estimated_time_to_regain_access": 0}]}'
    )
    body = error_body(code, "(#80001) There have been too many calls to this Page account.")
    fake_meta.fail(
        "GET",
        "assigned_users",
        status=400,
        body=body,
        headers={"X-Business-Use-Case-Usage": usage},
    )
    assert len(connect(fake_meta).holders(account())) == 5
    assert len(fake_meta.server.sent("GET", r".*/assigned_users")) == 4


def test_throttling_longer_than_the_wait_limit_is_throttled_at_once(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    body = error_body(4, "(#4) Application request limit reached")
    fake_meta.fail(
        "GET",
        "business_users",
        status=400,
        body=body,
        times=10,
        headers={
            "X-App-Usage": '{"call_count": 100, "total_time": 20, "total_cputime": 20, '
            '"estimated_time_to_regain_access": 15}'
        },
    )
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_meta).holders(account())
    assert caught.value.kind == "throttled"
    assert "retry in 900 s" in str(caught.value)
    assert len(fake_meta.server.sent("GET", r".*/business_users")) == 1


def test_usage_headers_are_read_as_documented() -> None:
    buc = (
        '{"1": [{"type": "pages", "estimated_time_to_regain_access": 3}], '
        '"2": [{"type": "instagram", "estimated_time_to_regain_access": 7}]}'
    )
    assert regain_minutes({"X-Business-Use-Case-Usage": buc}) == 7.0
    assert regain_minutes({"X-App-Usage": '{"call_count": 5}'}) is None
    assert regain_minutes({"X-App-Usage": "not json"}) is None
    assert regain_minutes({}) is None


def test_server_errors_are_retried_then_succeed(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    body = error_body(
        2, "An unexpected error has occurred. Please retry your request later.", is_transient=True
    )
    fake_meta.fail(
        "GET", "assigned_users", status=500, body=body, headers={"Retry-After": "0"}, times=2
    )
    assert len(connect(fake_meta).holders(account())) == 5


def test_server_errors_forever_make_the_platform_unavailable(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    fake_meta.fail(
        "GET",
        "assigned_users",
        status=503,
        body="upstream down",
        headers={"Retry-After": "0"},
        times=50,
    )
    connector = connect(fake_meta)
    with pytest.raises(ConnectorUnavailable) as caught:
        connector.holders(account())
    assert caught.value.kind == "unreachable"
    assert len(fake_meta.server.sent("GET", r".*/assigned_users")) == connector.api.retries + 1


def test_malformed_json_is_a_bad_response(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    fake_meta.fail("GET", "assigned_users", status=200, body=b'{"data": [{"id": "1001", ')
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_meta).holders(account())
    assert caught.value.kind == "bad-response"


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"id": "1001"}},
        {"data": [{"name": "no id"}]},
        {"data": [{"id": "1001", "tasks": "MANAGE"}]},
        {"data": [{"id": ["1001"]}]},
        ["not", "an", "object"],
        {"paging": {}},
    ],
)
def test_unexpected_shapes_are_a_bad_response(fake_meta: FakeMeta, body: object) -> None:
    diocese(fake_meta)
    fake_meta.fail("GET", "assigned_users", status=200, body=body)
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_meta).holders(account())
    assert caught.value.kind == "bad-response"


def test_an_unexplained_graph_error_is_a_bad_response_naming_it(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    body = error_body(100, "(#100) Tried accessing nonexisting field (frobnicate)")
    fake_meta.fail("GET", "assigned_users", status=400, body=body)
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_meta).holders(account())
    assert caught.value.kind == "bad-response"
    assert "nonexisting field" in str(caught.value)


def test_a_timeout_is_retried(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    fake_meta.fail("GET", "assigned_users", status=200, body={"data": []}, delay=1.0)
    connector = connect(fake_meta)
    connector.api.timeout = (1.0, 0.3)
    assert len(connector.holders(account())) == 5


def test_timeouts_forever_make_the_platform_unreachable(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    fake_meta.fail("GET", "business_users", status=200, body={"data": []}, delay=1.0, times=5)
    connector = connect(fake_meta)
    connector.api.timeout = (1.0, 0.2)
    connector.api.retries = 1
    with pytest.raises(ConnectorUnavailable) as caught:
        connector.holders(account())
    assert caught.value.kind == "unreachable"
    assert "timed out" in str(caught.value)


def test_a_next_link_to_another_host_is_not_followed(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    body = {"data": [], "paging": {"next": "https://evil.example/v21.0/1/assigned_users?a=1"}}
    fake_meta.fail("GET", "assigned_users", status=200, body=body)
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_meta).holders(account())
    assert caught.value.kind == "bad-response"


# --- removal --------------------------------------------------------------------------------


def test_removal_is_one_request_and_a_reread_shows_them_gone(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    connector = connect(fake_meta)
    ben = by_id(connector.holders(account()))["1002"]
    connector.remove(account(), ben)

    deletes = fake_meta.server.sent("DELETE")
    assert len(deletes) == 1
    assert deletes[0].path == f"/{META_GRAPH_VERSION}/{PAGE}/assigned_users"
    assert (deletes[0].arg("user"), deletes[0].arg("business")) == ("1002", BUSINESS)
    assert deletes[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert fake_meta.removals == [(PAGE, "1002")]
    assert "1002" not in by_id(connector.holders(account()))


def test_removing_someone_already_gone_succeeds(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    connector = connect(fake_meta)
    gone = Holder(id="1005", roles=("MANAGE",))
    connector.remove(account(), gone)  # Graph answers success for a user not assigned
    fake_meta.fail("DELETE", "assigned_users", status=404, body={"error": {"message": "x"}})
    connector.remove(account(), gone)
    missing = error_body(
        100,
        "Unsupported delete request. Object with ID '1005' does not exist",
        type_="GraphMethodException",
        subcode=33,
    )
    fake_meta.fail("DELETE", "assigned_users", status=400, body=missing)
    connector.remove(account(), gone)
    assert len(fake_meta.server.sent("DELETE")) == 3  # one request each, never retried


def test_a_failed_removal_is_not_retried(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    connector = connect(fake_meta)
    fake_meta.fail(
        "DELETE", "assigned_users", status=503, body="busy", headers={"Retry-After": "0"}
    )
    with pytest.raises(ConnectorUnavailable):
        connector.remove(account(), Holder(id="1002", roles=()))
    assert len(fake_meta.server.sent("DELETE")) == 1
    assert "1002" in by_id(connector.holders(account()))


def test_a_removal_graph_does_not_confirm_is_an_error(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    fake_meta.fail("DELETE", "assigned_users", status=200, body={"success": False})
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_meta).remove(account(), Holder(id="1002", roles=()))
    assert caught.value.kind == "bad-response"


def test_removal_with_a_refused_token_never_shows_it(fake_meta: FakeMeta) -> None:
    diocese(fake_meta)
    secret = "EAABanotherSecretToken777"
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(fake_meta, token=secret).remove(account(), Holder(id="1002", roles=()))
    assert caught.value.kind == "refused"
    assert secret not in _everything(caught.value)


def test_removal_needs_the_business_id(fake_meta: FakeMeta) -> None:
    with pytest.raises(Unverifiable, match=r"organization\.connectors\.meta\.business_id"):
        connect(fake_meta, business=None).remove(account(), Holder(id="1002", roles=()))
    assert fake_meta.requests == []


def test_the_token_is_in_no_exception_message(fake_meta: FakeMeta) -> None:
    """Every failure path above, collected once more, with the real token."""
    diocese(fake_meta)
    failures: list[BaseException] = []
    faults: list[tuple[int, object]] = [
        (401, {"error": {"message": f"Invalid OAuth access token {TOKEN}", "code": 190}}),
        (403, {"error": {"message": f"(#200) token {TOKEN} lacks it", "code": 200}}),
        (400, {"error": {"message": f"(#100) Object {TOKEN} does not exist", "code": 100}}),
        (400, {"error": {"message": f"odd {TOKEN}", "code": 1}}),
        (200, b"<html>" + TOKEN.encode()),
    ]
    for status, body in faults:
        fake_meta.fail("GET", "assigned_users", status=status, body=body, times=2)
        with pytest.raises((ConnectorUnavailable, Unverifiable)) as caught:
            connect(fake_meta).holders(account())
        failures.append(caught.value)
    connector = connect(fake_meta)
    connector.api.timeout = (1.0, 0.2)
    connector.api.retries = 0
    fake_meta.fail("GET", "business_users", status=200, body={}, delay=1.0)
    with pytest.raises(ConnectorUnavailable) as timeout:
        connector.holders(account())
    failures.append(timeout.value)
    assert len(failures) == 6
    for failure in failures:
        assert TOKEN not in _everything(failure)


def _everything(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), str(getattr(exc, "hint", "")), str(exc.__cause__ or "")]
    parts.append(str(exc.__context__ or ""))
    return "\n".join(parts)


# --- the tasks Graph documents all mean an inventory role -----------------------------------

PAGE_TASKS = [  # pageassigned_users_tasks_enum_param (facebook-business-sdk-codegen)
    "ADVERTISE", "ANALYZE", "CASHIER_ROLE", "CREATE_CONTENT", "GLOBAL_STRUCTURE_MANAGEMENT",
    "MANAGE", "MANAGE_JOBS", "MANAGE_LEADS", "MESSAGING", "MODERATE", "MODERATE_COMMUNITY",
    "PAGES_MESSAGING", "PAGES_MESSAGING_SUBSCRIPTIONS", "PROFILE_PLUS_ADVERTISE",
    "PROFILE_PLUS_ANALYZE", "PROFILE_PLUS_CREATE_CONTENT", "PROFILE_PLUS_FACEBOOK_ACCESS",
    "PROFILE_PLUS_FULL_CONTROL", "PROFILE_PLUS_GLOBAL_STRUCTURE_MANAGEMENT",
    "PROFILE_PLUS_MANAGE", "PROFILE_PLUS_MANAGE_LEADS", "PROFILE_PLUS_MESSAGING",
    "PROFILE_PLUS_MODERATE", "PROFILE_PLUS_MODERATE_DELEGATE_COMMUNITY", "PROFILE_PLUS_REVENUE",
    "READ_PAGE_MAILBOXES", "VIEW_MONETIZATION_INSIGHTS",
]  # fmt: skip
INSTAGRAM_TASKS = ["ADVERTISE", "ANALYZE", "COMMUNITY_ACTIVITY", "CONTENT", "MESSAGES", "MANAGE"]


def test_every_documented_task_resolves_to_a_role() -> None:
    names = RoleNames(builtin_catalog())
    assert [t for t in PAGE_TASKS if names.resolve("facebook", t) is None] == []
    assert [t for t in INSTAGRAM_TASKS if names.resolve("instagram", t) is None] == []
    assert names.resolve("facebook", "MANAGE") == "admin"
    assert names.resolve("facebook", "PROFILE_PLUS_FULL_CONTROL") == "admin"
    assert names.resolve("instagram", "MANAGE") == "admin"
    assert names.resolve("instagram", "CONTENT") == "editor"
