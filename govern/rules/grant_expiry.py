"""Time-bound grants end on their date: expired grants are errors, near ones warnings.

A grant with `expires: YYYY-MM-DD` (a takeover, a guest editor, an agency) is valid through
that day. After it, the grant must be removed from the inventory and from the platform
(error). Within `warn_days` days before it (default 14), a warning reminds the admins.

Passes: `expires` more than `warn_days` days away, or no `expires`.
Fails: `expires: 2026-01-31` audited on 2026-02-01.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pydantic import Field

from govern.findings import Severity, Violation
from govern.rules._base import Context, RuleParams, account_pointer

ID = "grant-expiry"
SEVERITY = Severity.ERROR


class Params(RuleParams):
    warn_days: int = Field(default=14, ge=0, le=3650)


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    horizon = ctx.today + dt.timedelta(days=params.warn_days)
    for index, account in enumerate(ctx.inventory.accounts):
        for grant_index, grant in enumerate(account.access):
            if grant.expires is None or grant.expires > horizon:
                continue
            pointer = account_pointer(index, "access", grant_index, "expires")
            if grant.expires < ctx.today:
                yield Violation(
                    f"grant of {grant.role} to '{grant.person}' expired on {grant.expires}",
                    pointer,
                    account=account.id,
                    person=grant.person,
                    entity=account.entity,
                )
            else:
                days = (grant.expires - ctx.today).days
                yield Violation(
                    f"grant of {grant.role} to '{grant.person}' expires in {days} day"
                    f"{'s' if days != 1 else ''} ({grant.expires})",
                    pointer,
                    account=account.id,
                    person=grant.person,
                    entity=account.entity,
                    severity=Severity.WARNING,
                )
