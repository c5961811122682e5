"""What Vault holds: three LIST calls (entities with their aliases, groups, policies), then
one read per govern-named object, with bounded concurrency."""

from __future__ import annotations

from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from govern.vault._types import (
    GOVERN,
    MANAGED_BY,
    POLICY_MARKER,
    PREFIX,
    EntitySpec,
    GroupSpec,
    ObservedState,
)
from govern.vault.client import VaultClient


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _is_govern_policy(text: str) -> bool:
    return text.splitlines()[:1] == [POLICY_MARKER]


def observe(
    client: VaultClient,
    *,
    concurrency: int = 8,
    auth_mount: str | None = None,
    only: Collection[str] | None = None,
) -> ObservedState:
    """govern's objects in Vault. Aliases are observed on `auth_mount` only (None: none).
    With `only`, just the entities and groups of those names are read, and no policy (a
    revoke brings the few objects it concerns in line without reading every account's)."""

    def wanted(name: str) -> bool:
        return name.startswith(PREFIX) and (only is None or name in only)

    entity_list = client.list("identity/entity/id").get("key_info") or {}
    group_list = client.list("identity/group/id").get("key_info") or {}
    policy_names = client.list("sys/policies/acl").get("keys") or [] if only is None else []
    accessor = client.auth_accessor(auth_mount) if auth_mount else None

    names_by_id = {eid: str((info or {}).get("name") or eid) for eid, info in entity_list.items()}
    work: list[tuple[str, str]] = (
        [("entity", f"identity/entity/id/{i}") for i, n in names_by_id.items() if wanted(n)]
        + [
            ("group", f"identity/group/id/{i}")
            for i, info in group_list.items()
            if wanted(str((info or {}).get("name", "")))
        ]
        + [("policy", f"sys/policies/acl/{n}") for n in policy_names if wanted(str(n))]
    )

    def read(item: tuple[str, str]) -> dict[str, Any] | None:
        return client.read(item[1])

    if len(work) > 1 and concurrency > 1:
        client.resolve_token()  # once, before the threads
        with ThreadPoolExecutor(
            max_workers=min(concurrency, len(work)), thread_name_prefix="govern-vault"
        ) as pool:
            bodies = list(pool.map(read, work))
    else:
        bodies = [read(item) for item in work]

    entities: dict[str, EntitySpec] = {}
    groups: dict[str, GroupSpec] = {}
    policies: dict[str, str] = {}
    foreign: list[str] = []
    blocked: set[tuple[str, str]] = set()
    managed_ids: set[str] = set()
    for (kind, _), body in zip(work, bodies, strict=True):
        if body is None:  # deleted between the list and the read
            continue
        if kind == "policy":
            name, text = (
                str(body.get("name", "")),
                str(body.get("policy") or body.get("rules") or ""),
            )
            if _is_govern_policy(text):
                policies[name] = text
            else:
                foreign.append(
                    f"policy {name} exists but was not created by govern (no "
                    f"'{POLICY_MARKER}' first line); left untouched"
                )
                blocked.add(("policy", name))
            continue
        name = str(body.get("name", ""))
        metadata = _str_map(body.get("metadata"))
        if metadata.get(MANAGED_BY) != GOVERN:
            foreign.append(
                f"{kind} {name} exists but was not created by govern (no "
                f"{MANAGED_BY}={GOVERN} metadata); left untouched"
            )
            blocked.add((kind, name))
            continue
        if kind == "entity":
            entities[name] = EntitySpec(
                name=name, metadata=metadata, disabled=bool(body.get("disabled"))
            )
            managed_ids.add(str(body.get("id")))
        else:
            members = frozenset(
                names_by_id.get(str(i), str(i)) for i in body.get("member_entity_ids") or ()
            )
            groups[name] = GroupSpec(
                name=name,
                member_entities=members,
                policies=tuple(sorted(body.get("policies") or ())),
                metadata=metadata,
            )

    aliases: dict[str, str] = {}
    alias_owners: dict[str, str] = {}
    if accessor is not None:
        for eid, info in entity_list.items():
            for alias in (info or {}).get("aliases") or ():
                if alias.get("mount_accessor") != accessor:
                    continue
                alias_name, owner = str(alias.get("name")), names_by_id[eid]
                if eid in managed_ids:
                    aliases[owner] = alias_name
                else:  # reported by make_plan only if govern wants this login name
                    blocked.add(("alias", alias_name))
                    alias_owners[alias_name] = owner
    return ObservedState(
        entities=entities,
        aliases=aliases,
        groups=groups,
        policies=policies,
        foreign=tuple(sorted(foreign)),
        blocked=frozenset(blocked),
        auth_mount=auth_mount.strip("/") if auth_mount else None,
        alias_owners=alias_owners,
    )
