"""The Vault side of a revocation: disable the person's identity entity (every token they
hold stops working at once) and take them out of every govern-managed group.

Objects are found by the names `govern plan/apply` gives them (`govern.vault.entity_name`);
a group govern did not create is never touched.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from govern.backends.vault import LIST_CONCURRENCY
from govern.vault import PREFIX, VaultClient, entity_name


def disable_person(client: VaultClient, person: str) -> dict[str, Any]:
    """Idempotent: a second run finds the entity disabled and the memberships gone."""
    name = entity_name(person)
    entity = client.read(f"identity/entity/name/{name}")
    if not entity or not entity.get("id"):
        return {"entity": None, "groups_left": []}
    entity_id = entity["id"]
    if not entity.get("disabled"):
        client.write(f"identity/entity/id/{entity_id}", {"disabled": True}, action="disable")

    def leave(group_id: str) -> str | None:
        group = client.read(f"identity/group/id/{group_id}") or {}
        if not str(group.get("name", "")).startswith(PREFIX):
            return None
        members = [m for m in group.get("member_entity_ids") or [] if m != entity_id]
        client.write(f"identity/group/id/{group_id}", {"member_entity_ids": members},
                     action="remove a member from")
        return str(group["name"])

    group_ids = list(entity.get("direct_group_ids") or [])
    # Bounded concurrency, as everywhere govern talks to Vault: a person in 500 groups.
    with ThreadPoolExecutor(max_workers=min(LIST_CONCURRENCY, max(len(group_ids), 1)),
                            thread_name_prefix="govern-revoke") as pool:
        left = [name for name in pool.map(leave, group_ids) if name]
    return {"entity": name, "groups_left": sorted(left)}
