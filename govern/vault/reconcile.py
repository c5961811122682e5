"""`govern plan` / `govern apply` in one place: want (the inventory) against have (Vault) as
a plan, and the removal limit checked before any write (as Peribolos' maximumDelta)."""

from __future__ import annotations

from collections.abc import Mapping

from govern.errors import UsageError
from govern.inventory.model import Inventory
from govern.platforms import Catalog
from govern.vault._desired import desired_state
from govern.vault._observe import observe
from govern.vault._plan import make_plan
from govern.vault._types import ObservedState, Plan
from govern.vault.client import VaultClient, connect


def plan_vault(
    inventory: Inventory,
    catalog: Catalog,
    env: Mapping[str, str],
    *,
    mount: str = "govern",
    auth_mount: str | None = None,
    alias_field: str = "email",
) -> tuple[VaultClient, ObservedState, Plan]:
    """Connect (from `env`), read what Vault holds and plan the changes that make it match
    `inventory`: (the client, what was observed, the plan)."""
    desired = desired_state(
        inventory,
        catalog,
        mount=mount,
        auth_mount=auth_mount or None,
        alias_field="id" if alias_field == "id" else "email",
    )
    client = connect(env)
    observed = observe(client, auth_mount=desired.auth_mount)
    return client, observed, make_plan(desired, observed)


def default_max_removals(observed: ObservedState) -> int:
    """25% of the current memberships of govern's groups, at least 1 (as Peribolos guards)."""
    return max(1, observed.memberships() // 4)


def check_removals(
    plan: Plan, observed: ObservedState, *, max_removals: int | None, force: bool
) -> None:
    """Refuse (UsageError, nothing changed) a plan that takes away more accesses than
    `max_removals` (default: `default_max_removals`), unless `force`."""
    limit = max_removals if max_removals is not None else default_max_removals(observed)
    removals = plan.removals()
    if removals > limit and not force:
        raise UsageError(
            f"the plan removes {removals} accesses, more than the limit of {limit} "
            + (
                "(--max-removals)"
                if max_removals is not None
                else f"(25% of {observed.memberships()} current memberships)"
            )
            + "; nothing was changed",
            hint="check the inventory; rerun with --max-removals N or --force to apply anyway",
        )
