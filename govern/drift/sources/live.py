"""Live observation: every account whose platform has a connector, read through its API.

    live = observe_live(loaded, catalog, env=os.environ, store=lookup, concurrency=8)
    live.observation        # accounts read, as an `Observation` the comparison understands
    live.unverifiable       # account id -> why it could not be read
    live.pending            # account id -> invitations not yet accepted
    live.failures           # platforms that refused the token or could not be reached (exit 3)

Accounts are read concurrently (a bounded thread pool over one pooled session per platform).
A platform that refuses the token is asked once per run: its other accounts are marked
unverifiable with the same reason instead of sending the refused token again and again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

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
from govern.drift.roles import RoleNames, privilege
from govern.drift.sources import Observation, ObservedAccount, ObservedHolder
from govern.findings import Location
from govern.inventory.load import LoadedInventory
from govern.inventory.model import Account
from govern.platforms import Catalog, Platform

# Kinds of connector failure that say nothing about one account but about the platform.
_PLATFORM_WIDE = frozenset({"refused", "unreachable", "throttled"})


@dataclass
class LiveObservation:
    observation: Observation = field(default_factory=Observation)
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
    progress: Callable[[str], None],
    accounts: Sequence[int] | None = None,
) -> LiveObservation:
    """Read the holders of the accounts at `accounts` (indexes; default: every account whose
    platform has a connector)."""
    inventory = loaded.inventory
    wanted = [
        i
        for i in (accounts if accounts is not None else range(len(inventory.accounts)))
        if connected(inventory.accounts[i])
    ]
    result = LiveObservation()
    connectors: dict[str, Connector | str] = {}  # namespace -> connector, or why there is none
    for i in wanted:
        spec = SPECS[inventory.accounts[i].platform]
        if spec.namespace in connectors:
            continue
        try:
            connector = open_connector(
                inventory.accounts[i].platform,
                env=env,
                store=store,
                connectors=inventory.organization.connectors,
                concurrency=concurrency,
            )
        except ConnectorUnavailable as exc:  # a service-account key the token server refused
            connectors[spec.namespace] = exc.message
            result.failures.append(exc.message)
            continue
        connectors[spec.namespace] = connector or (
            f"no token for {spec.title}: set {token_env(spec.namespace)} or store one "
            f"with `govern creds set {store_key(spec.namespace)} --password-stdin`"
        )

    names = RoleNames(catalog)
    people = People(inventory)
    lock = threading.Lock()
    broken: dict[str, str] = {}  # namespace -> the platform-wide failure, once seen
    done = 0

    def read(i: int) -> None:
        nonlocal done
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
            with lock:
                result.observation.accounts[account.id] = observed
                pending = [h for h in holders if h.pending]
                if pending:
                    result.pending[account.id] = pending
        with lock:
            done += 1
            if done % 50 == 0 or done == len(wanted):
                progress(f"read {done} of {len(wanted)} accounts from the platforms")

    if wanted:
        progress(f"reading {len(wanted)} accounts from the platforms' APIs")
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            list(pool.map(read, wanted))
    for opened in connectors.values():
        if not isinstance(opened, str):
            api = getattr(opened, "api", None)
            result.requests += int(getattr(api, "requests_sent", 0))
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


__all__ = ["LiveObservation", "connected", "observe_live", "resolve_role"]
