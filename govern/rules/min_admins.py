"""Every account has at least `count` administrative holders (default 2).

An account with one administrator is one departure, lost phone or locked-out login away from
being orphaned. Count the active people holding an administrative role (per the platform
catalog; on shared-login platforms, the credential holders) whose grant has not expired.

Passes: the head and the parish secretary are both `admin` on the Facebook page.
Fails: only the head is.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from govern.findings import Severity, Violation
from govern.rules._base import Context, RuleParams, account_pointer

ID = "min-admins"
SEVERITY = Severity.WARNING


class Params(RuleParams):
    count: int = Field(default=2, ge=1)


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    departed, today, admin_roles = ctx.departed, ctx.today, ctx.admin_roles
    for index, account in enumerate(ctx.inventory.accounts):
        roles = admin_roles[account.platform]
        admins = {
            g.person
            for g in account.access
            if g.role in roles
            and g.person not in departed
            and (g.expires is None or g.expires >= today)
        }
        if len(admins) < params.count:
            yield Violation(
                f"{len(admins)} active administrative holder{'s' if len(admins) != 1 else ''}; "
                f"at least {params.count} are required",
                account_pointer(index, "access"),
                account=account.id,
                entity=account.entity,
            )
