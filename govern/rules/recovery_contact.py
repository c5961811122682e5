"""Shared logins recover to a mailbox the organization controls.

Whoever controls the recovery email controls the account. Every declared credential must
have a `recovery_email` on one of the organization's `domains` (e.g. comms@diocese.org),
never a volunteer's personal address that leaves with them.

Passes: `recovery_email: comms@diocese.org` with `organization.domains: [diocese.org]`.
Fails: no `recovery_email`, or `recovery_email: someone@gmail.com`.
"""

from __future__ import annotations

from collections.abc import Iterator

from govern.findings import Severity, Violation
from govern.rules._base import Context, RuleParams, account_pointer

ID = "recovery-contact"
SEVERITY = Severity.ERROR


class Params(RuleParams):
    pass


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    domains = {d.lower().lstrip("@") for d in ctx.inventory.organization.domains}
    shown = ", ".join(sorted(domains)) or "none declared in organization.domains"
    for index, account in enumerate(ctx.inventory.accounts):
        credential = account.credential
        if credential is None:
            continue
        if credential.recovery_email is None:
            yield Violation(
                "the credential has no recovery_email",
                account_pointer(index, "credential"),
                account=account.id,
                entity=account.entity,
            )
            continue
        domain = credential.recovery_email.rsplit("@", 1)[-1].lower()
        if domain not in domains:
            yield Violation(
                f"recovery email is on '{domain}', not on an organization domain ({shown})",
                account_pointer(index, "credential", "recovery_email"),
                account=account.id,
                entity=account.entity,
            )
