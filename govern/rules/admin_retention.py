"""The entity head holds an administrative role on every account of the entity.

Policy: the head of each entity (pastor, principal, director) must keep Administrative
Access to every social media account of the entity, so that the entity, not an individual
volunteer, controls it. On shared-login platforms the head must be one of the credential
holders. IT personnel do not count: they act for the head, they do not replace them.

Passes: `st-mary-facebook` with `{person: fr-peter, role: admin}` where fr-peter heads St Mary.
Fails: the head has no grant, or only `editor` (e.g. LinkedIn Content admin).
"""

from __future__ import annotations

from collections.abc import Iterator

from govern.findings import Severity, Violation
from govern.rules._base import Context, RuleParams, account_pointer

ID = "admin-retention"
SEVERITY = Severity.ERROR


class Params(RuleParams):
    pass


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    entities, platforms = ctx.entities, ctx.catalog.platforms
    for index, account in enumerate(ctx.inventory.accounts):
        entity = entities.get(account.entity)
        if entity is None:
            continue
        platform = platforms[account.platform]
        head, grant_index = entity.head, None
        for i, g in enumerate(account.access):
            if g.person == head:
                grant_index = i
                break
        if grant_index is None:
            what = "a credential holder" if platform.shared else "granted any role"
            yield Violation(
                f"entity head '{entity.head}' of {entity.name} is not {what} on this account",
                account_pointer(index, "access"),
                account=account.id,
                person=entity.head,
                entity=entity.id,
            )
            continue
        grant = account.access[grant_index]
        if not platform.is_admin(grant.role):
            admin_roles = [
                f"{r} ({s.label})" for r, s in platform.roles.items() if s.administrative
            ]
            yield Violation(
                f"entity head '{entity.head}' holds {grant.role} ({platform.label(grant.role)}), "
                f"which is not administrative on {platform.name}; needs one of: "
                + ", ".join(admin_roles),
                account_pointer(index, "access", grant_index, "role"),
                account=account.id,
                person=entity.head,
                entity=entity.id,
            )
