"""The Vault objects the inventory calls for: an entity per person, and for every account
whose login is shared a policy granting read on its secret and a group of its readers."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from govern.backends.vault import check_mount
from govern.credentials import validate_ref
from govern.inventory.model import Account, Inventory, Person
from govern.platforms import Catalog
from govern.rules._base import Context
from govern.vault._types import (
    GOVERN,
    MANAGED_BY,
    POLICY_MARKER,
    PREFIX,
    DesiredState,
    EntitySpec,
    GroupSpec,
)

AliasField = Literal["email", "id"]


def entity_name(person_id: str) -> str:
    return f"{PREFIX}person-{person_id}"


def account_object_name(account_id: str) -> str:
    """The name of both the policy and the group of an account."""
    return f"{PREFIX}account-{account_id}"


def person_of(entity: str) -> str | None:
    head = f"{PREFIX}person-"
    return entity[len(head) :] if entity.startswith(head) else None


def account_of(name: str) -> str | None:
    head = f"{PREFIX}account-"
    return name[len(head) :] if name.startswith(head) else None


def secret_paths(mount: str, ref: str) -> tuple[str, str]:
    """The KV v2 data and metadata paths of one credential."""
    return f"{mount}/data/accounts/{ref}", f"{mount}/metadata/accounts/{ref}"


def policy_hcl(account: Account, mount: str) -> str:
    # The ref is a single path segment without glob characters: a `*` or `+` here would
    # widen the grant to other secrets.
    data, metadata = secret_paths(mount, validate_ref(account.credential_ref))
    return (
        f"{POLICY_MARKER}\n"
        f"# Readers of the shared login of account {account.id}; written by govern apply.\n"
        f'path "{data}" {{\n  capabilities = ["read"]\n}}\n\n'
        f'path "{metadata}" {{\n  capabilities = ["read"]\n}}\n'
    )


def entity_spec(person: Person) -> EntitySpec:
    return EntitySpec(
        name=entity_name(person.id),
        metadata={
            MANAGED_BY: GOVERN,
            "person": person.id,
            "email": person.email,
            "level": person.level,
            "status": person.status,
        },
        disabled=person.departed,
    )


def needs_group(account: Account, catalog: Catalog) -> bool:
    platform = catalog.get(account.platform)
    return account.credential is not None or (platform is not None and platform.shared)


def desired_state(
    inventory: Inventory,
    catalog: Catalog,
    *,
    mount: str = "govern",
    auth_mount: str | None = None,
    alias_field: AliasField = "email",
) -> DesiredState:
    """What Vault must hold for `inventory`. Departed people keep their memberships (the
    declaration is mirrored as is); their entity is disabled, which denies every token."""
    mount = check_mount(mount)
    auth_mount = check_mount(auth_mount, source="the auth mount") if auth_mount else None
    people = {p.id: p for p in inventory.people}
    entities = {spec.name: spec for spec in map(entity_spec, inventory.people)}
    aliases: dict[str, str] = {}
    if auth_mount:
        aliases = {
            entity_name(p.id): p.email if alias_field == "email" else p.id for p in inventory.people
        }
    ctx = Context(inventory=inventory, catalog=catalog, today=dt.date.today())
    groups: dict[str, GroupSpec] = {}
    policies: dict[str, str] = {}
    for account in inventory.accounts:
        if not needs_group(account, catalog):
            continue
        name = account_object_name(account.id)
        policies[name] = policy_hcl(account, mount)
        members = frozenset(entity_name(p) for p in ctx.readers(account) if p in people)
        groups[name] = GroupSpec(
            name=name,
            member_entities=members,
            policies=(name,),
            metadata={
                MANAGED_BY: GOVERN,
                "account": account.id,
                "entity": account.entity,
                "platform": account.platform,
                "credential": account.credential_ref,
            },
        )
    return DesiredState(
        entities=entities,
        aliases=aliases,
        groups=groups,
        policies=policies,
        auth_mount=auth_mount.strip("/") if auth_mount else None,
    )
