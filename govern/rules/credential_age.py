"""Shared passwords are rotated at least every `max_age_days` days (default 180).

A shared password leaks a little every time someone new learns it. Rotating on a schedule
bounds how long a leaked or remembered password stays useful. Age is measured from the
store's record of the current version. Runs only when the store is consulted.

Passes: the current version of `st-mary-x` was stored 30 days ago.
Fails: it was stored 200 days ago (`govern creds rotate st-mary-x --generate`).
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from govern.findings import Severity, Violation
from govern.rules._base import Context, RuleParams, account_pointer

ID = "credential-age"
SEVERITY = Severity.WARNING


class Params(RuleParams):
    max_age_days: int = Field(default=180, ge=1)


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    if ctx.custody is None:
        return
    for index, account in enumerate(ctx.inventory.accounts):
        record = ctx.custody.get(account.credential_ref)
        if record is None or record.updated_at is None or account.credential is None:
            continue
        age = (ctx.today - record.updated_at.date()).days
        if age > params.max_age_days:
            yield Violation(
                f"password last rotated {age} days ago ({record.updated_at.date()}); rotate "
                f"at least every {params.max_age_days} days",
                account_pointer(index, "credential"),
                account=account.id,
                entity=account.entity,
            )
