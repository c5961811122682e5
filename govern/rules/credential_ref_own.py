"""A shared login's `credential.ref` is the account's own store key, not another entity's.

Whoever can read an account (its holders, the entity head and IT) is given read access to the
store key its `credential.ref` names when the store's access is applied. A ref that names the
key of an account of another entity (its id, or the ref it declares) therefore hands that
entity's password to people the other entity never chose: a youth-ministry manager would read
the chancery's X password. Two accounts of the same entity may share one login (Instagram and
Threads); across entities it is an error unless waived with a reason (`policies/*.yaml`,
`waivers:`).

Passes: `credential: {ref: youth-x-login, mfa: true}` on youth-x (no other account uses that key);
no `ref` at all (the key is the account id).
Fails: `credential: {ref: chancery-x, mfa: true}` on youth-x, where chancery-x is the chancery's
account; two accounts of different entities both declaring `ref: diocese-x`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from govern.findings import Severity, Violation
from govern.inventory.model import Account
from govern.rules._base import Context, RuleParams, account_pointer

ID = "credential-ref-own"
SEVERITY = Severity.ERROR


class Params(RuleParams):
    pass


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    accounts = ctx.inventory.accounts
    # store key -> the accounts whose key it is (by default, their id) or that name it.
    claims: dict[str, list[Account]] = defaultdict(list)
    for account in accounts:
        claims[account.credential_ref].append(account)
        if account.credential_ref != account.id:
            claims[account.id].append(account)
    for index, account in enumerate(accounts):
        if account.credential is None or not account.credential.ref:
            continue
        ref = account.credential.ref
        others = [o for o in claims[ref] if o.id != account.id and o.entity != account.entity]
        if not others:
            continue
        other = others[0]
        readers = sorted(ctx.readers(account) - ctx.readers(other))
        whose = (
            f"the store key of {other.id} (entity {other.entity})"
            if other.credential_ref == ref or other.id == ref
            else f"also used by {other.id} (entity {other.entity})"
        )
        gain = f"; {', '.join(readers)} would read it" if readers else ""
        yield Violation(
            f"credential.ref {ref!r} is {whose}, not this account's own{gain}",
            account_pointer(index, "credential", "ref"),
            account=account.id,
            entity=account.entity,
        )
