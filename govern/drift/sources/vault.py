"""Vault as a source of observed state: govern's own objects and the credentials themselves.

The comparison is `govern.vault`'s: `make_plan(desired_state(inventory), observe(vault))`.
Every change the plan would make is something that differs from the inventory (a member
added by hand, a policy edited, an entity enabled again for a departed person), so each one
is a drift finding; so is every conflicting object govern did not create (`Plan.foreign`),
and every credential the inventory declares that the store does not hold.

Settings come from the environment, as for `govern plan`: VAULT_ADDR and a token (VAULT_TOKEN,
the `govern login` keyring token, AppRole, JWT/OIDC or Kubernetes: govern.backends.vault.auth),
GOVERN_VAULT_MOUNT (the KV v2 mount, default `govern`), GOVERN_VAULT_AUTH_MOUNT and
GOVERN_VAULT_ALIAS_FIELD (`email` or `id`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from govern.backends.vault import check_mount
from govern.credentials.vaultstore import DEFAULT_MOUNT, VaultStore
from govern.drift import rules
from govern.drift.compare import Drift
from govern.errors import UsageError
from govern.findings import Location, Pointer, Severity, Violation
from govern.inventory.load import LoadedInventory
from govern.inventory.model import Inventory
from govern.platforms import Catalog
from govern.vault import (
    Change,
    DesiredState,
    Plan,
    connect,
    desired_state,
    make_plan,
    observe,
)

# (kind, action) -> (rule, severity when it differs from the rule's default)
_RULE: dict[tuple[str, str], tuple[str, Severity]] = {
    ("membership", "remove"): (rules.VAULT_MEMBERSHIP, Severity.ERROR),
    ("membership", "add"): (rules.VAULT_MEMBERSHIP, Severity.WARNING),
    ("group", "update"): (rules.VAULT_MEMBERSHIP, Severity.ERROR),
    ("group", "create"): (rules.VAULT_MEMBERSHIP, Severity.WARNING),
    ("group", "delete"): (rules.VAULT_MEMBERSHIP, Severity.WARNING),
    ("policy", "update"): (rules.VAULT_POLICY, Severity.ERROR),
    ("policy", "create"): (rules.VAULT_POLICY, Severity.WARNING),
    ("policy", "delete"): (rules.VAULT_POLICY, Severity.WARNING),
    ("entity", "disable"): (rules.VAULT_ENTITY, Severity.ERROR),
    ("entity", "enable"): (rules.VAULT_ENTITY, Severity.WARNING),
    ("entity", "create"): (rules.VAULT_ENTITY, Severity.WARNING),
    ("entity", "update"): (rules.VAULT_ENTITY, Severity.WARNING),
    ("entity", "delete"): (rules.VAULT_ENTITY, Severity.WARNING),
    ("alias", "create"): (rules.VAULT_ENTITY, Severity.WARNING),
    ("alias", "update"): (rules.VAULT_ENTITY, Severity.ERROR),
    ("alias", "delete"): (rules.VAULT_ENTITY, Severity.WARNING),
}


def _message(change: Change) -> str:
    account = f"account {change.account}" if change.account else change.name
    who = f"person {change.person}" if change.person else f"entity {change.detail}"
    match (change.kind, change.action):
        case ("membership", "remove"):
            return (
                f"{who} can read the shared login of {account} in Vault (group {change.name}), "
                "but the inventory does not make them a reader"
                + ("" if change.person else " (not an entity govern manages)")
            )
        case ("membership", "add"):
            return (
                f"{who} should read the shared login of {account} but is not a member of "
                f"group {change.name} in Vault"
            )
        case ("entity", "disable"):
            return (
                f"the Vault entity {change.name} of departed {who} is enabled: their login "
                f"works again ({change.detail})"
            )
        case ("entity", "enable"):
            return f"the Vault entity {change.name} of active {who} is disabled"
        case (kind, "create"):
            return f"{kind} {change.name} is missing in Vault ({change.detail})"
        case (kind, "delete"):
            return f"{kind} {change.name} in Vault is not in the inventory ({change.detail})"
        case (kind, _):
            return f"{kind} {change.name} in Vault differs from the inventory: {change.detail}"


def _pointer(inventory: Inventory, change: Change) -> Pointer | None:
    if change.account is not None and change.account in inventory.account_index:
        return ("accounts", inventory.account_index[change.account])
    if change.person is not None and change.person in inventory.person_index:
        return ("people", inventory.person_index[change.person])
    return None


def plan_drift(inventory: Inventory, plan: Plan, where: Location) -> Iterator[Drift]:
    """A drift finding for every change of `plan` and every foreign object."""
    for change in plan.changes:
        rule, severity = _RULE.get(
            (change.kind, change.action), (rules.VAULT_ENTITY, Severity.WARNING)
        )
        pointer = _pointer(inventory, change)
        yield (
            rule,
            Violation(
                _message(change),
                pointer or (),
                account=change.account if pointer and pointer[0] == "accounts" else None,
                person=change.person,
                severity=severity,
                location=None if pointer is not None else where,
            ),
        )
    for note in plan.foreign:
        yield rules.FOREIGN_OBJECT, Violation(note, (), location=where)


def credential_drift(
    inventory: Inventory, desired: DesiredState, stored: set[str], where: str
) -> Iterator[Drift]:
    """Accounts with a shared login (each has a desired group, whose metadata names the
    credential) whose credential the store does not hold."""
    for group in desired.groups.values():
        ref = group.metadata.get("credential")
        index = inventory.account_index.get(group.metadata.get("account", ""))
        if ref is None or index is None or ref in stored:
            continue
        account = inventory.accounts[index]
        yield (
            rules.MISSING_CREDENTIAL,
            Violation(
                f"no credential '{ref}' for {account.id} in {where}",
                ("accounts", index, "credential") if account.credential else ("accounts", index),
                account=account.id,
                entity=account.entity,
            ),
        )


def vault_drift(
    loaded: LoadedInventory, catalog: Catalog, *, env: Mapping[str, str]
) -> list[Drift]:
    """Drift between the inventory and Vault. Raises `BackendUnavailable` (exit 3) when Vault
    cannot be reached, is sealed or refuses the token."""
    mount = check_mount(env.get("GOVERN_VAULT_MOUNT") or DEFAULT_MOUNT, source="GOVERN_VAULT_MOUNT")
    auth_mount = (env.get("GOVERN_VAULT_AUTH_MOUNT") or "").strip("/") or None
    if auth_mount:
        auth_mount = check_mount(auth_mount, source="GOVERN_VAULT_AUTH_MOUNT")
    alias_field = env.get("GOVERN_VAULT_ALIAS_FIELD") or "email"
    if alias_field not in ("email", "id"):
        raise UsageError(f"GOVERN_VAULT_ALIAS_FIELD must be 'email' or 'id', not {alias_field!r}")
    inventory = loaded.inventory
    desired = desired_state(
        inventory,
        catalog,
        mount=mount,
        auth_mount=auth_mount,
        alias_field="id" if alias_field == "id" else "email",
    )
    client = connect(env)
    plan = make_plan(desired, observe(client, auth_mount=desired.auth_mount))
    store = VaultStore.on(client, mount=mount)
    stored = {m.ref for m in store.list()}
    where = Location(client.describe())
    return [
        *plan_drift(inventory, plan, where),
        *credential_drift(inventory, desired, stored, store.describe()),
    ]


__all__ = ["credential_drift", "plan_drift", "vault_drift"]
