"""The local GitHub API and govern's connector, checked against an independent client:
PyGithub reads and changes the same fake organization, and both must agree. Where the fake
strayed from GitHub's documented paging, payloads or endpoints, PyGithub would fail or
disagree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from github import Auth, Github
from github.NamedUser import NamedUser

from govern.connectors import Settings, build
from govern.inventory.model import Account, Connectors
from tests.connectors.fake_github import FakeGithub

ORG = "acme"


@pytest.fixture
def fake() -> Iterator[FakeGithub]:
    fake = FakeGithub(prefix="/api/v3").start()  # Enterprise Server's API root, for both
    for login in ("Ada-Owner", "bob-owner", "cy-owner"):
        fake.add_member(ORG, login, role="admin")
    for login in ("dan", "eve", "finn", "gil"):
        fake.add_member(ORG, login, role="member")
    fake.add_invitation(ORG, login="hal", role="direct_member")
    fake.add_invitation(ORG, email="new@example.org", role="admin")
    fake.add_invitation(ORG, email="pay@example.org", role="billing_manager")
    try:
        yield fake
    finally:
        fake.stop()


def pygithub(fake: FakeGithub) -> Github:
    return Github(
        base_url=fake.url,
        auth=Auth.Token(fake.token),
        per_page=2,
        lazy=True,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def observed_by_govern(fake: FakeGithub) -> set[tuple[str, str, bool]]:
    settings = Settings(token=fake.token, api_url=fake.url, connectors=Connectors())
    account = Account(id="gh", entity="diocese", platform="github", handle=ORG)
    return {
        (h.id, role, h.pending)
        for h in build("github", settings).holders(account)
        for role in h.roles
    }


def observed_by_pygithub(client: Github) -> set[tuple[str, str, bool]]:
    org = client.get_organization(ORG)
    seen = {
        (u.login, role, False) for role in ("admin", "member") for u in org.get_members(role=role)
    }
    for invitation in org.invitations():
        seen.add((invitation.login or invitation.email, invitation.role, True))
    return seen


def test_govern_and_pygithub_read_the_same_holders(fake: FakeGithub) -> None:
    expected = {
        ("Ada-Owner", "admin", False),
        ("bob-owner", "admin", False),
        ("cy-owner", "admin", False),
        ("dan", "member", False),
        ("eve", "member", False),
        ("finn", "member", False),
        ("gil", "member", False),
        ("hal", "direct_member", True),
        ("new@example.org", "admin", True),
        ("pay@example.org", "billing_manager", True),
    }
    assert observed_by_pygithub(pygithub(fake)) == expected
    assert observed_by_govern(fake) == expected
    # both walked the pages: 2 owners' pages, 2 members', 2 invitations' each (per_page 2)
    assert len(fake.server.sent("GET")) == 2 * 6


def test_removals_by_pygithub_are_seen_by_govern(fake: FakeGithub) -> None:
    client = pygithub(fake)
    org = client.get_organization(ORG)
    org.remove_from_membership(named_user(client, login="eve"))
    invitation = next(i for i in org.invitations() if i.email == "new@example.org")
    assert org.cancel_invitation(named_user(client, id=invitation.id))
    after = observed_by_govern(fake)
    assert ("eve", "member", False) not in after
    assert ("new@example.org", "admin", True) not in after
    assert len(after) == 8
    assert [r.path for r in fake.removals] == [
        "/api/v3/orgs/acme/memberships/eve",
        f"/api/v3/orgs/acme/invitations/{invitation.id}",
    ]


def named_user(client: Github, **attributes: object) -> NamedUser:
    """A user object without a /users lookup (the fake serves only the members API).
    PyGithub's cancel_invitation sends its `id`, which must then be the invitation's id
    (DELETE /orgs/{org}/invitations/{invitation_id})."""
    return NamedUser(client.requester, {}, dict(attributes), completed=True)
