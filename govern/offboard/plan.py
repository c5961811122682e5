"""What `govern revoke PERSON` will do, computed before anything is touched.

Pure: inventory + catalog + policy in, a `RevokePlan` out. The plan refuses (lists
`blocked` reasons) when removing the person would leave an entity without its head or an
account without its head holding admin or without any admin, unless a successor takes over
the person's head and IT positions and administrative roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govern.inventory.model import Inventory
from govern.platforms import Catalog


@dataclass(frozen=True)
class GrantChange:
    account: str
    platform: str
    role: str
    label: str


@dataclass(frozen=True)
class RevokePlan:
    person: str
    successor: str | None
    grants: tuple[GrantChange, ...] = ()  # removed from the person
    heads: tuple[str, ...] = ()  # entities the person heads
    it: tuple[str, ...] = ()  # entities the person serves as IT for
    credentials: tuple[tuple[str, str, str], ...] = ()  # (account, ref, platform) to rotate
    successor_grants: tuple[GrantChange, ...] = ()  # given to (or raised for) the successor
    at_risk: tuple[str, ...] = ()  # accounts left without head admin / any admin (no successor)
    blocked: tuple[str, ...] = ()
    already_departed: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def nothing_to_do(self) -> bool:
        return self.already_departed and not (self.grants or self.heads or self.it)

    def to_json(self) -> dict[str, Any]:
        def grant(g: GrantChange) -> dict[str, str]:
            return {"account": g.account, "platform": g.platform, "role": g.role, "label": g.label}

        return {
            "person": self.person,
            "successor": self.successor,
            "grants": [grant(g) for g in self.grants],
            "heads": list(self.heads),
            "it": list(self.it),
            "credentials": [
                {"account": a, "ref": r, "platform": p} for a, r, p in self.credentials
            ],
            "successor_grants": [grant(g) for g in self.successor_grants],
            "at_risk": list(self.at_risk),
            "blocked": list(self.blocked),
            "already_departed": self.already_departed,
            "nothing_to_do": self.nothing_to_do,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RevokePlan:
        def grants(items: list[dict[str, str]]) -> tuple[GrantChange, ...]:
            return tuple(GrantChange(**item) for item in items)

        return cls(
            person=data["person"],
            successor=data["successor"],
            grants=grants(data["grants"]),
            heads=tuple(data["heads"]),
            it=tuple(data["it"]),
            credentials=tuple((c["account"], c["ref"], c["platform"]) for c in data["credentials"]),
            successor_grants=grants(data["successor_grants"]),
            at_risk=tuple(data["at_risk"]),
            blocked=tuple(data["blocked"]),
            already_departed=data["already_departed"],
        )


def plan_revoke(
    inventory: Inventory,
    catalog: Catalog,
    person_id: str,
    *,
    successor: str | None = None,
    manager_levels: tuple[str, ...] = ("C",),
) -> RevokePlan:
    person = inventory.person(person_id)
    if person is None:
        raise KeyError(person_id)
    blocked: list[str] = []
    if successor is not None:
        heir = inventory.person(successor)
        if heir is None:
            blocked.append(f"successor '{successor}' is not in the inventory")
        elif heir.id == person_id:
            blocked.append("the successor cannot be the person being revoked")
        elif heir.departed:
            blocked.append(f"successor '{successor}' has departed")
        elif heir.level not in manager_levels:
            blocked.append(
                f"successor '{successor}' is level {heir.level}; managers must be "
                f"level {' or '.join(manager_levels)} (rule manager-level)"
            )

    heads = tuple(e.id for e in inventory.entities if e.head == person_id)
    it = tuple(e.id for e in inventory.entities if person_id in e.it)
    positions = set(heads) | set(it)

    departed = {p.id for p in inventory.people if p.departed}
    grants: list[GrantChange] = []
    gains: list[GrantChange] = []
    credentials: dict[str, tuple[str, str, str]] = {}
    at_risk: list[str] = []
    for account in inventory.accounts:
        platform = catalog.platforms[account.platform]
        mine = [g for g in account.access if g.person == person_id]
        readable = platform.shared or account.credential is not None
        if readable and (mine or account.entity in positions):
            credentials[account.id] = (account.id, account.credential_ref, account.platform)
        if not mine and account.entity not in heads:
            continue
        for grant in mine:
            grants.append(
                GrantChange(account.id, account.platform, grant.role, platform.label(grant.role))
            )
        # The state after: the person gone, the successor holding what they gain.
        holders = {g.person: g.role for g in account.access if g.person != person_id}
        if successor is not None and not blocked:
            for grant in mine:
                current = holders.get(successor)
                if platform.is_admin(grant.role) and (
                    current is None or not platform.is_admin(current)
                ):
                    holders[successor] = grant.role
                    gains.append(
                        GrantChange(
                            account.id, account.platform, grant.role, platform.label(grant.role)
                        )
                    )
        entity = inventory.entity(account.entity)
        head = entity.head if entity is not None else None
        if head == person_id:
            head = successor if successor is not None and not blocked else None
        admins = [p for p, r in holders.items() if platform.is_admin(r) and p not in departed]
        if not admins:
            at_risk.append(f"{account.id}: no administrator would remain")
        elif head is None:
            at_risk.append(f"{account.id}: its entity would have no head")
        elif not platform.is_admin(holders.get(head, "")):
            at_risk.append(f"{account.id}: the head '{head}' would not hold an admin role")

    if heads and (successor is None or blocked):
        # An entity must always have a head, whether or not it has accounts yet.
        at_risk.extend(f"entity {e}: would have no head" for e in heads
                       if not any(r.startswith(f"entity {e}:") for r in at_risk))
    if at_risk and successor is None:
        blocked.append(
            "accounts would be left without their head holding admin or without "
            "any admin; name a successor with --successor PERSON"
        )
    elif at_risk:
        blocked.append("even with the successor, these accounts would be left uncovered")
    return RevokePlan(
        person=person_id,
        successor=successor,
        grants=tuple(sorted(grants, key=lambda g: g.account)),
        heads=heads,
        it=it,
        credentials=tuple(sorted(credentials.values())),
        successor_grants=tuple(sorted(gains, key=lambda g: g.account)),
        at_risk=tuple(at_risk),
        blocked=tuple(blocked),
        already_departed=person.departed,
    )
