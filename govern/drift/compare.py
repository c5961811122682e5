"""Declared vs observed, per account a source covers: the comparison that yields drift.

For every covered account: holders observed but not declared (unexpected: error), declared
but not observed (missing: warning), and holders whose role differs (error when the observed
role is more privileged, else warning); rows about accounts the inventory lacks (warning).
Accounts no source covers are not compared. A grant that expired before `today` is not
declared any more: its holder is unexpected if still observed, and never missing.
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


def compare_snapshots(
    inventory: Inventory, catalog: Catalog, observation: Observation, *, today: dt.date
) -> Iterator[Drift]:
    people = {p.id: p for p in inventory.people}
    for account_id, observed in observation.accounts.items():
        index = inventory.account_index[account_id]
        yield from _compare_account(
            index, inventory.accounts[index], observed, catalog, people, today
        )
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
        found = declared.get(person) if person is not None else None
        if found is None:
            why = ""
            if person is not None and person in expired:
                why = f" (the grant expired on {expired[person].expires})"
            elif person is not None and people[person].departed:
                why = " (a departed person)"
            elif person is None:
                why = " (matches nobody in people)"
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
    for person, (gi, grant) in declared.items():
        if person in matched:
            continue
        yield (
            rules.MISSING_HOLDER,
            Violation(
                f"'{person}' is declared {grant.role} on {account.id} but the snapshot "
                f"({covered.path}) does not list them",
                ("accounts", index, "access", gi),
                account=account.id,
                person=person,
                entity=account.entity,
            ),
        )
