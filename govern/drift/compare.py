"""Declared vs observed, per account a source covers: the comparison that yields drift.

For every covered account: holders observed but not declared (unexpected: error), declared
but not observed (missing: warning), and holders whose role differs (error when the observed
role is more privileged, else warning); rows about accounts the inventory lacks (warning).
Accounts no source covers are not compared. Where a source lists an account completely (the
live connectors), the entity head seen without an administrative role is an error too. A
grant that expired before `today` is not declared any more: its holder is unexpected if
still observed, and never missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from govern.drift import rules
from govern.drift.roles import privilege
from govern.drift.sources import Observation, ObservedAccount, ObservedHolder
from govern.findings import Severity, Violation
from govern.inventory.model import Account, Grant, Inventory, Person
from govern.platforms import Catalog

Drift = tuple[str, Violation]  # (rule id, violation)


def _seen(holder: ObservedHolder) -> str:
    where = f"{holder.location}"
    by = f"; {holder.source}" if holder.source else ""
    on = f", observed {holder.observed_on}" if holder.observed_on else ""
    return f"{where}{on}{by}"


def compare(
    inventory: Inventory, catalog: Catalog, observation: Observation, *, today: dt.date
) -> Iterator[Drift]:
    people = {p.id: p for p in inventory.people}
    for observed in observation.accounts.values():
        yield from compare_account(inventory, catalog, observed, people, today=today)
    for unknown in observation.unknown:
        rows = f" ({unknown.rows} rows)" if unknown.rows > 1 else ""
        yield (
            rules.UNKNOWN_ACCOUNT,
            Violation(
                f"snapshot covers '{unknown.label}', which is not in the inventory{rows}",
                (),
                location=unknown.location,
            ),
        )


def compare_account(
    inventory: Inventory,
    catalog: Catalog,
    observed: ObservedAccount,
    people: dict[str, Person],
    *,
    today: dt.date,
) -> Iterator[Drift]:
    """The drift of one observed account (`people`: the inventory's people by id), so a
    source that reads accounts one by one can compare each and keep only its drift."""
    index = inventory.account_index[observed.account]
    account = inventory.accounts[index]
    yield from _compare_account(index, account, observed, catalog, people, today)
    entity = inventory.entity(account.entity)
    yield from head_without_admin(
        index, account, observed, catalog, entity.head if entity is not None else None
    )


def _compare_account(
    index: int,
    account: Account,
    observed: ObservedAccount,
    catalog: Catalog,
    people: dict[str, Person],
    today: dt.date,
) -> Iterator[Drift]:
    platform = catalog.platforms[account.platform]
    declared: dict[str, tuple[int, Grant]] = {}
    expired: dict[str, Grant] = {}
    for gi, grant in enumerate(account.access):
        if grant.expires is not None and grant.expires < today:
            expired[grant.person] = grant
        else:
            declared.setdefault(grant.person, (gi, grant))
    matched: set[str] = set()
    for holder in observed.holders:
        person = holder.person
        if person is not None and people[person].departed:
            # Declared or not, a departed person holding access is the one thing drift
            # exists to catch: an error of its own, with the command that fixes it.
            matched.add(person)
            yield (
                rules.DEPARTED_HOLDER,
                Violation(
                    f"'{person}' left on {people[person].left_on} but still holds "
                    f"{holder.role} ('{holder.label}') on {account.id} ({_seen(holder)}); "
                    f"run `govern revoke {person}`",
                    (),
                    account=account.id,
                    person=person,
                    entity=account.entity,
                    location=holder.location,
                ),
            )
            continue
        found = declared.get(person) if person is not None else None
        if found is None:
            why = ""
            if person is not None and person in expired:
                why = f" (the grant expired on {expired[person].expires})"
            elif person is None:
                why = " (matches nobody in people)"
                if holder.hint:
                    why += f"; {holder.hint}"
            who = person or holder.identity
            yield (
                rules.UNEXPECTED_HOLDER,
                Violation(
                    f"'{who}' holds {holder.role} ('{holder.label}') on {account.id}, "
                    f"which the inventory does not grant{why}",
                    (),
                    account=account.id,
                    person=person,
                    entity=account.entity,
                    location=holder.location,
                ),
            )
            continue
        matched.add(person or "")
        gi, grant = found
        if grant.role != holder.role:
            more = privilege(platform, holder.role) > privilege(platform, grant.role)
            yield (
                rules.ROLE_MISMATCH,
                Violation(
                    f"'{person}' is declared {grant.role} on {account.id} but holds "
                    f"{holder.role} ('{holder.label}') at {_seen(holder)}"
                    + (" (more privileged than declared)" if more else ""),
                    ("accounts", index, "access", gi, "role"),
                    account=account.id,
                    person=person,
                    entity=account.entity,
                    severity=Severity.ERROR if more else Severity.WARNING,
                ),
            )
    covered = observed.location
    via = observed.via or f"the snapshot ({covered.path})"
    for person, (gi, grant) in declared.items():
        if person in matched:
            continue
        yield (
            rules.MISSING_HOLDER,
            Violation(
                f"'{person}' is declared {grant.role} on {account.id} but {via} does not list them",
                ("accounts", index, "access", gi),
                account=account.id,
                person=person,
                entity=account.entity,
            ),
        )


def head_without_admin(
    index: int,
    account: Account,
    observed: ObservedAccount,
    catalog: Catalog,
    head: str | None,
) -> Iterator[Drift]:
    """The entity head observed without an administrative role on a completely listed account."""
    if head is None or not observed.complete:
        return
    platform = catalog.platforms[account.platform]
    roles = [h.role for h in observed.holders if h.person == head]
    if any(platform.is_admin(role) for role in roles):
        return
    seen = f"holds only {', '.join(sorted(set(roles)))}" if roles else "holds no role"
    yield (
        rules.HEAD_WITHOUT_ADMIN,
        Violation(
            f"the entity head '{head}' {seen} on {account.id} according to "
            f"{observed.via or 'the platform'}; the policy requires Administrative Access",
            ("accounts", index),
            account=account.id,
            person=head,
            entity=account.entity,
        ),
    )
