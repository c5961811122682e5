"""No departed person holds any grant, head position or IT position.

Policy: access ends when someone leaves. A person with `status: departed` must not appear
in any account's `access`, as an entity `head`, or in an entity's `it` list. Run
`govern who PERSON` to see everything a person holds, and `govern revoke PERSON` to remove it.

Passes: a departed person who appears nowhere but in `people`.
Fails: a departed volunteer still listed as `admin` of the parish Facebook page.
"""

from __future__ import annotations

from collections.abc import Iterator

from govern.findings import Severity, Violation
from govern.rules._base import Context, RuleParams

ID = "departed-access"
SEVERITY = Severity.ERROR


class Params(RuleParams):
    pass


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    inventory = ctx.inventory
    departed = {p.id: p for p in inventory.people if p.departed}
    if not departed:
        return
    for index, entity in enumerate(inventory.entities):
        if entity.head in departed:
            yield Violation(
                f"entity head '{entity.head}' left on {departed[entity.head].left_on}",
                ("entities", index, "head"),
                person=entity.head,
                entity=entity.id,
            )
        for it_index, it in enumerate(entity.it):
            if it in departed:
                yield Violation(
                    f"IT person '{it}' left on {departed[it].left_on}",
                    ("entities", index, "it", it_index),
                    person=it,
                    entity=entity.id,
                )
    # One pass over the grants, kept by departed person (in the order people are declared).
    held: dict[str, list[tuple[int, int]]] = {person_id: [] for person_id in departed}
    for account_index, account in enumerate(inventory.accounts):
        for grant_index, grant in enumerate(account.access):
            if grant.person in held:
                held[grant.person].append((account_index, grant_index))
    for person_id, person in departed.items():
        for account_index, grant_index in held[person_id]:
            account = inventory.accounts[account_index]
            grant = account.access[grant_index]
            yield Violation(
                f"'{person_id}' left on {person.left_on} but still holds {grant.role}",
                ("accounts", account_index, "access", grant_index, "person"),
                account=account.id,
                person=person_id,
                entity=account.entity,
            )
