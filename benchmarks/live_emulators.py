"""Local emulators of the five platform APIs for `bench_live_drift.py`: the test fakes
(tests/connectors/fake_*.py, each speaking its platform's documented API) filled with a
synthetic organization, plus a fixed latency per request and a rate limit in each platform's
documented style.

    python benchmarks/live_emulators.py github --accounts 10000 --latency 0.02 --limit 300

prints one JSON line `{"url": ..., "token": ...}` once listening, then serves until standard
input closes. One platform per process, so each server has its own interpreter lock and none
takes CPU from the govern process being measured.

Rate limits (a fixed window of --window seconds, --limit requests in it), as each platform
documents them:
- GitHub: `x-ratelimit-limit/-remaining/-used/-reset` on every answer; over the budget, 403
  "API rate limit exceeded" with `x-ratelimit-remaining: 0` and the reset time (epoch
  seconds), as the primary rate limit does.
- Meta: `X-Business-Use-Case-Usage` on every answer (call_count in percent of the budget);
  over it, HTTP 400 with Graph error code 80001 ("There have been too many calls to this Page
  account") and `estimated_time_to_regain_access: 0` (minutes, i.e. under a minute).
- Google: 429 with the google.rpc status `RESOURCE_EXHAUSTED` and no Retry-After.
- LinkedIn: 429 with LinkedIn's error body (`TOO_MANY_REQUESTS`), no Retry-After.
- TikTok: HTTP 200 with body code 40100 ("Requests made too frequently").
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from live_org import BUSINESS_ID, TIKTOK_BC, Organization  # noqa: E402

from tests.support.apiserver import ApiServer, Reply, Request  # noqa: E402


class Window:
    """A fixed-window request budget: `limit` requests per `seconds`, windows aligned to the
    epoch (as GitHub's reset times are whole seconds)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._lock = threading.Lock()
        self._start = 0.0
        self._used = 0
        self.refused = 0

    def take(self) -> tuple[bool, int, float]:
        """(allowed, remaining, window end)."""
        now = time.time()
        with self._lock:
            start = math.floor(now / self.seconds) * self.seconds
            if start != self._start:
                self._start, self._used = start, 0
            end = start + self.seconds
            if self.limit <= 0:
                return True, 1 << 30, end
            if self._used >= self.limit:
                self.refused += 1
                return False, 0, end
            self._used += 1
            return True, self.limit - self._used, end

    def state(self) -> tuple[int, float]:
        """(remaining, window end) after the request just taken."""
        with self._lock:
            if self.limit <= 0:
                return 1 << 30, self._start + self.seconds
            return max(0, self.limit - self._used), self._start + self.seconds


def _github(org: Organization) -> tuple[Any, Callable[[Window, Request], Reply | None], str]:
    from tests.connectors.fake_github import RATE_DOCS, FakeGithub, error

    fake = FakeGithub(page_size=100)
    for account in org.accounts("github"):
        fake.add_org(account.handle)
        for holder in account.observed:
            fake.add_member(account.handle, holder.identity, role=holder.role)

    def limit(window: Window, request: Request) -> Reply | None:
        allowed, _remaining, end = window.take()
        if allowed:
            return None
        reply = error(403, "API rate limit exceeded for user ID 1.", RATE_DOCS)
        reply.headers.update(fake._rate_headers(0, math.ceil(end)))
        return reply

    return fake, limit, fake.token


def _meta(org: Organization) -> tuple[Any, Callable[[Window, Request], Reply | None], str]:
    from tests.connectors.fake_meta import FakeMeta, graph_error

    fake = FakeMeta(page_size=100)
    fake.business(BUSINESS_ID, [(p.meta, p.name, p.email) for p in org.people])
    for platform in ("facebook", "instagram"):
        for account in org.accounts(platform):
            kind = "page" if platform == "facebook" else "instagram"
            fake.asset(account.platform_id, business=BUSINESS_ID, kind=kind)
            for holder in account.observed:
                fake.assign(account.platform_id, holder.identity, [holder.role])

    def limit(window: Window, request: Request) -> Reply | None:
        allowed, _remaining, _end = window.take()
        if allowed:
            return None
        usage = {
            BUSINESS_ID: [
                {
                    "type": "pages",
                    "call_count": 100,
                    "total_cputime": 40,
                    "total_time": 40,
                    "estimated_time_to_regain_access": 0,
                }
            ]
        }
        return graph_error(
            400,
            "(#80001) There have been too many calls to this Page account. Wait a bit and try "
            "again. For more info, please refer to "
            "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            80001,
            headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
        )

    return fake, limit, fake.token


def _google(org: Organization) -> tuple[Any, Callable[[Window, Request], Reply | None], str]:
    from tests.connectors.fake_google_business import FakeGoogleBusiness, google_error

    fake = FakeGoogleBusiness()
    for account in org.accounts("google-business"):
        number = account.platform_id.rsplit("/", 1)[-1]
        fake.add_account(number)
        for holder in account.observed:
            fake.add_admin(number, holder.identity, holder.name, holder.role)

    def limit(window: Window, request: Request) -> Reply | None:
        allowed, _remaining, _end = window.take()
        if allowed:
            return None
        return Reply(429, google_error(429, "Quota exceeded for quota metric 'Requests'."))

    return fake, limit, fake.token


def _linkedin(org: Organization) -> tuple[Any, Callable[[Window, Request], Reply | None], str]:
    from tests.connectors.fake_linkedin import FakeLinkedin

    fake = FakeLinkedin(max_count=100)
    for account in org.accounts("linkedin"):
        fake.acls.setdefault(account.platform_id, [])
        for holder in account.observed:
            fake.add(account.platform_id, holder.identity.rsplit(":", 1)[-1], holder.role)

    def limit(window: Window, request: Request) -> Reply | None:
        allowed, _remaining, _end = window.take()
        if allowed:
            return None
        return Reply(
            429,
            {
                "status": 429,
                "serviceErrorCode": 101,
                "code": "TOO_MANY_REQUESTS",
                "message": "Resource level throttle APPLICATION DAY limit for calls to this "
                "resource is reached.",
            },
        )

    return fake, limit, fake.token


def _tiktok(org: Organization) -> tuple[Any, Callable[[Window, Request], Reply | None], str]:
    from tests.connectors.fake_tiktok import FakeTiktok, body

    fake = FakeTiktok(page_size_cap=50)
    for holder in org.tiktok_members():
        fake.add(TIKTOK_BC, holder.identity, holder.role, name=holder.name)

    def limit(window: Window, request: Request) -> Reply | None:
        allowed, _remaining, _end = window.take()
        if allowed:
            return None
        return body(40100, "Requests made too frequently. Please try again later.")

    return fake, limit, fake.token


BUILDERS = {
    "github": _github,
    "meta": _meta,
    "google": _google,
    "linkedin": _linkedin,
    "tiktok": _tiktok,
}


def serve(namespace: str, accounts: int, latency: float, limit: int, window: float) -> None:
    org = Organization(accounts)
    fake, limiter, token = BUILDERS[namespace](org)
    server: ApiServer = fake.server
    budget = Window(limit, window)
    dispatch = server._dispatch
    served = 0
    lock = threading.Lock()

    def emulated(request: Request) -> Reply:
        nonlocal served
        time.sleep(latency)  # the network and the platform's own work
        with lock:
            served += 1
        server.requests.clear()  # the fakes record every request: not here, memory stays flat
        refused = limiter(budget, request)
        reply = refused if refused is not None else dispatch(request)
        if namespace == "github" and refused is None:
            remaining, end = budget.state()
            reply.headers.update(fake._rate_headers(remaining, math.ceil(end)))
        if namespace == "meta" and refused is None and budget.limit > 0:
            remaining, _end = budget.state()
            percent = min(100, int(100 * (budget.limit - remaining) / budget.limit))
            usage = {BUSINESS_ID: [{"type": "pages", "call_count": percent, "total_time": 1}]}
            reply.headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
        return reply

    server._dispatch = emulated  # type: ignore[method-assign]
    server.start()
    url = fake.url
    print(json.dumps({"url": url, "token": token}), flush=True)
    sys.stdin.read()  # until the benchmark closes our standard input
    server.stop()
    print(json.dumps({"served": served, "refused": budget.refused}), flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("platform", choices=sorted(BUILDERS))
    ap.add_argument("--accounts", type=int, required=True, help="accounts in the organization")
    ap.add_argument("--latency", type=float, default=0.02, help="seconds added per request")
    ap.add_argument("--limit", type=int, default=0, help="requests per window (0: no limit)")
    ap.add_argument("--window", type=float, default=1.0, help="rate-limit window (seconds)")
    args = ap.parse_args(argv)
    serve(args.platform, args.accounts, args.latency, args.limit, args.window)
    return 0


if __name__ == "__main__":
    sys.exit(main())
