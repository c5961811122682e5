"""What every rule module provides, and the context rules read.

A rule module defines `ID`, `SEVERITY`, `Params` (a frozen pydantic model, extra fields
forbidden) and `check(ctx, params)`, a generator of `Violation`s. Its docstring is its
documentation: the first line is the summary, the rest is what `govern explain` prints.
The engine, not the rule, stamps id, severity, location and waiver state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, field_validator

from govern.findings import Severity, Violation
from govern.inventory.model import Account, Entity, Grant, Inventory, Person
from govern.platforms import ROLES, Catalog, Platform


class RuleParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleModule(Protocol):
    """A rule module, seen as an object. Read-only members, so each module's own `Params`
    subclass fits."""

    @property
    def ID(self) -> str: ...
    @property
    def SEVERITY(self) -> Severity: ...
    @property
    def Params(self) -> type[RuleParams]: ...

    def check(self, ctx: Context, params: Any) -> Iterable[Violation]: ...


@dataclass(frozen=True)
class CustodyRecord:
    """What a credential store says about one credential, without the secret."""

    ref: str
    updated_at: dt.datetime | None
    rotated_by: str | None = None


@dataclass
class Context:
    """The inventory seen through the policy's eyes, with the lookups rules share."""

    inventory: Inventory
    catalog: Catalog
    today: dt.date
    # Store metadata by credential ref; None when the store was not consulted (--offline).
    custody: dict[str, CustodyRecord] | None = None
    custody_source: str = "the credential store"
    waivers: tuple[Any, ...] = ()
    # The policy pack's custom rules by id (govern.rules.custom.CustomRule).
    custom: Mapping[str, Any] = field(default_factory=dict)
    # True when every reference to a person or an entity resolves, as in any inventory
    # `load_inventory` accepted: rules may then skip looking for unknown ids.
    references_checked: bool = False

    def platform(self, account: Account) -> Platform:
        return self.catalog.platforms[account.platform]

    def entity_of(self, account: Account) -> Entity | None:
        return self.entities.get(account.entity)

    def person(self, person_id: str) -> Person | None:
        return self.people.get(person_id)

    # Plain dicts built once: rules look these up for every grant of every account.
    @cached_property
    def people(self) -> dict[str, Person]:
        return {p.id: p for p in self.inventory.people}

    @cached_property
    def entities(self) -> dict[str, Entity]:
        return {e.id: e for e in self.inventory.entities}

    @cached_property
    def departed(self) -> frozenset[str]:
        return frozenset(p.id for p in self.inventory.people if p.departed)

    @cached_property
    def admin_roles(self) -> dict[str, frozenset[str]]:
        """platform key -> its administrative roles."""
        return {
            key: frozenset(r for r, spec in platform.roles.items() if spec.administrative)
            for key, platform in self.catalog.platforms.items()
        }

    @cached_property
    def _positions(self) -> dict[str, frozenset[str]]:
        return {e.id: frozenset((e.head, *e.it)) for e in self.inventory.entities}

    def head_and_it(self, entity_id: str) -> frozenset[str]:
        return self._positions.get(entity_id, frozenset())

    @cached_property
    def removable(self) -> dict[str, dict[str, frozenset[str]]]:
        """platform key -> role -> roles its holders can remove."""
        return {
            key: {r: frozenset(spec.can_remove) for r, spec in platform.roles.items()}
            for key, platform in self.catalog.platforms.items()
        }

    def readers(self, account: Account) -> set[str]:
        """Who can read an account's shared login: its holders, the entity head and IT."""
        return {g.person for g in account.access} | self.head_and_it(account.entity)

    def designated_managers(self, account: Account) -> tuple[tuple[int, Grant], ...]:
        """Grants held by people other than the entity head and the entity's IT (with their
        index in `access`). Computed once for the whole inventory: three rules ask for every
        account."""
        found = self._designated.get(id(account))
        # An account outside the inventory (no inventory account shares its id: they live
        # as long as the context) is worked out on the spot.
        return _managers_of(account, self._positions) if found is None else found

    @cached_property
    def _designated(self) -> dict[int, tuple[tuple[int, Grant], ...]]:
        positions = self._positions
        return {
            id(account): _managers_of(account, positions) for account in self.inventory.accounts
        }


_NOBODY: frozenset[str] = frozenset()


def _managers_of(
    account: Account, positions: dict[str, frozenset[str]]
) -> tuple[tuple[int, Grant], ...]:
    mine = positions.get(account.entity, _NOBODY)
    return tuple([(i, g) for i, g in enumerate(account.access) if g.person not in mine])


class ManagerRolesParams(RuleParams):
    """Parameters of rules about designated managers: which roles count as managing."""

    roles: tuple[str, ...] = ("owner", "admin", "editor")

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: tuple[str, ...]) -> tuple[str, ...]:
        return role_list(roles)


def account_pointer(index: int, *rest: str | int) -> tuple[str | int, ...]:
    return ("accounts", index, *rest)


def role_list(roles: Iterable[str]) -> tuple[str, ...]:
    """Validate a list of roles from the inventory vocabulary."""
    roles = tuple(roles)
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; roles are {', '.join(ROLES)}")
    return roles
