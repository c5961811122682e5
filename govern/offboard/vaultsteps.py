"""The Vault side of a revocation.

`find_person` (read only, part of the preflight) finds every entity that lets the person in:
govern's `govern-person-<id>` and, when an auth mount is given, the entity that really owns
their login alias there, even one govern did not create. `disable_person` disables those
entities (every token they hold stops working at once) and takes them out of the groups
govern manages (`managed-by: govern` metadata); a group without it is never touched.
`sync_person` then brings the objects the revoke concerns in line with the edited
inventory (the entity's status, the successor's memberships), as `govern apply` would, so
no drift is left.

Only the existing client APIs (`VaultClient.read/write`, `govern.vault` plan and apply) are
used here; the transport lives with them.
"""

from __future__ import annotations

from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.backends.vault import LIST_CONCURRENCY
from govern.errors import BackendUnavailable, GovernError, StoreError
from govern.inventory.load import load_inventory
from govern.platforms import Catalog
from govern.vault import (
    MANAGED_BY,
    AliasField,
    DesiredState,
    Plan,
    VaultClient,
    account_object_name,
    apply_plan,
    desired_state,
    entity_name,
    make_plan,
    observe,
)
from govern.vault._types import GOVERN


@dataclass(frozen=True)
class Target:
    """One entity to disable: its id and name, and why it is the person's."""

    id: str
    name: str
    why: str
    disabled: bool
    group_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "why": self.why}


def _target(body: dict[str, Any], why: str) -> Target:
    return Target(
        id=str(body["id"]),
        name=str(body.get("name") or body["id"]),
        why=why,
        disabled=bool(body.get("disabled")),
        group_ids=tuple(str(g) for g in body.get("direct_group_ids") or ()),
    )


def find_person(
    client: VaultClient, person: str, *, auth_mount: str | None, alias: str | None
) -> list[Target]:
    """The entities that let `person` in (read only)."""
    targets: list[Target] = []
    own = client.read(f"identity/entity/name/{entity_name(person)}")
    if own and own.get("id"):
        targets.append(_target(own, "govern's entity of the person"))
    if auth_mount and alias:
        accessor = client.auth_accessor(auth_mount)
        try:
            answer = client.write(
                "identity/lookup/entity",
                {"alias_name": alias, "alias_mount_accessor": accessor},
                action="look up the owner of a login in",
            )
        except GovernError as exc:
            exc.message = (
                f"cannot find which entity owns the login {alias!r} on "
                f"auth/{auth_mount}: {exc.message}"
            )
            exc.args = (exc.message,)
            raise
        owner = (answer or {}).get("data")
        known = {t.id for t in targets}
        if isinstance(owner, dict) and owner.get("id") and str(owner["id"]) not in known:
            # The id lookup has the group ids; the alias lookup may not.
            full = client.read(f"identity/entity/id/{owner['id']}") or owner
            targets.append(_target(full, f"owns the login {alias!r} on auth/{auth_mount}"))
    return targets


def check_can_disable(client: VaultClient, targets: list[Target]) -> None:
    """Before any change: the token may update each target entity and the groups it is in
    (`sys/capabilities-self`). A server that will not say (the endpoint refused) is not a
    refusal: the step itself then names what fails."""
    needs = [f"identity/entity/id/{t.id}" for t in targets if not t.disabled]
    needs += [f"identity/group/id/{g}" for t in targets for g in t.group_ids]
    if not needs:
        return
    try:
        answer = client.write(
            "sys/capabilities-self",
            {"paths": needs},
            action="check the capabilities of the token at",
        )
    except GovernError:
        return
    found = (answer or {}).get("data") or answer or {}
    names = {f"identity/entity/id/{t.id}": f"entity {t.name} ({t.why})" for t in targets}
    for path in needs:
        capabilities = found.get(path)
        if isinstance(capabilities, list) and not {"update", "root"} & set(capabilities):
            what = names.get(path, path)
            raise BackendUnavailable(
                f"Vault at {client.addr}: the token may not update {path}, so the revoke "
                f"could not disable {what}",
                hint="use a token with the operator policy of docs/vault.md",
            )


def disable_person(client: VaultClient, targets: list[Target]) -> dict[str, Any]:
    """Idempotent: a second run finds the entities disabled and the memberships gone."""
    disabled: list[str] = []
    for target in targets:
        if not target.disabled:
            try:
                client.write(
                    f"identity/entity/id/{target.id}", {"disabled": True}, action="disable"
                )
            except GovernError as exc:
                exc.message = (
                    f"could not disable entity {target.name} ({target.id}, "
                    f"{target.why}): {exc.message}"
                )
                exc.args = (exc.message,)
                raise
        disabled.append(target.name)

    def leave(item: tuple[str, str]) -> tuple[str, bool]:
        entity_id, group_id = item
        group = client.read(f"identity/group/id/{group_id}") or {}
        name = str(group.get("name") or group_id)
        if (group.get("metadata") or {}).get(MANAGED_BY) != GOVERN:
            return name, False  # not govern's: never touched
        members = [m for m in group.get("member_entity_ids") or [] if m != entity_id]
        if members != list(group.get("member_entity_ids") or []):
            client.write(
                f"identity/group/id/{group_id}",
                {"member_entity_ids": members},
                action="remove a member from",
            )
        return name, True

    work = [(t.id, g) for t in targets for g in t.group_ids]
    # Bounded concurrency, as everywhere govern talks to Vault: a person in 500 groups.
    with ThreadPoolExecutor(
        max_workers=min(LIST_CONCURRENCY, max(len(work), 1)), thread_name_prefix="govern-revoke"
    ) as pool:
        outcomes = list(pool.map(leave, work))
    return {
        "entity": targets[0].name if targets else None,
        "disabled": disabled,
        "groups_left": sorted({name for name, managed in outcomes if managed}),
        "groups_not_managed": sorted({name for name, managed in outcomes if not managed}),
    }


def sync_person(
    client: VaultClient,
    inventory: Path,
    catalog: Catalog,
    *,
    people: Collection[str],
    accounts: Collection[str],
    mount: str,
    auth_mount: str | None,
    alias_field: AliasField,
) -> dict[str, Any]:
    """Apply the changes `govern apply` would make for these people and accounts (and
    nothing else) after the inventory edit; failures raise, naming each change."""
    loaded = load_inventory(inventory, catalog)
    full = desired_state(
        loaded.inventory, catalog, mount=mount, auth_mount=auth_mount, alias_field=alias_field
    )
    entities = {entity_name(p) for p in people} & set(full.entities)
    groups = {account_object_name(a) for a in accounts} & set(full.groups)
    # Only what the revoke concerns, on both sides: the people's entities and aliases, and
    # their memberships in the groups of the accounts concerned. Policies and groups
    # themselves are `govern apply`'s business.
    desired = DesiredState(
        entities={n: full.entities[n] for n in entities},
        aliases={n: a for n, a in full.aliases.items() if n in entities},
        groups={n: full.groups[n] for n in groups},
        policies={},
        auth_mount=full.auth_mount,
    )
    observed = observe(client, auth_mount=desired.auth_mount, only=entities | groups)
    mine = tuple(
        c
        for c in make_plan(desired, observed).changes
        if c.kind in ("entity", "alias") or (c.kind == "membership" and c.detail in entities)
    )
    return apply_or_raise(
        client, Plan(changes=mine), "Vault was not brought in line with the inventory"
    )


def apply_or_raise(client: VaultClient, plan: Plan, what: str) -> dict[str, Any]:
    """Apply `plan`; any change that failed raises (exit 3 when Vault could not be reached),
    naming each failure after `what`."""
    result = apply_plan(client, plan)
    if result.failed:
        lines = "; ".join(f"{c.describe()}: {message}" for c, message in result.failed)
        error = BackendUnavailable if result.exit_code == 3 else StoreError
        raise error(f"{what}: {lines}")
    return {"applied": [c.describe() for c in result.done]}
