"""The head, alone or through the entity's IT, can remove every designated manager.

Policy: the head of the entity, alone or through IT personnel, must be able to terminate
the Administrative Access of any designated account manager. For each designated manager
(an access holder other than the head and IT) the head or one of the IT must hold a role
that the platform catalog says can remove the manager's role. Example: on YouTube a Manager
(`admin`) cannot remove an Owner (`owner`), so a volunteer Owner with a Manager head fails.
On shared-login accounts any credential holder can rotate the password, so it suffices
that the head or IT holds the credential.

Passes: head is `owner` on YouTube, volunteer is `admin`.
Fails: head is `admin` (Manager) on YouTube, volunteer is `owner`.
"""

from __future__ import annotations

from collections.abc import Iterator

from govern.findings import Severity, Violation
from govern.rules._base import Context, RuleParams, account_pointer

ID = "revocation-ability"
SEVERITY = Severity.ERROR


class Params(RuleParams):
    pass


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    removable, entities, designated = ctx.removable, ctx.entities, ctx.designated_managers
    for index, account in enumerate(ctx.inventory.accounts):
        managers = designated(account)
        if not managers:
            continue
        entity = entities.get(account.entity)
        if entity is None:
            continue
        positions = ctx.head_and_it(account.entity)
        removers = [g for g in account.access if g.person in positions]
        can_remove = removable[account.platform]
        reach = frozenset().union(*(can_remove.get(r.role, ()) for r in removers))
        for grant_index, grant in managers:
            if grant.role in reach:
                continue
            platform = ctx.platform(account)
            if platform.shared:
                why = "neither the head nor IT holds the shared login, so it cannot be rotated"
            elif removers:
                held = ", ".join(f"{r.person}: {platform.label(r.role)}" for r in removers)
                why = f"their roles ({held}) cannot remove {platform.label(grant.role)}"
            else:
                why = "neither the head nor IT holds a role on the account"
            yield Violation(
                f"'{grant.person}' ({platform.label(grant.role)}) cannot be removed by the "
                f"head of {entity.name}: {why}",
                account_pointer(index, "access", grant_index, "role"),
                account=account.id,
                person=grant.person,
                entity=entity.id,
            )
