"""Every declared shared login is actually kept in the credential store.

Policy: login credentials must be secured against unauthorized access, e.g. in an encrypted
store. Declaring a `credential` in the inventory is a promise; this rule checks the store
(the encrypted file or Vault) holds it under its `ref` (default: the account id). It runs
only when the store is consulted: `govern audit --offline` skips it. File-store metadata is
readable without the key, so CI needs no secret for this.

Passes: `st-mary-x` declares a credential and `govern creds show st-mary-x` finds it.
Fails: the credential was never stored (`govern creds set st-mary-x` fixes it).
"""

from __future__ import annotations

from collections.abc import Iterator

from govern.findings import Severity, Violation
from govern.rules._base import Context, RuleParams, account_pointer

ID = "credential-custody"
SEVERITY = Severity.ERROR


class Params(RuleParams):
    pass


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    if ctx.custody is None:
        return
    for index, account in enumerate(ctx.inventory.accounts):
        if account.credential is None and not ctx.platform(account).shared:
            continue
        ref = account.credential_ref
        if ref not in ctx.custody:
            yield Violation(
                f"no credential '{ref}' in {ctx.custody_source}; store it with "
                f"`govern creds set {account.id}`",
                account_pointer(index, "credential")
                if account.credential
                else account_pointer(index),
                account=account.id,
                entity=account.entity,
            )
