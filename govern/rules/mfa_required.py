"""Shared logins have multi-factor authentication turned on.

A shared password is only as safe as the least careful person who knows it. Every account
on a shared-login platform must declare `credential.mfa: true`, with the second factor
(TOTP seed or recovery codes) kept in the credential store. Parameter `platforms`: limit
the rule to these platform keys (default: every shared-login platform).

Passes: `credential: {mfa: true, ...}`.
Fails: `credential: {mfa: false}` or a credential without `mfa`.
"""

from __future__ import annotations

from collections.abc import Iterator

from govern.findings import Severity, Violation
from govern.rules._base import Context, RuleParams, account_pointer

ID = "mfa-required"
SEVERITY = Severity.ERROR


class Params(RuleParams):
    platforms: tuple[str, ...] | None = None


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    only = set(params.platforms) if params.platforms is not None else None
    for index, account in enumerate(ctx.inventory.accounts):
        if account.credential is None or account.credential.mfa:
            continue
        if only is not None and account.platform not in only:
            continue
        if only is None and not ctx.platform(account).shared:
            continue
        yield Violation(
            "multi-factor authentication is off for this shared login",
            account_pointer(index, "credential"),
            account=account.id,
            entity=account.entity,
        )
