"""The Vault side of a revocation: disable the person's identity entity (every token they
hold stops working at once) and take them out of every govern-managed group.

Objects are found by the names `govern plan/apply` gives them (`govern.vault.entity_name`);
a group govern did not create is never touched.
"""

from __future__ import annotations

from typing import Any

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
    left = []
    for group_id in entity.get("direct_group_ids") or []:
        group = client.read(f"identity/group/id/{group_id}") or {}
        if not str(group.get("name", "")).startswith(PREFIX):
            continue
        members = [m for m in group.get("member_entity_ids") or [] if m != entity_id]
        client.write(f"identity/group/id/{group_id}", {"member_entity_ids": members},
                     action="remove a member from")
        left.append(str(group["name"]))
    return {"entity": name, "groups_left": sorted(left)}
