"""Each platform's rate-limit signals, as the platforms document them, against local servers:
GitHub's spent budget (`x-ratelimit-remaining: 0` on a successful answer) holds the next
request until `x-ratelimit-reset`; Meta's throttling codes with "0 minutes" to regain access
back off instead of retrying at once; refusals of requests that were already in flight when
the platform first refused spend none of their retries."""

from __future__ import annotations

import json
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from govern.connectors import ConnectorUnavailable, Settings, build
from govern.inventory.model import Account, Connectors, MetaConnector
from tests.connectors.fake_github import FakeGithub, fake_github
from tests.connectors.fake_linkedin import FakeLinkedin, linkedin
from tests.connectors.fake_meta import FakeMeta, error_body, fake_meta
from tests.support.apiserver import Reply, Request

__all__ = ["fake_github", "fake_meta", "linkedin"]


def stamped(server_auth, seen: list[tuple[float, str]], first: Reply | None = None):  # type: ignore[no-untyped-def]
    """The server's auth hook, recording (time, path?role) of every request; `first`: the
    reply to the very first request instead of the API's (faults of ApiServer.fail come
    before the auth hook, so they would not be recorded)."""
    lock = threading.Lock()

    def auth(request: Request) -> Reply | None:
        with lock:
            seen.append((time.time(), f"{request.path}?{request.arg('role', '')}"))
            if first is not None and len(seen) == 1:
                return first
        return server_auth(request) if server_auth is not None else None

    return auth


def test_github_spent_budget_holds_the_next_request_until_the_reset(
    fake_github: FakeGithub,
) -> None:
    fake_github.add_org("acme")
    fake_github.add_member("acme", "octocat", role="member")
    reset = math.ceil(time.time()) + 1
    # the first answer (the admins: none) succeeds but spends the budget, as GitHub says
    spent = Reply(
        200,
        [],
        {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(reset),
        },
    )
    seen: list[tuple[float, str]] = []
    fake_github.server.auth = stamped(fake_github.server.auth, seen, first=spent)
    connector = build(
        "github",
        Settings(token=fake_github.token, api_url=fake_github.url, connectors=Connectors()),
    )
    holders = connector.holders(
        Account(id="gh", entity="e", platform="github", handle="acme")  # type: ignore[call-arg]
    )
    assert [h.id for h in holders] == ["octocat"]
    assert len(seen) == 3  # admins (budget spent), members, invitations: nothing refused
    assert seen[1][0] >= reset - 0.05, (seen, reset)  # not one request before the reset


def _meta_account() -> Account:
    return Account(  # type: ignore[call-arg]
        id="fb", entity="e", platform="facebook", handle="page", platform_id="777"
    )


def test_meta_throttling_with_zero_minutes_to_regain_backs_off(fake_meta: FakeMeta) -> None:
    fake_meta.business("9000", [("501", "Ana", "ana@example.org")])
    fake_meta.asset("777", business="9000")
    fake_meta.assign("777", "501", ["MANAGE"])
    usage = {"9000": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 0}]}
    refused = Reply(
        400,
        error_body(80001, "(#80001) There have been too many calls to this Page account."),
        {"X-Business-Use-Case-Usage": json.dumps(usage)},
    )
    seen: list[tuple[float, str]] = []
    fake_meta.server.auth = stamped(fake_meta.server.auth, seen, first=refused)
    connector = build(
        "facebook",
        Settings(
            token=fake_meta.token,
            api_url=fake_meta.url,
            connectors=Connectors(meta=MetaConnector(business_id="9000")),
        ),
    )
    assert [h.id for h in connector.holders(_meta_account())] == ["501"]
    (refused_at, path), (retried_at, again) = seen[:2]
    assert again == path  # the refused request, sent again...
    # ...after a backoff of at least 0.125 s: "0 minutes" is under a minute, not "now"
    assert retried_at - refused_at >= 0.12, seen


def test_refusals_of_requests_in_flight_spend_no_retries(linkedin: FakeLinkedin) -> None:
    """Eight requests in flight at once are all refused (429, Retry-After: 0): the first
    refusal closes the gate and spends its request's retry; the seven others were sent before
    the gate closed and only wait at it. With no retries allowed, one read fails (throttled)
    and seven succeed; a thread-by-thread retry would have failed all eight."""
    for org in range(8):
        linkedin.add(str(org), "hal", "ADMINISTRATOR")
    barrier = threading.Barrier(8, timeout=10)
    refused = 0
    lock = threading.Lock()
    auth = linkedin.server.auth

    def burst(request: Request) -> Reply | None:
        nonlocal refused
        with lock:
            first_round = refused < 8
            refused += first_round
        if first_round:
            barrier.wait()  # all eight are in flight before any refusal comes back
            return Reply(429, {"status": 429, "code": "TOO_MANY_REQUESTS"}, {"Retry-After": "0"})
        return auth(request) if auth is not None else None

    linkedin.server.auth = burst
    connector = build(
        "linkedin",
        Settings(token=linkedin.token, api_url=linkedin.url, connectors=Connectors()),
    )
    connector.api.retries = 0  # type: ignore[attr-defined]

    def read(org: int) -> str:
        account = Account(  # type: ignore[call-arg]
            id=f"li{org}", entity="e", platform="linkedin", handle="p", platform_id=str(org)
        )
        try:
            return f"{len(connector.holders(account))} holder"
        except ConnectorUnavailable as exc:
            return exc.kind

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(read, range(8)))
    assert outcomes == ["1 holder"] * 7 + ["throttled"]
    assert refused == 8
