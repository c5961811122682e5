"""Designated managers have had social media policy training recently.

Managers must know the policy they act under. Every designated manager (holder other than
the head and IT) with one of `roles` (default owner, admin, editor) must have a
`trained_on` date within the last `max_age_days` days (default 365).

Passes: `trained_on` 100 days ago.
Fails: no `trained_on`, or a date more than a year ago.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pydantic import Field

from govern.findings import Severity, Violation
from govern.rules._base import Context, ManagerRolesParams, account_pointer

ID = "training-current"
SEVERITY = Severity.WARNING


class Params(ManagerRolesParams):
    max_age_days: int = Field(default=365, ge=1)


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    oldest = ctx.today - dt.timedelta(days=params.max_age_days)
    roles = set(params.roles)
    people, designated = ctx.people, ctx.designated_managers
    for index, account in enumerate(ctx.inventory.accounts):
        for grant_index, grant in designated(account):
            if grant.role not in roles:
                continue
            person = people.get(grant.person)
            if person is None or person.departed:
                continue
            if person.trained_on is None:
                why = "has no recorded policy training (trained_on)"
            elif person.trained_on < oldest:
                why = (
                    f"was last trained on {person.trained_on}, over {params.max_age_days} days ago"
                )
            else:
                continue
            yield Violation(
                f"'{person.id}' {why}",
                account_pointer(index, "access", grant_index, "person"),
                account=account.id,
                person=person.id,
                entity=account.entity,
            )
