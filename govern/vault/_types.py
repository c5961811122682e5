"""The values of access enforcement: desired and observed Vault objects, changes, plans."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

PREFIX = "govern-"
MANAGED_BY = "managed-by"
GOVERN = "govern"
# Policies carry no metadata in Vault: govern marks its own with this first line of the HCL.
POLICY_MARKER = "# managed-by: govern"

Kind = Literal["entity", "alias", "group", "membership", "policy"]
Action = Literal["create", "update", "delete", "add", "remove", "disable", "enable"]

ADDS = frozenset({"create", "add"})
CHANGES = frozenset({"update", "disable", "enable"})
REMOVES = frozenset({"delete", "remove"})


@dataclass(frozen=True)
class EntitySpec:
    """One identity entity: a person."""

    name: str
    metadata: Mapping[str, str]
    disabled: bool


@dataclass(frozen=True)
class GroupSpec:
    """One internal identity group: the readers of one account's shared login."""

    name: str
    member_entities: frozenset[str]  # entity names (an unknown member: its id)
    policies: tuple[str, ...]
    metadata: Mapping[str, str]


@dataclass(frozen=True)
class DesiredState:
    """What the inventory says Vault must hold. `auth_mount` None: aliases are not managed."""

    entities: Mapping[str, EntitySpec]
    aliases: Mapping[str, str]  # entity name -> alias (login) name on `auth_mount`
    groups: Mapping[str, GroupSpec]
    policies: Mapping[str, str]  # policy name -> HCL
    auth_mount: str | None = None


@dataclass(frozen=True)
class ObservedState:
    """What Vault holds, govern's objects only; `foreign` describes conflicting objects govern
    did not create, and `blocked` names them as (kind, name) so a plan leaves them alone."""

    entities: Mapping[str, EntitySpec]
    aliases: Mapping[str, str]
    groups: Mapping[str, GroupSpec]
    policies: Mapping[str, str]
    foreign: tuple[str, ...] = ()
    blocked: frozenset[tuple[str, str]] = frozenset()
    auth_mount: str | None = None
    # login names on `auth_mount` held by entities govern did not create -> that entity
    alias_owners: Mapping[str, str] = field(default_factory=dict)

    def memberships(self) -> int:
        return sum(len(g.member_entities) for g in self.groups.values())


@dataclass(frozen=True)
class Change:
    """One step of a plan. `body` holds what apply sends (never a secret)."""

    kind: Kind
    action: Action
    name: str
    detail: str
    account: str | None = None
    person: str | None = None
    body: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    # For a policy update: the text changes, as unified diff lines ("-" Vault, "+" inventory).
    text_diff: tuple[str, ...] = field(default=(), compare=False, hash=False, repr=False)

    @property
    def symbol(self) -> str:
        return "+" if self.action in ADDS else "-" if self.action in REMOVES else "~"

    def describe(self) -> str:
        return f"{self.symbol} {self.action} {self.kind} {self.name}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "action": self.action,
            "name": self.name,
            "detail": self.detail,
            "account": self.account,
            "person": self.person,
        }
        if self.text_diff:
            out["diff"] = list(self.text_diff)
        return out


@dataclass(frozen=True)
class Plan:
    """The changes that make Vault match the inventory, in a crash-safe order."""

    changes: tuple[Change, ...]
    foreign: tuple[str, ...] = ()

    def removals(self) -> int:
        """Changes that take access away: memberships removed, entities deleted or disabled."""
        return sum(
            1
            for c in self.changes
            if c.action == "remove" or (c.kind == "entity" and c.action in ("delete", "disable"))
        )

    def summary(self) -> dict[str, int]:
        counts = Counter(
            "add" if c.action in ADDS else "remove" if c.action in REMOVES else "change"
            for c in self.changes
        )
        return {"add": counts["add"], "change": counts["change"], "remove": counts["remove"]}

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "changes": [c.to_dict() for c in self.changes],
                "foreign": list(self.foreign),
                "summary": self.summary(),
                "removals": self.removals(),
            },
            indent=2,
        )


@dataclass(frozen=True)
class ApplyResult:
    """What apply did, and what failed (with the error message), in plan order."""

    done: tuple[Change, ...]
    failed: tuple[tuple[Change, str], ...]
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed
