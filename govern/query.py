"""Answers about the declaration (who holds what), shared by `govern who`, `accounts` and revoke."""

from __future__ import annotations

from typing import Any

from govern.inventory.model import Inventory
from govern.platforms import Catalog


def holdings(inv: Inventory, catalog: Catalog, person_id: str) -> dict[str, Any]:
    """Every position and grant `person_id` holds, as plain data."""
    person = inv.person(person_id)
    assert person is not None
    heads = [e.id for e in inv.entities if e.head == person_id]
    it = [e.id for e in inv.entities if person_id in e.it]
    grants = []
    credentials = set()
    positions = set(heads) | set(it)
    for account_index, grant_index in inv.grants_by_person.get(person_id, ()):
        account = inv.accounts[account_index]
        grant = account.access[grant_index]
        platform = catalog.get(account.platform)
        grants.append(
            {
                "account": account.id,
                "entity": account.entity,
                "platform": account.platform,
                "role": grant.role,
                "label": platform.label(grant.role) if platform else grant.role,
                "expires": grant.expires.isoformat() if grant.expires else None,
            }
        )
        if platform is not None and platform.shared:
            credentials.add(account.id)
    # Head and IT can read every shared login of their entities (they must be able to rotate).
    for account in inv.accounts if positions else ():
        platform = catalog.get(account.platform)
        if account.entity in positions and platform is not None and platform.shared:
            credentials.add(account.id)
    return {
        "person": person.model_dump(mode="json"),
        "heads": heads,
        "it": it,
        "grants": grants,
        "credentials": sorted(credentials),
    }


def accounts_table(
    inv: Inventory, catalog: Catalog, entity: str | None, platform: str | None
) -> list[dict[str, Any]]:
    rows = []
    for account in inv.accounts:
        if entity is not None and account.entity != entity:
            continue
        if platform is not None and account.platform != platform:
            continue
        spec = catalog.get(account.platform)
        admins = [g.person for g in account.access if spec is not None and spec.is_admin(g.role)]
        rows.append(
            {
                "id": account.id,
                "entity": account.entity,
                "platform": account.platform,
                "handle": account.handle,
                "holders": len(account.access),
                "admins": admins,
            }
        )
    return rows
