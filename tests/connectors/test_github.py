"""The GitHub connector against a local server speaking GitHub's organization-members API
(tests/connectors/fake_github.py), through the public `govern.connectors.build`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from govern.connectors import (
    ConnectorUnavailable,
    Holder,
    People,
    Settings,
    Unverifiable,
    build,
)
from govern.connectors.github import GithubConnector
from govern.drift.roles import RoleNames
from govern.inventory.model import Account, Connectors, Inventory
from govern.platforms import builtin_catalog
from tests.connectors.fake_github import FakeGithub, fake_github

__all__ = ["fake_github"]  # the fixture, used by name below

ORG = "acme"


def account(handle: str = ORG) -> Account:
    return Account(id="diocese-github", entity="diocese", platform="github", handle=handle)


def connect(fake: FakeGithub, token: str | None = None) -> GithubConnector:
    settings = Settings(token=token or fake.token, api_url=fake.url, connectors=Connectors())
    connector = build("github", settings)
    assert isinstance(connector, GithubConnector)
    # Keep failure paths fast: short waits between retries are the Api's own backoff.
    connector.api.timeout = (2.0, 2.0)
    return connector


def seed(fake: FakeGithub) -> dict[str, int]:
    """3 owners, 3 members, 3 invitations: with pages of 2, every listing has 2 pages."""
    for login in ("Ada-Owner", "bob-owner", "cy-owner"):
        fake.add_member(ORG, login, role="admin")
    for login in ("dan", "eve", "finn"):
        fake.add_member(ORG, login, role="member", name=login.title())
    return {
        "gus": fake.add_invitation(ORG, login="gus", role="direct_member"),
        "new@example.org": fake.add_invitation(ORG, email="new@example.org", role="admin"),
        "pay@example.org": fake.add_invitation(
            ORG, email="pay@example.org", role="billing_manager"
        ),
    }


@pytest.fixture
def github(fake_github: FakeGithub) -> Iterator[FakeGithub]:
    seed(fake_github)
    yield fake_github


def test_every_holder_across_pages(github: FakeGithub) -> None:
    connector = connect(github)
    holders = connector.holders(account())

    assert connector.namespace == "github" and connector.title == "GitHub"
    current = {h.id: h.roles for h in holders if not h.pending}
    assert current == {
        "Ada-Owner": ("admin",),
        "bob-owner": ("admin",),
        "cy-owner": ("admin",),
        "dan": ("member",),
        "eve": ("member",),
        "finn": ("member",),
    }
    assert next(h for h in holders if h.id == "dan").name == "Dan"
    # Each listing: two pages, the second through the Link header's /organizations/{id} URL.
    gets = github.server.sent("GET")
    assert [r.path.split("/")[1] for r in gets] == ["orgs", "organizations"] * 3
    assert [r.arg("role") for r in gets[:4]] == ["admin", "admin", "member", "member"]
    assert all(r.arg("per_page") == "100" for r in gets)
    assert [r.arg("page") for r in gets] == [None, "2"] * 3
    for request in gets:
        assert request.headers["authorization"] == f"Bearer {github.token}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"


def test_pending_invitations_are_reported_as_pending(github: FakeGithub) -> None:
    holders = connect(github).holders(account())
    pending = [h for h in holders if h.pending]
    assert [(h.id, h.roles, h.email) for h in pending] == [
        ("gus", ("direct_member",), None),
        ("new@example.org", ("admin",), "new@example.org"),
        ("pay@example.org", ("billing_manager",), "pay@example.org"),
    ]
    assert all(h.handle is None for h in holders if not h.pending)


def test_api_role_names_resolve_through_the_catalog() -> None:
    roles = RoleNames(builtin_catalog())
    resolved = {
        name: roles.resolve("github", name)
        for name in ("admin", "member", "direct_member", "billing_manager")
    }
    assert resolved == {
        "admin": "owner",
        "member": "editor",
        "direct_member": "editor",
        "billing_manager": "analyst",
    }


def test_unknown_holder_and_email_match_of_an_invitation(github: FakeGithub) -> None:
    inventory = Inventory.model_validate(
        {
            "version": 1,
            "organization": {"name": "Diocese"},
            "people": [
                {
                    "id": "ada",
                    "name": "Ada Owner",
                    "email": "ada@example.org",
                    "level": "A",
                    "identities": {"github": "ada-owner"},
                },
                {"id": "nina", "name": "Nina New", "email": "NEW@example.org", "level": "C"},
            ],
        }
    )
    people = People(inventory)
    holders = connect(github).holders(account())
    matched = {h.id: people.match("github", h) for h in holders}
    assert matched["Ada-Owner"] == "ada"  # logins compare case-insensitively
    assert matched["new@example.org"] == "nina"  # an email invitation, matched by email
    assert matched["dan"] is None  # unknown to the inventory


@pytest.mark.parametrize(
    "handle", ["acme", "@acme", "https://github.com/acme", "https://github.com/orgs/acme/people"]
)
def test_handle_forms(github: FakeGithub, handle: str) -> None:
    assert len(connect(github).holders(account(handle))) == 9


@pytest.mark.parametrize("handle", ["acme corp", "https://github.com/", "-acme", "a/b"])
def test_handle_that_is_not_a_login_is_unverifiable(github: FakeGithub, handle: str) -> None:
    with pytest.raises(Unverifiable, match="not a GitHub organization login"):
        connect(github).holders(account(handle))
    assert github.server.requests == []


def test_unknown_organization_is_unverifiable(github: FakeGithub) -> None:
    with pytest.raises(Unverifiable) as caught:
        connect(github).holders(account("nobody-here"))
    assert caught.value.reason == "organization not found or not visible to the token"


def test_invitations_not_visible_is_unverifiable() -> None:
    fake = FakeGithub(invitations_visible=False).start()
    try:
        seed(fake)
        with pytest.raises(Unverifiable, match="pending invitations not visible"):
            connect(fake).holders(account())
    finally:
        fake.stop()


def test_github_enterprise_server_api_root() -> None:
    fake = FakeGithub(prefix="/api/v3").start()
    try:
        seed(fake)
        connector = connect(fake)
        assert len(connector.holders(account())) == 9
        assert all(r.path.startswith("/api/v3/") for r in fake.server.requests)
        connector.remove(account(), Holder("dan", ("member",)))
        assert [r.path for r in fake.removals] == ["/api/v3/orgs/acme/memberships/dan"]
    finally:
        fake.stop()


# --- failures --------------------------------------------------------------------------


def assert_no_token(error: BaseException, token: str) -> None:
    texts = [str(error), repr(error), str(error.args)]
    if isinstance(error, ConnectorUnavailable):
        texts += [error.diagnostics(), error.hint or ""]
    assert all(token not in text for text in texts)


def test_refused_token(github: FakeGithub) -> None:
    wrong = "ghp_wrong-token-9876543210"
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(github, token=wrong).holders(account())
    assert caught.value.kind == "refused"
    assert caught.value.exit_code == 3
    assert "Bad credentials" in str(caught.value)
    assert len(github.server.requests) == 1
    assert_no_token(caught.value, wrong)


def test_forbidden_is_not_retried(github: FakeGithub) -> None:
    github.server.fail(
        "GET",
        r"/orgs/acme/members",
        status=403,
        body={"message": "Resource not accessible by integration", "documentation_url": "x"},
        times=5,
    )
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(github).holders(account())
    assert caught.value.kind == "forbidden"
    assert "/orgs/acme/members" in str(caught.value)
    assert "Resource not accessible by integration" in str(caught.value)
    assert len(github.server.requests) == 1
    assert_no_token(caught.value, github.token)


def test_429_with_retry_after_then_success(github: FakeGithub) -> None:
    github.server.fail(
        "GET",
        r"/orgs/acme/members",
        status=429,
        body={"message": "Too many requests"},
        headers={"Retry-After": "0"},
        times=2,
    )
    assert len(connect(github).holders(account())) == 9
    assert len(github.server.sent("GET", r"/orgs/acme/members")) == 4  # 2 refused + 2 roles


def test_secondary_rate_limit_waits_retry_after(github: FakeGithub) -> None:
    github.server.fail(
        "GET",
        r"/orgs/acme/invitations",
        status=403,
        body={
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits",
        },
        headers={"retry-after": "1"},
    )
    started = time.monotonic()
    assert len(connect(github).holders(account())) == 9
    assert time.monotonic() - started >= 1.0
    assert len(github.server.sent("GET", r"/orgs/acme/invitations")) == 2


def test_secondary_rate_limit_without_retry_after_waits_a_minute(github: FakeGithub) -> None:
    github.server.fail(
        "GET",
        r"/orgs/acme/members",
        status=403,
        body={"message": "You have exceeded a secondary rate limit."},
    )
    connector = connect(github)
    connector.api.max_wait = 30.0  # GitHub says a minute: more than we allow here, so give up
    with pytest.raises(ConnectorUnavailable) as caught:
        connector.holders(account())
    assert caught.value.kind == "throttled"
    assert "retry in 60 s" in str(caught.value)


def test_primary_rate_limit_waits_for_the_reset(github: FakeGithub) -> None:
    github.exhaust(reset_in=1.0)
    started = time.monotonic()
    assert len(connect(github).holders(account())) == 9
    assert time.monotonic() - started >= 0.5
    # the first request was refused, then sent again after the reset: 6 reads + 1
    assert len(github.server.sent("GET", r"/orgs/acme/members")) == 3
    assert len(github.server.requests) == 7


def test_primary_rate_limit_far_away_gives_up_at_once(github: FakeGithub) -> None:
    github.exhaust(reset_in=3600)
    started = time.monotonic()
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(github).holders(account())
    assert time.monotonic() - started < 5
    assert caught.value.kind == "throttled"
    assert "rate limited" in str(caught.value) and "HTTP 403" in str(caught.value)
    assert len(github.server.requests) == 1
    assert_no_token(caught.value, github.token)


def test_5xx_then_success(github: FakeGithub) -> None:
    github.server.fail("GET", r"/organizations/\d+/members", status=502, body="Bad Gateway")
    github.server.fail("GET", r"/orgs/acme/invitations", status=503, times=2)
    assert len(connect(github).holders(account())) == 9


def test_5xx_forever(github: FakeGithub) -> None:
    github.server.fail(
        "GET", r"/orgs/acme/members", status=500, body={"message": "Server Error"}, times=99
    )
    connector = connect(github)
    connector.api.retries = 2
    with pytest.raises(ConnectorUnavailable) as caught:
        connector.holders(account())
    assert caught.value.kind == "unreachable"
    assert "HTTP 500" in str(caught.value)
    assert len(github.server.requests) == 3
    assert_no_token(caught.value, github.token)


@pytest.mark.parametrize(
    ("body", "wanted"),
    [
        ("<html>Bad gateway</html>", "not JSON"),
        ('[{"login": "ok"}, ', "not JSON"),
        ({"message": "not a list"}, "did not answer with a JSON array"),
        ([1, 2], "an array of objects"),
        ([{"id": 5}], "without a login"),
        ([{"login": None, "id": 5}], "without a login"),
    ],
)
def test_malformed_members(github: FakeGithub, body: object, wanted: str) -> None:
    github.server.fail("GET", r"/orgs/acme/members", status=200, body=body)
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(github).holders(account())
    assert caught.value.kind == "bad-response"
    assert wanted in str(caught.value)


@pytest.mark.parametrize(
    "item",
    [
        {"id": 1, "login": None, "email": None, "role": "admin"},
        {"id": 1, "login": "x", "email": None},
        {"id": "1", "login": None, "email": "a@example.org", "role": "admin"},
        {"login": "x", "role": "admin"},
    ],
)
def test_malformed_invitations(github: FakeGithub, item: dict[str, object]) -> None:
    github.server.fail("GET", r"/orgs/acme/invitations", status=200, body=[item])
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(github).holders(account())
    assert caught.value.kind == "bad-response"


def test_timeout_then_success(github: FakeGithub) -> None:
    github.server.fail("GET", r"/orgs/acme/members", status=200, body=[], delay=1.0)
    connector = connect(github)
    connector.api.timeout = (2.0, 0.3)
    assert len(connector.holders(account())) == 9


def test_timeout_forever(github: FakeGithub) -> None:
    github.server.fail("GET", r"/orgs/acme/members", status=200, body=[], delay=1.0, times=9)
    connector = connect(github)
    connector.api.timeout = (2.0, 0.2)
    connector.api.retries = 1
    with pytest.raises(ConnectorUnavailable) as caught:
        connector.holders(account())
    assert caught.value.kind == "unreachable"
    assert "timed out" in str(caught.value)
    assert_no_token(caught.value, github.token)


def test_unreachable() -> None:
    fake = FakeGithub().start()
    url = fake.url
    fake.stop()
    settings = Settings(token="ghp_secret-value", api_url=url, connectors=Connectors())
    connector = build("github", settings)
    assert isinstance(connector, GithubConnector)
    connector.api.retries = 0
    with pytest.raises(ConnectorUnavailable) as caught:
        connector.holders(account())
    assert caught.value.kind == "unreachable"
    assert url in str(caught.value)
    assert_no_token(caught.value, "ghp_secret-value")


# --- removal -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("eve", "/orgs/acme/memberships/eve"),  # a member
        ("Ada-Owner", "/orgs/acme/memberships/Ada-Owner"),  # an owner
        ("gus", "/orgs/acme/memberships/gus"),  # an invitation to a login
    ],
)
def test_remove_then_reread(github: FakeGithub, who: str, path: str) -> None:
    connector = connect(github)
    holder = next(h for h in connector.holders(account()) if h.id == who)
    connector.remove(account(), holder)
    assert [(r.method, r.path) for r in github.removals] == [("DELETE", path)]
    assert github.removals[0].headers["authorization"] == f"Bearer {github.token}"
    assert who not in {h.id for h in connector.holders(account())}
    assert who not in github.members(ORG)
    assert len(github.members(ORG)) + len(github.invitations(ORG)) == 8


def test_remove_invitation_to_an_email(github: FakeGithub) -> None:
    connector = connect(github)
    number = next(i["id"] for i in github.invitations(ORG) if i["email"] == "new@example.org")
    invited = next(h for h in connector.holders(account()) if h.id == "new@example.org")
    assert invited.handle == str(number)
    connector.remove(account(), invited)
    assert [r.path for r in github.removals] == [f"/orgs/acme/invitations/{number}"]
    assert "new@example.org" not in {h.id for h in connector.holders(account())}
    assert [i["email"] for i in github.invitations(ORG) if i["login"] is None] == [
        "pay@example.org"
    ]


def test_remove_someone_already_gone_is_success(github: FakeGithub) -> None:
    connector = connect(github)
    connector.remove(account(), Holder("left-long-ago", ("member",)))
    assert len(github.removals) == 1
    assert len(github.members(ORG)) == 6


def test_remove_without_write_permission() -> None:
    fake = FakeGithub(can_write=False).start()
    try:
        seed(fake)
        with pytest.raises(ConnectorUnavailable) as caught:
            connect(fake).remove(account(), Holder("dan", ("member",)))
        assert caught.value.kind == "forbidden"
        assert len(fake.removals) == 1
        assert "dan" in fake.members(ORG)
        assert_no_token(caught.value, fake.token)
    finally:
        fake.stop()


def test_remove_is_sent_once_on_5xx(github: FakeGithub) -> None:
    github.server.fail("DELETE", r"/orgs/acme/memberships/dan", status=502, times=3)
    with pytest.raises(ConnectorUnavailable):
        connect(github).remove(account(), Holder("dan", ("member",)))
    assert len(github.removals) == 1
    assert "dan" in github.members(ORG)


def test_remove_with_refused_token(github: FakeGithub) -> None:
    wrong = "ghp_revoked-token-111"
    with pytest.raises(ConnectorUnavailable) as caught:
        connect(github, token=wrong).remove(account(), Holder("dan", ("member",)))
    assert caught.value.kind == "refused"
    assert_no_token(caught.value, wrong)


def test_login_listed_under_both_roles_is_one_holder(github: FakeGithub) -> None:
    # dan promoted between the two listings: the owners' page already names him
    github.server.fail("GET", r"/orgs/acme/members", status=200, body=[{"login": "dan", "id": 7}])
    holders = connect(github).holders(account())
    assert [(h.id, h.roles) for h in holders if not h.pending] == [
        ("dan", ("admin", "member")),
        ("eve", ("member",)),
        ("finn", ("member",)),
    ]


def test_one_connector_reads_many_organizations_from_threads(fake_github: FakeGithub) -> None:
    orgs = [f"parish-{n}" for n in range(12)]
    for n, org in enumerate(orgs):
        for m in range(n % 4 + 1):
            fake_github.add_member(org, f"{org}-owner-{m}", role="admin")
        fake_github.add_member(org, f"{org}-member", role="member")
    connector = connect(fake_github)
    with ThreadPoolExecutor(max_workers=8) as pool:
        read = pool.map(lambda org: connector.holders(account(org)), orgs)
        results = dict(zip(orgs, read, strict=True))
    for n, org in enumerate(orgs):
        assert sorted(h.id for h in results[org] if h.roles == ("admin",)) == [
            f"{org}-owner-{m}" for m in range(n % 4 + 1)
        ]
        assert [h.id for h in results[org] if h.roles == ("member",)] == [f"{org}-member"]
