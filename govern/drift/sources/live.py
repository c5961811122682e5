"""Live observation: every account whose platform has a connector, read through its API.

    live = observe_live(loaded, catalog, env=os.environ, store=lookup, concurrency=8,
                        today=day, progress=print, tally=None)
    live.drifts             # the drift of every account read, compared as it was read
    live.observed           # ids of the accounts read
    live.unverifiable       # account id -> why it could not be read
    live.pending            # account id -> invitations not yet accepted
    live.failures           # platforms that refused the token or could not be reached (exit 3)

Each platform is read by its own `concurrency` workers over one pooled session, so a slow or
throttled platform never holds up the others, and each platform's rate limit is met by that
platform's `Api` (it pauses all of its workers when the platform says to wait). Workers take
the next account from their platform's queue and compare it as soon as it is read: only its
drift is kept, never its holders, so memory does not grow with the holders observed.
A platform that refuses the token is asked once per run: its other accounts are marked
unverifiable with the same reason instead of sending the refused token again and again.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

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
from govern.drift.compare import Drift, compare_account
from govern.drift.roles import RoleNames, privilege
from govern.drift.sources import ObservedAccount, ObservedHolder
from govern.findings import Location
from govern.inventory.load import LoadedInventory
from govern.inventory.model import Account
from govern.platforms import Catalog, Platform

# Kinds of connector failure that say nothing about one account but about the platform.
_PLATFORM_WIDE = frozenset({"refused", "unreachable", "throttled"})


class Tally(Protocol):
    """Per-platform counts of the accounts read, for a progress display."""

    def start(self, totals: Mapping[str, int]) -> None:
        """`totals`: platform title -> accounts to read, before the first is read."""

    def advance(self, platform: str) -> None:
        """One more account of `platform` (its title) read, or found unverifiable."""

    def stop(self) -> None:
        """Every account is done (also called when reading stops on an error)."""


@dataclass
class LiveObservation:
    drifts: list[Drift] = field(default_factory=list)
    observed: set[str] = field(default_factory=set)
    unverifiable: dict[str, str] = field(default_factory=dict)
    pending: dict[str, list[Holder]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    requests: int = 0


def connected(account: Account) -> bool:
    return account.platform in SPECS


def observe_live(
    loaded: LoadedInventory,
    catalog: Catalog,
    *,
    env: Mapping[str, str],
    store: TokenLookup | None,
    concurrency: int,
    today: dt.date,
    progress: Callable[[str], None],
    tally: Tally | None = None,
    accounts: Sequence[int] | None = None,
) -> LiveObservation:
    """Read the holders of the accounts at `accounts` (indexes; default: every account whose
    platform has a connector), `concurrency` requests in flight per platform, and compare
    each account as it is read."""
    inventory = loaded.inventory
    queues: dict[str, list[int]] = {}  # namespace -> account indexes, in inventory order
    for i in accounts if accounts is not None else range(len(inventory.accounts)):
        account = inventory.accounts[i]
        if connected(account):
            queues.setdefault(SPECS[account.platform].namespace, []).append(i)
    result = LiveObservation()
    connectors: dict[str, Connector | str] = {}  # namespace -> connector, or why there is none
    for namespace, indexes in queues.items():
        platform = inventory.accounts[indexes[0]].platform
        spec = SPECS[platform]
        try:
            connector = open_connector(
                platform,
                env=env,
                store=store,
                connectors=inventory.organization.connectors,
                concurrency=concurrency,
            )
        except ConnectorUnavailable as exc:  # a service-account key the token server refused
            connectors[namespace] = exc.message
            result.failures.append(exc.message)
            continue
        connectors[namespace] = connector or (
            f"no token for {spec.title}: set {token_env(namespace)} or store one "
            f"with `govern creds set {store_key(namespace)} --password-stdin`"
        )

    names = RoleNames(catalog)
    people = People(inventory)
    by_id = {p.id: p for p in inventory.people}
    lock = threading.Lock()
    broken: dict[str, str] = {}  # namespace -> the platform-wide failure, once seen

    def read(i: int) -> None:
        account = inventory.accounts[i]
        spec = SPECS[account.platform]
        connector = connectors[spec.namespace]
        try:
            if isinstance(connector, str):
                raise Unverifiable(connector)
            if spec.namespace in broken:
                raise Unverifiable(broken[spec.namespace])
            holders = connector.holders(account)
        except Unverifiable as exc:
            with lock:
                result.unverifiable[account.id] = exc.reason
        except ConnectorUnavailable as exc:
            with lock:
                result.unverifiable[account.id] = exc.message
                if exc.kind in _PLATFORM_WIDE and spec.namespace not in broken:
                    broken[spec.namespace] = exc.message
                    result.failures.append(exc.message)
                elif exc.kind not in _PLATFORM_WIDE:
                    result.failures.append(f"{account.id}: {exc.message}")
        else:
            observed = _observed(
                loaded, i, account, catalog.platforms[account.platform], holders, names, people
            )
            drifts = list(compare_account(inventory, catalog, observed, by_id, today=today))
            pending = [h for h in holders if h.pending]
            with lock:
                result.observed.add(account.id)
                result.drifts += drifts
                if pending:
                    result.pending[account.id] = pending
        if tally is not None:
            tally.advance(spec.title)

    crashed: list[BaseException] = []  # an error no account explains: raised after the join

    def worker(queue: Iterator[int]) -> None:
        while True:
            with lock:
                i = None if crashed else next(queue, None)
            if i is None:
                return
            try:
                read(i)
            except BaseException as exc:  # re-raised in the calling thread
                with lock:
                    crashed.append(exc)
                return

    total = sum(len(indexes) for indexes in queues.values())
    if total:
        progress(
            f"reading {total} accounts from {len(queues)} platforms' APIs, "
            f"{concurrency} requests at a time per platform"
        )
    if tally is not None:
        titles = {ns: SPECS[inventory.accounts[q[0]].platform].title for ns, q in queues.items()}
        tally.start({titles[ns]: len(q) for ns, q in queues.items()})
    threads = []
    try:
        for indexes in queues.values():
            queue = iter(indexes)
            for _ in range(min(max(1, concurrency), len(indexes))):
                thread = threading.Thread(target=worker, args=(queue,), daemon=True)
                thread.start()
                threads.append(thread)
        for thread in threads:
            thread.join()
    finally:
        if tally is not None:
            tally.stop()
    if total:
        progress(f"read {total} accounts from the platforms")
    for opened in connectors.values():
        if not isinstance(opened, str):
            api = getattr(opened, "api", None)
            result.requests += int(getattr(api, "requests_sent", 0))
    if crashed:
        raise crashed[0]
    return result


def resolve_role(
    names: RoleNames, key: str, platform: Platform, labels: Sequence[str]
) -> str | None:
    """The most privileged inventory role among the platform's role names (Meta lists tasks)."""
    roles = [role for role in (names.resolve(key, label) for label in labels) if role]
    if not roles:
        return None
    return max(roles, key=lambda role: privilege(platform, role))


def _observed(
    loaded: LoadedInventory,
    index: int,
    account: Account,
    platform: Platform,
    holders: Sequence[Holder],
    names: RoleNames,
    people: People,
) -> ObservedAccount:
    spec = SPECS[account.platform]
    location = loaded.locate(("accounts", index))
    via = f"the {spec.title} API"
    observed = ObservedAccount(account.id, location, via=via, complete=True)
    for holder in holders:
        if holder.pending:
            continue
        person = people.match(spec.namespace, holder)
        role = resolve_role(names, account.platform, platform, holder.roles)
        label = ", ".join(holder.roles) or "no role"
        hint = None
        if person is None:
            lookalike = people.lookalike(holder)
            who = lookalike.id if lookalike is not None else "someone in people"
            hint = (
                f"if this is {who}, add `identities: {{{spec.namespace}: '{holder.id}'}}` to "
                "them in inventory.yaml"
            )
        observed.holders.append(
            ObservedHolder(
                identity=holder.describe(),
                person=person,
                role=role or label,
                label=label,
                location=Location(location.path, location.line, location.column),
                source=via,
                hint=hint,
            )
        )
    return observed


__all__ = ["LiveObservation", "Tally", "connected", "observe_live", "resolve_role"]
