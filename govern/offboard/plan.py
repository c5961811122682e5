"""What `govern revoke PERSON` will do, computed before anything is touched.

Pure: inventory + catalog + policy in, a `RevokePlan` out. The plan is judged by what the
revoke changes: the coverage of every entity the person touches (an active head; on each
account an active administrator, and the head holding one) is computed before and after.
Gaps that exist before are listed as `already_uncovered` and never block; a gap the revoke
itself creates (`at_risk`) blocks unless a successor closes it or `leave_uncovered` accepts
it. Access is cut either way once the plan is confirmed.

The successor takes the person's place in each position: the head and IT positions go to
anyone active; the administrative grants they inherit on an account where they are neither
head nor IT make them a designated manager there, so those keep the level rule
(`manager-level`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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

    def to_json(self) -> dict[str, str]:
        return {
            "account": self.account,
            "platform": self.platform,
            "role": self.role,
            "label": self.label,
        }


@dataclass(frozen=True)
class RevokePlan:
    person: str
    successor: str | None
    grants: tuple[GrantChange, ...] = ()  # removed from the person
    heads: tuple[str, ...] = ()  # entities the person heads
    it: tuple[str, ...] = ()  # entities the person serves as IT for
    credentials: tuple[tuple[str, str, str], ...] = ()  # (account, ref, platform) to rotate
    successor_grants: tuple[GrantChange, ...] = ()  # given to (or raised for) the successor
    at_risk: tuple[str, ...] = ()  # gaps the revoke itself creates
    already_uncovered: tuple[str, ...] = ()  # gaps that exist before and remain: never block
    blocked: tuple[str, ...] = ()
    already_departed: bool = False
    left_on_recorded: str | None = None  # the departure date already in the inventory
    leave_uncovered: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def nothing_to_do(self) -> bool:
        return self.already_departed and not (self.grants or self.heads or self.it)

    def to_json(self) -> dict[str, Any]:
        return {
            "person": self.person,
            "successor": self.successor,
            "grants": [g.to_json() for g in self.grants],
            "heads": list(self.heads),
            "it": list(self.it),
            "credentials": [
                {"account": a, "ref": r, "platform": p} for a, r, p in self.credentials
            ],
            "successor_grants": [g.to_json() for g in self.successor_grants],
            "at_risk": list(self.at_risk),
            "already_uncovered": list(self.already_uncovered),
            "blocked": list(self.blocked),
            "already_departed": self.already_departed,
            "left_on_recorded": self.left_on_recorded,
            "leave_uncovered": self.leave_uncovered,
            "notes": list(self.notes),
            "nothing_to_do": self.nothing_to_do,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RevokePlan:
        def grants(items: Iterable[Mapping[str, str]]) -> tuple[GrantChange, ...]:
            return tuple(GrantChange(**dict(item)) for item in items)

        return cls(
            person=str(data["person"]),
            successor=data["successor"],
            grants=grants(data["grants"]),
            heads=tuple(data["heads"]),
            it=tuple(data["it"]),
            credentials=tuple((c["account"], c["ref"], c["platform"]) for c in data["credentials"]),
            successor_grants=grants(data["successor_grants"]),
            at_risk=tuple(data["at_risk"]),
            already_uncovered=tuple(data.get("already_uncovered") or ()),
            blocked=tuple(data["blocked"]),
            already_departed=bool(data["already_departed"]),
            left_on_recorded=data.get("left_on_recorded"),
            leave_uncovered=bool(data.get("leave_uncovered")),
            notes=tuple(data.get("notes") or ()),
        )


@dataclass(frozen=True)
class _State:
    """Who holds what on the accounts and entities a revoke touches."""

    holders: Mapping[str, Mapping[str, str]]  # account -> person -> role
    heads: Mapping[str, str | None]  # entity -> head
    departed: frozenset[str]


def coverage_gaps(
    state: _State, inventory: Inventory, catalog: Catalog
) -> dict[tuple[str, str], str]:
    """(where, kind) -> message: entities without an active head, accounts without an active
    administrator or whose active head holds no administrative role."""
    gaps: dict[tuple[str, str], str] = {}
    for entity, head in state.heads.items():
        if head is None or head in state.departed:
            gaps[(f"entity {entity}", "head")] = f"entity {entity}: no active head"
    for account in inventory.accounts:
        holders = state.holders.get(account.id)
        if holders is None:
            continue
        platform = catalog.platforms[account.platform]
        active_admins = [
            p for p, role in holders.items() if platform.is_admin(role) and p not in state.departed
        ]
        if not active_admins:
            gaps[(account.id, "admin")] = f"{account.id}: no active administrator"
            continue
        head = state.heads.get(account.entity)
        if (
            head is not None
            and head not in state.departed
            and not platform.is_admin(holders.get(head, ""))
        ):
            gaps[(account.id, "head-admin")] = (
                f"{account.id}: the head '{head}' holds no administrative role"
            )
    return gaps


def plan_revoke(
    inventory: Inventory,
    catalog: Catalog,
    person_id: str,
    *,
    successor: str | None = None,
    manager_levels: tuple[str, ...] = ("C",),
    manager_roles: tuple[str, ...] = ("owner", "admin", "editor"),
    leave_uncovered: bool = False,
) -> RevokePlan:
    person = inventory.person(person_id)
    if person is None:
        raise KeyError(person_id)
    blocked: list[str] = []
    notes: list[str] = []
    heir = inventory.person(successor) if successor is not None else None
    if successor is not None:
        if heir is None:
            blocked.append(
                f"successor '{successor}' is not in the inventory "
                "(name an active person, or drop --successor)"
            )
        elif heir.id == person_id:
            blocked.append("the successor cannot be the person being revoked (name someone else)")
        elif heir.departed:
            blocked.append(f"successor '{successor}' has departed (name an active person)")
    takes_over = successor if successor is not None and not blocked else None

    heads = tuple(e.id for e in inventory.entities if e.head == person_id)
    it = tuple(e.id for e in inventory.entities if person_id in e.it)
    positions = set(heads) | set(it)

    # The entities the revoke touches: every account of them is judged before and after.
    touched = set(positions) | {
        a.entity for a in inventory.accounts if any(g.person == person_id for g in a.access)
    }
    heads_before = {e.id: e.head for e in inventory.entities if e.id in touched}
    heads_after = {
        e: (takes_over if head == person_id else head) for e, head in heads_before.items()
    }
    it_after = {
        e.id: (
            {p for p in e.it if p != person_id}
            | ({takes_over} if takes_over and e.id in it else set())
        )
        for e in inventory.entities
        if e.id in touched
    }

    grants: list[GrantChange] = []
    gains: list[GrantChange] = []
    credentials: dict[str, tuple[str, str, str]] = {}
    holders_before: dict[str, dict[str, str]] = {}
    holders_after: dict[str, dict[str, str]] = {}
    for account in inventory.accounts:
        platform = catalog.platforms[account.platform]
        mine = [g for g in account.access if g.person == person_id]
        readable = platform.shared or account.credential is not None
        if readable and (mine or account.entity in positions):
            credentials[account.id] = (account.id, account.credential_ref, account.platform)
        if account.entity not in touched:
            continue
        before: dict[str, str] = {g.person: g.role for g in account.access}
        after: dict[str, str] = {p: r for p, r in before.items() if p != person_id}
        for grant in mine:
            grants.append(
                GrantChange(account.id, account.platform, grant.role, platform.label(grant.role))
            )
            current = after.get(takes_over) if takes_over else None
            if (
                takes_over is None
                or not platform.is_admin(grant.role)
                or (current is not None and platform.is_admin(current))
            ):
                continue
            in_position = takes_over == heads_after.get(account.entity) or (
                takes_over in it_after.get(account.entity, set())
            )
            assert heir is not None
            if (
                not in_position
                and grant.role in manager_roles
                and (heir.level not in manager_levels)
            ):
                problem = (
                    f"successor '{takes_over}' is level {heir.level}; designated managers must "
                    f"be level {' or '.join(manager_levels)} (rule manager-level), so they "
                    f"cannot take over {grant.role} on {account.id}"
                )
                if leave_uncovered:
                    notes.append(problem + "; not transferred (--leave-uncovered)")
                else:
                    blocked.append(
                        problem + " (name another successor, or pass "
                        "--leave-uncovered to cut access without handing it over)"
                    )
                continue
            after[takes_over] = grant.role
            gains.append(
                GrantChange(account.id, account.platform, grant.role, platform.label(grant.role))
            )
        holders_before[account.id] = before
        holders_after[account.id] = after

    departed = frozenset(p.id for p in inventory.people if p.departed)
    gaps_before = coverage_gaps(_State(holders_before, heads_before, departed), inventory, catalog)
    gaps_after = coverage_gaps(
        _State(holders_after, heads_after, departed | {person_id}), inventory, catalog
    )
    at_risk = [message for key, message in sorted(gaps_after.items()) if key not in gaps_before]
    already = [message for key, message in sorted(gaps_after.items()) if key in gaps_before]
    closed = [message for key, message in sorted(gaps_before.items()) if key not in gaps_after]
    notes.extend(f"closed by the successor: {message}" for message in closed)
    if at_risk and not leave_uncovered:
        blocked.append(
            "the revoke would leave "
            + "; ".join(at_risk)
            + (
                " (name who takes over with --successor PERSON"
                if takes_over is None
                else " even with the successor (name another successor"
            )
            + ", or pass --leave-uncovered to cut access anyway; the audit will show the gap)"
        )
    return RevokePlan(
        person=person_id,
        successor=successor,
        grants=tuple(sorted(grants, key=lambda g: g.account)),
        heads=heads,
        it=it,
        credentials=tuple(sorted(credentials.values())),
        successor_grants=tuple(sorted(gains, key=lambda g: g.account)),
        at_risk=tuple(at_risk),
        already_uncovered=tuple(already),
        blocked=tuple(blocked),
        already_departed=person.departed,
        left_on_recorded=person.left_on.isoformat() if person.left_on else None,
        leave_uncovered=leave_uncovered,
        notes=tuple(notes),
    )
