"""Revoke on the platforms: remove the departing person through each platform's admin API.

One journaled step per account (`platform:<account id>`) on a platform with a connector:

1. read the account's holders and find the person (by `identities`, else by email);
2. not there: done, nothing sent (a rerun after success sends no second removal);
3. there: one removal request per matching holder, then read the holders again to confirm.

A platform failure (token refused, unreachable, removal not confirmed) fails only that step:
the other steps go on, the revoke exits 3, and the next run resumes with the failed steps.
Accounts on platforms without a connector (or whose API has no removal), or without a
configured token, stay on the manual checklist. A removal that would leave the account with
no administrator on the platform (the successor not added yet) is refused for that account,
so automation never locks an organization out of its own page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from govern.connectors import (
    SPECS,
    Connector,
    ConnectorUnavailable,
    Holder,
    People,
    TokenLookup,
    Unverifiable,
    open_connector,
    store_key,
    token_env,
)
from govern.drift.roles import RoleNames
from govern.drift.sources.live import resolve_role
from govern.inventory.model import Inventory
from govern.platforms import Catalog

STEP_PREFIX = "platform:"


@dataclass(frozen=True)
class Removal:
    """The person's access to `account` on a platform with a removal API."""

    account: str
    platform: str
    namespace: str

    @property
    def step(self) -> str:
        return STEP_PREFIX + self.account


def removals(inventory: Inventory, accounts: Sequence[str]) -> list[Removal]:
    """The removals for the person's grants on `accounts` (one per account, in order)."""
    found: list[Removal] = []
    seen: set[str] = set()
    for account_id in accounts:
        index = inventory.account_index.get(account_id)
        if index is None or account_id in seen:
            continue
        account = inventory.accounts[index]
        spec = SPECS.get(account.platform)
        if spec is not None and spec.removes:
            seen.add(account_id)
            found.append(Removal(account_id, account.platform, spec.namespace))
    return found


class Platforms:
    """Connectors for a revoke, built on first use, one per platform namespace."""

    def __init__(
        self,
        inventory: Inventory,
        catalog: Catalog,
        *,
        env: Mapping[str, str],
        store: TokenLookup | None,
        concurrency: int = 4,
    ) -> None:
        self.inventory = inventory
        self.catalog = catalog
        self.names = RoleNames(catalog)
        self.env = env
        self.store = store
        self.concurrency = concurrency
        self.people = People(inventory)
        self._connectors: dict[str, Connector | None] = {}

    def missing_token(self, removal: Removal) -> str | None:
        """Why `removal` cannot be automated (no token), or None when it can."""
        if self.connector(removal) is not None:
            return None
        return (
            f"no token for {SPECS[removal.platform].title}: set {token_env(removal.namespace)} "
            f"or `govern creds set {store_key(removal.namespace)}` to remove automatically"
        )

    def planned(self, accounts: Sequence[str]) -> list[tuple[Removal, str | None]]:
        """What the `platforms` step will do for the person's grants on `accounts`: each
        removal with None when it goes through the platform's API, else why it stays manual."""
        return [
            (removal, self.missing_token(removal)) for removal in removals(self.inventory, accounts)
        ]

    def connector(self, removal: Removal) -> Connector | None:
        if removal.namespace not in self._connectors:
            self._connectors[removal.namespace] = open_connector(
                removal.platform,
                env=self.env,
                store=self.store,
                connectors=self.inventory.organization.connectors,
                concurrency=self.concurrency,
            )
        return self._connectors[removal.namespace]

    def remove(self, removal: Removal, person_id: str) -> dict[str, Any]:
        """Remove `person_id` from the account and confirm it; raises `ConnectorUnavailable`
        (the step stays open) when the platform fails or the removal does not hold."""
        connector = self.connector(removal)
        if connector is None:  # pragma: no cover - callers check missing_token first
            raise ConnectorUnavailable(self.missing_token(removal) or "", kind="refused")
        person = self.inventory.person(person_id)
        assert person is not None
        account = self.inventory.accounts[self.inventory.account_index[removal.account]]
        try:
            holders = connector.holders(account)
            present = [
                h for h in self.people.find(removal.namespace, person, holders) if not h.pending
            ]
            if not present:
                return {"removed": 0, "already_gone": True}
            self._keeps_an_administrator(removal, person_id, holders)
            for holder in present:
                connector.remove(account, holder)
            still = [
                h
                for h in self.people.find(removal.namespace, person, connector.holders(account))
                if not h.pending
            ]
        except Unverifiable as exc:
            raise ConnectorUnavailable(
                f"{removal.account}: {exc.reason}", kind="bad-response"
            ) from None
        if still:
            raise ConnectorUnavailable(
                f"{connector.title}: {person_id} is still listed on {removal.account} after "
                "the removal",
                kind="bad-response",
                hint="check the token's write permission; run the revoke again to retry",
            )
        return {"removed": len(present), "already_gone": False}

    def _keeps_an_administrator(
        self, removal: Removal, person_id: str, holders: Sequence[Holder]
    ) -> None:
        platform = self.catalog.platforms[removal.platform]
        others = [
            h
            for h in holders
            if not h.pending
            and self.people.match(removal.namespace, h) != person_id
            and platform.is_admin(
                resolve_role(self.names, removal.platform, platform, h.roles) or ""
            )
        ]
        if not others:
            raise ConnectorUnavailable(
                f"removing {person_id} would leave {removal.account} with no administrator "
                f"on {platform.name}",
                kind="lockout",
                hint="add the successor (or another administrator) on the platform first, "
                "then run the same command again",
            )


__all__ = ["STEP_PREFIX", "Platforms", "Removal", "removals"]
