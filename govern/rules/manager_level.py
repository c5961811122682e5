"""Designated account managers are personnel of the required level.

Policy: a designated account manager must be personnel of level C (or another level the
organization names). A designated manager is an access holder other than the entity head
and the entity's IT. Parameters: `levels` (accepted levels, default `[C]`) and `roles`
(which roles count as managing, default owner, admin and editor: analysts only read).

Passes: `{person: jdoe, role: editor}` where jdoe has `level: C`.
Fails: the same grant where jdoe has `level: B`.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from govern.findings import Severity, Violation
from govern.rules._base import Context, ManagerRolesParams, account_pointer

ID = "manager-level"
SEVERITY = Severity.ERROR


class Params(ManagerRolesParams):
    levels: tuple[str, ...] = Field(default=("C",), min_length=1)


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    levels = set(params.levels)
    roles = set(params.roles)
    wanted = " or ".join(params.levels)
    people, designated = ctx.people, ctx.designated_managers
    for index, account in enumerate(ctx.inventory.accounts):
        for grant_index, grant in designated(account):
            if grant.role not in roles:
                continue
            person = people.get(grant.person)
            if person is None or person.level in levels:
                continue
            yield Violation(
                f"'{person.id}' is level {person.level}; designated managers must be level "
                f"{wanted}",
                account_pointer(index, "access", grant_index, "person"),
                account=account.id,
                person=person.id,
                entity=account.entity,
            )
