"""Every account's access was reviewed recently (periodic recertification).

The policy asks for an annual review of who manages what. `govern review close` records on
each account it reviewed `reviewed: {on: DATE, by: PERSON}`; this rule wants that date to be
within the last `max_age_days` days (default 365) on every account.

Passes:

    - id: st-mary-facebook
      ...
      reviewed: {on: 2026-10-01, by: fr-mendez}     # 60 days ago

Fails: an account without `reviewed` (never reviewed), or

    - id: st-mary-facebook
      ...
      reviewed: {on: 2025-06-30, by: fr-mendez}     # more than 365 days ago

Start a campaign with `govern review start` (docs/reviews.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pydantic import Field

from govern.findings import Severity, Violation
from govern.rules._base import Context, RuleParams, account_pointer

ID = "review-current"
SEVERITY = Severity.WARNING


class Params(RuleParams):
    max_age_days: int = Field(default=365, ge=1)


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    oldest = ctx.today - dt.timedelta(days=params.max_age_days)
    for index, account in enumerate(ctx.inventory.accounts):
        reviewed = account.reviewed
        if reviewed is None:
            message = f"account '{account.id}' has never had an access review"
            pointer = account_pointer(index, "id")
        elif reviewed.on < oldest:
            message = (
                f"account '{account.id}' was last reviewed on {reviewed.on}, "
                f"over {params.max_age_days} days ago"
            )
            pointer = account_pointer(index, "reviewed", "on")
        else:
            continue
        yield Violation(
            message + " (start one with `govern review start`)",
            pointer,
            account=account.id,
            entity=account.entity,
        )
