"""A shared password is rotated after anyone who could read it leaves.

A departed person who knew a shared password still knows it. For every departed person who
could read a credential (a holder of the account, or the head or IT of its entity) and whose
`left_on` is on or after the day the current version was stored, the password must be
rotated. `govern revoke PERSON` does it; `govern creds rotate ACCOUNT --generate` by hand.
Runs only when the store is consulted. Limitation: a reader whose grant was already deleted
from the inventory is no longer known here; the audit log of `govern revoke` records them.

Passes: the password was rotated on the day after the volunteer left.
Fails: the volunteer left on 2026-08-31; the password dates from 2026-03-02.
"""

from __future__ import annotations

from collections.abc import Iterator

from govern.findings import Severity, Violation
from govern.rules._base import Context, RuleParams, account_pointer

ID = "credential-after-departure"
SEVERITY = Severity.ERROR


class Params(RuleParams):
    pass


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    if ctx.custody is None or not ctx.departed:
        return
    for index, account in enumerate(ctx.inventory.accounts):
        record = ctx.custody.get(account.credential_ref)
        if record is None or record.updated_at is None or account.credential is None:
            continue
        rotated = record.updated_at.date()
        for person_id in sorted(ctx.readers(account) & ctx.departed):
            person = ctx.people[person_id]
            if person.left_on is not None and person.left_on >= rotated:
                yield Violation(
                    f"'{person_id}' could read this password and left on {person.left_on}, "
                    f"after its last rotation on {rotated}: rotate it",
                    account_pointer(index, "credential"),
                    account=account.id,
                    person=person_id,
                    entity=account.entity,
                )
