"""The Vault side of a revocation: disable the person's identity entity (every token they
hold stops working at once) and take them out of every govern-managed group.

Objects are found by the names `govern plan/apply` gives them (`govern-person-<id>`,
`govern-account-<id>`); a group govern did not create is never touched.
"""

from __future__ import annotations

from typing import Any

import hvac.exceptions

from govern.credentials.vaultstore import VaultConnection

PREFIX = "govern-"


def entity_name(person: str) -> str:
    return f"{PREFIX}person-{person}"


def disable_person(conn: VaultConnection, person: str) -> dict[str, Any]:
    """Idempotent: a second run finds the entity disabled and the memberships gone."""
    name = entity_name(person)
    try:
        response = conn.request(
            "GET",
            f"identity/entity/name/{name}",
            action="read",
            capability="read",
            passthrough=(hvac.exceptions.InvalidPath,),
        )
    except hvac.exceptions.InvalidPath:
        return {"entity": None, "groups_left": []}
    entity = (response or {}).get("data") or {}
    entity_id = entity.get("id")
    if not entity_id:
        return {"entity": None, "groups_left": []}
    if not entity.get("disabled"):
        conn.request(
            "POST",
            f"identity/entity/id/{entity_id}",
            json={"disabled": True},
            action="disable",
            capability="update",
        )
    left = []
    for group_id in entity.get("direct_group_ids") or []:
        group = (
            conn.request("GET", f"identity/group/id/{group_id}", action="read", capability="read")
            or {}
        ).get("data") or {}
        if not str(group.get("name", "")).startswith(PREFIX):
            continue
        members = [m for m in group.get("member_entity_ids") or [] if m != entity_id]
        conn.request(
            "POST",
            f"identity/group/id/{group_id}",
            json={"member_entity_ids": members},
            action="update",
            capability="update",
        )
        left.append(group["name"])
    return {"entity": name, "groups_left": sorted(left)}
