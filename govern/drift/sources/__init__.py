"""Observed state: who actually holds what, as some source saw it.

Sources today: snapshot files (`govern.drift.sources.snapshots`: CSV or YAML exports of a
platform's admin pages, standing in for platform APIs) and Vault
(`govern.drift.sources.vault`). Platform connectors will produce the same `Observation`.

An account a source does not cover is *not observed*: absent means not managed, never
"nobody holds it".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from govern.findings import Location


@dataclass(frozen=True)
class ObservedHolder:
    """One person holding one role on one account, as a source saw it."""

    identity: str  # as the source wrote it: a person id or an email
    person: str | None  # the inventory person id, when the identity matched one
    role: str  # the inventory vocabulary
    label: str  # the role as the source wrote it ("Super admin")
    location: Location
    observed_on: dt.date | None = None
    source: str | None = None
    hint: str | None = None  # for an unmatched holder: how to declare them (live sources)


@dataclass
class ObservedAccount:
    """An account covered by a source: every holder it lists (possibly none)."""

    account: str  # inventory account id
    location: Location  # where the source first covers it
    holders: list[ObservedHolder] = field(default_factory=list)
    # Who observed it, for messages: "the snapshot (path)" or "the GitHub API".
    via: str | None = None
    # Live sources list every holder of the account: the head's missing admin role is then
    # an observed policy violation (drift-head-without-admin), not just a missing row.
    complete: bool = False
    # person id (or lowercased identity) -> index in `holders`
    index: dict[str, int] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class UnknownAccount:
    """Rows about an account that the inventory does not declare."""

    label: str  # the account id, or "platform handle", as written
    location: Location  # the first row
    rows: int


@dataclass
class Observation:
    """What the sources covered: accounts by id, and what matched nothing."""

    accounts: dict[str, ObservedAccount] = field(default_factory=dict)
    unknown: list[UnknownAccount] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.accounts or self.unknown)


__all__ = ["Observation", "ObservedAccount", "ObservedHolder", "UnknownAccount"]
