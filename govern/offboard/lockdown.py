"""`govern lockdown ACCOUNT`: the first minutes of a compromised or hijacked account.

1. Plan (`plan_lockdown`): who is kept (the entity head, the entity's IT, `--keep`), which
   shared logins get a new password (the account's own credential and the entity's shared
   logins), which Vault groups are narrowed, where the platform's recovery page is and whom
   to call (`incident` contacts of the entity, else of the organization).
2. Steps, journaled and resumable like a revoke's (`govern/offboard/journal.py`, one journal
   per account: `.govern/lockdown-<account>.json`):
   - `vault`: read access to those credentials narrowed to the people kept (their groups'
     other members removed; `govern apply` or `--release` restores the declared state);
   - `rotate`: a new random password for each, the old version kept in the store's history
     (the revoke's `RotateCredentials` step);
   - `platforms`: every holder the platform lists who is not kept removed through its API,
     holders the inventory does not know included (a hijacker is exactly that), then the
     holders re-read to confirm; what was removed is journaled one holder at a time, so a
     rerun after a failure sends no second removal;
   - `log`: one hash-chained `lockdown` record naming everything done.
3. `release_lockdown`: Vault back to the declared state for those groups, the removed holders
   listed for re-invitation (platforms require one), a `lockdown-release` record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from govern import auditlog
from govern.connectors import SPECS, ConnectorUnavailable, Unverifiable
from govern.credentials import CredentialStore
from govern.errors import GovernError, UsageError
from govern.inventory.load import load_inventory
from govern.inventory.model import Inventory
from govern.inventory.source import suggest
from govern.offboard.journal import DISCARD_HINT, DONE, Journal, file_digest
from govern.offboard.platformsteps import Platforms, Removal
from govern.offboard.steps import (
    NOTHING_CHANGED,
    AppendLog,
    Connections,
    RotateCredentials,
    VaultAccess,
    run_steps,
    writable,
)
from govern.offboard.vaultsteps import apply_or_raise
from govern.platforms import Catalog
from govern.vault import (
    DesiredState,
    Plan,
    VaultClient,
    account_object_name,
    desired_state,
    make_plan,
    observe,
)
from govern.vault._desired import needs_group, person_of

ACTION = "lockdown"
RELEASE = "lockdown-release"


@dataclass(frozen=True)
class Contacts:
    """Whom to call: the incident contacts of the entity (else of the organization)."""

    people: tuple[tuple[str, str, str], ...] = ()  # (id, name, email)
    phone: str | None = None
    escalation: str | None = None
    source: str | None = None  # "entity <id>" or "organization"; None: none declared

    def to_json(self) -> dict[str, Any]:
        return {
            "people": [{"id": i, "name": n, "email": e} for i, n, e in self.people],
            "phone": self.phone,
            "escalation": self.escalation,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Contacts:
        return cls(
            people=tuple((p["id"], p["name"], p["email"]) for p in data.get("people") or ()),
            phone=data.get("phone"),
            escalation=data.get("escalation"),
            source=data.get("source"),
        )


@dataclass(frozen=True)
class LockdownPlan:
    account: str
    platform: str
    entity: str
    keep: tuple[str, ...]  # people whose access stays (head, IT, --keep)
    remove: tuple[tuple[str, str], ...]  # declared holders removed: (person, role)
    credentials: tuple[tuple[str, str, str], ...]  # (account, ref, platform) rotated
    vault_groups: tuple[str, ...]  # accounts whose Vault group is narrowed to `keep`
    removal_api: bool  # the platform has a connector that removes holders
    recovery_url: str | None
    admin_url: str | None
    contacts: Contacts = field(default_factory=Contacts)

    @property
    def person(self) -> str:
        """The journal's subject (the journal format names it `person`)."""
        return self.account

    def to_json(self) -> dict[str, Any]:
        return {
            "person": self.account,
            "account": self.account,
            "platform": self.platform,
            "entity": self.entity,
            "keep": list(self.keep),
            "remove": [{"person": p, "role": r} for p, r in self.remove],
            "credentials": [
                {"account": a, "ref": r, "platform": p} for a, r, p in self.credentials
            ],
            "vault_groups": list(self.vault_groups),
            "removal_api": self.removal_api,
            "recovery_url": self.recovery_url,
            "admin_url": self.admin_url,
            "contacts": self.contacts.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LockdownPlan:
        return cls(
            account=data["account"],
            platform=data["platform"],
            entity=data["entity"],
            keep=tuple(data["keep"]),
            remove=tuple((r["person"], r["role"]) for r in data["remove"]),
            credentials=tuple((c["account"], c["ref"], c["platform"]) for c in data["credentials"]),
            vault_groups=tuple(data["vault_groups"]),
            removal_api=bool(data["removal_api"]),
            recovery_url=data.get("recovery_url"),
            admin_url=data.get("admin_url"),
            contacts=Contacts.from_json(data.get("contacts") or {}),
        )


def plan_lockdown(
    inventory: Inventory, catalog: Catalog, account_id: str, keep: Sequence[str] = ()
) -> LockdownPlan:
    """What a lockdown of `account_id` does (pure; unknown names raise `UsageError`)."""
    index = inventory.account_index.get(account_id)
    if index is None:
        raise UsageError(
            f"no account '{account_id}' in the inventory",
            hint=suggest(account_id, inventory.account_index),
        )
    account = inventory.accounts[index]
    for person_id in keep:
        if inventory.person(person_id) is None:
            raise UsageError(
                f"--keep {person_id}: no such person in the inventory",
                hint=suggest(person_id, inventory.person_index),
            )
    entity = inventory.entity(account.entity)
    positions = [entity.head, *entity.it] if entity is not None else []
    kept = tuple(dict.fromkeys([*positions, *keep]))
    platform = catalog.platforms[account.platform]
    # The account's own login, and every shared login of the same entity: a hijack often came
    # through a shared or reused password.
    credentials: list[tuple[str, str, str]] = []
    groups: list[str] = []
    for other in inventory.accounts:
        mine = other.id == account.id
        if not (mine or other.entity == account.entity):
            continue
        other_platform = catalog.platforms[other.platform]
        if other_platform.shared or (mine and other.credential is not None):
            credentials.append((other.id, other.credential_ref, other.platform))
            if needs_group(other, catalog):
                groups.append(other.id)
    spec = SPECS.get(account.platform)
    incident = inventory.incident_for(account.entity)
    contacts = Contacts()
    if incident is not None:
        people = []
        for person_id in incident.people:
            person = inventory.person(person_id)
            if person is not None:
                people.append((person.id, person.name, person.email))
        has_own = entity is not None and entity.incident is not None
        contacts = Contacts(
            people=tuple(people),
            phone=incident.phone,
            escalation=incident.escalation,
            source=f"entity {account.entity}" if has_own else "organization",
        )
    return LockdownPlan(
        account=account.id,
        platform=account.platform,
        entity=account.entity,
        keep=kept,
        remove=tuple((g.person, g.role) for g in account.access if g.person not in kept),
        credentials=tuple(credentials),
        vault_groups=tuple(dict.fromkeys(groups)),
        removal_api=spec is not None and spec.removes,
        recovery_url=platform.recovery_url,
        admin_url=platform.admin_url,
        contacts=contacts,
    )


def arguments(plan: LockdownPlan, *, vault: bool) -> dict[str, Any]:
    """What a lockdown journal is bound to, besides the inventory."""
    return {"account": plan.account, "keep": sorted(plan.keep), "vault": vault}


@dataclass
class LockdownRun(Connections):
    """Everything the steps of one lockdown share."""

    plan: LockdownPlan
    inventory_path: Path
    inventory: Inventory
    catalog: Catalog
    actor: str
    open_store: Callable[[], CredentialStore]
    vault: VaultAccess | None
    platforms: Platforms | None
    log_path: Path
    journal: Journal
    resumed: bool = False
    results: dict[str, Any] = field(default_factory=dict)
    log_key: bytes | None = None  # GOVERN_LOG_KEY: each audit-log record gets a MAC

    @property
    def reason(self) -> str:
        return f"lockdown {self.plan.account}"


def _groups(
    client: VaultClient,
    inventory: Inventory,
    catalog: Catalog,
    vault: VaultAccess,
    accounts: Sequence[str],
    *,
    keep: Sequence[str] | None,
) -> Plan:
    """The plan that brings the groups of `accounts` to the declared state (`keep` None) or
    narrows them to the members among `keep` (removals only)."""
    full = desired_state(
        inventory,
        catalog,
        mount=vault.mount,
        auth_mount=vault.auth_mount,
        alias_field=vault.alias_field,
    )
    names = {account_object_name(a) for a in accounts} & set(full.groups)
    groups = {n: full.groups[n] for n in names}
    if keep is not None:
        groups = {
            n: type(g)(
                name=g.name,
                member_entities=frozenset(
                    m for m in g.member_entities if person_of(m) in set(keep)
                ),
                policies=g.policies,
                metadata=g.metadata,
            )
            for n, g in groups.items()
        }
    desired = DesiredState(
        entities={}, aliases={}, groups=groups, policies={}, auth_mount=full.auth_mount
    )
    observed = observe(client, auth_mount=None, only=names)
    changes = tuple(
        c
        for c in make_plan(desired, observed).changes
        if c.name in names
        and (
            (c.kind == "membership" and c.action == "remove")
            if keep is not None
            else c.kind in ("group", "membership")
        )
    )
    return Plan(changes=changes)


class NarrowVault:
    """Read access to the rotated credentials narrowed to the people kept."""

    name: ClassVar[str] = "vault"

    def wanted(self, run: LockdownRun) -> bool:
        return run.vault is not None and bool(run.plan.vault_groups)

    def preflight(self, run: LockdownRun) -> None:
        assert run.vault is not None
        run.client.resolve_token()  # reachable, and the token is accepted

    def run(self, run: LockdownRun) -> Any:
        assert run.vault is not None
        plan = _groups(
            run.client,
            run.inventory,
            run.catalog,
            run.vault,
            run.plan.vault_groups,
            keep=run.plan.keep,
        )
        return apply_or_raise(run.client, plan, "Vault: narrowing read access failed")


class RemoveHolders:
    """Every holder the platform lists who is not kept, removed through its API."""

    name: ClassVar[str] = "platforms"

    def removal(self, run: LockdownRun) -> Removal | None:
        spec = SPECS.get(run.plan.platform)
        if spec is None or not spec.removes:
            return None
        return Removal(run.plan.account, run.plan.platform, spec.namespace)

    def wanted(self, run: LockdownRun) -> bool:
        return run.platforms is not None and self.removal(run) is not None

    def preflight(self, run: LockdownRun) -> None:
        return None  # no network before the first change: Vault and passwords come first

    def run(self, run: LockdownRun) -> Any:
        from govern.drift.sources.live import resolve_role

        platforms, removal = run.platforms, self.removal(run)
        assert platforms is not None and removal is not None
        manual = platforms.missing_token(removal)
        if manual:
            return {"manual": manual}
        connector = platforms.connector(removal)
        assert connector is not None
        account = run.inventory.accounts[run.inventory.account_index[removal.account]]
        platform = run.catalog.platforms[removal.platform]
        results: dict[str, Any] = dict(run.journal.result(self.name) or {})
        removed: list[dict[str, Any]] = list(results.get("removed") or [])
        keep = set(run.plan.keep)

        def role_of(roles: Sequence[str]) -> str | None:
            return resolve_role(platforms.names, removal.platform, platform, roles)

        try:
            listed = connector.holders(account)
            holders = [h for h in listed if not h.pending]
            pending = [h.describe() for h in listed if h.pending]
            kept = [h for h in holders if platforms.people.match(removal.namespace, h) in keep]
            if not any(platform.is_admin(role_of(h.roles) or "") for h in kept):
                raise ConnectorUnavailable(
                    f"{removal.account}: none of {', '.join(run.plan.keep)} is an administrator "
                    f"on {platform.name}, so removing everyone else would lock the organization "
                    "out",
                    kind="lockout",
                    hint="add the head or IT as an administrator on the platform (or --keep "
                    "another administrator), then run the same command again",
                )
            for holder in holders:
                if holder in kept:
                    continue
                connector.remove(account, holder)
                removed.append(
                    {
                        "id": holder.id,
                        "name": holder.name,
                        "email": holder.email,
                        "person": platforms.people.match(removal.namespace, holder),
                        "role": role_of(holder.roles),
                    }
                )
                results["removed"] = removed
                run.journal.mark(self.name, "started", results)  # survives a crash
            still = [
                h.describe()
                for h in connector.holders(account)
                if not h.pending and platforms.people.match(removal.namespace, h) not in keep
            ]
        except Unverifiable as exc:
            if not removed:  # cannot be observed (say, no platform_id): by hand, and why
                return {"manual": exc.reason}
            raise ConnectorUnavailable(
                f"{removal.account}: {exc.reason}", kind="bad-response"
            ) from None
        except ConnectorUnavailable as exc:
            raise ConnectorUnavailable(
                f"{removal.account}: {exc.message}", kind=exc.kind, hint=exc.hint
            ) from None
        if still:
            raise ConnectorUnavailable(
                f"{connector.title}: still listed on {removal.account} after the removal: "
                + ", ".join(still),
                kind="bad-response",
                hint="check the token's write permission; run the lockdown again to retry",
            )
        return {
            "removed": removed,
            "kept": [h.describe() for h in kept],
            "pending": pending,
        }


class LogLockdown(AppendLog):
    """One hash-chained `lockdown` record (the audit log checked in the preflight)."""

    name: ClassVar[str] = "log"

    def run(self, run: Any) -> Any:
        started = run.journal.data["started_at"]
        for record in reversed(auditlog.read(run.log_path)):
            details = record.get("details") or {}
            if record.get("action") == ACTION and details.get("journal_started") == started:
                return {"seq": record["seq"], "hash": record["hash"]}
        record = auditlog.append(
            run.log_path,
            ACTION,
            key=run.log_key,
            actor=run.actor,
            details={
                "account": run.plan.account,
                "plan": run.plan.to_json(),
                "steps": dict(run.results),
                "journal_started": started,
            },
        )
        return {"seq": record["seq"], "hash": record["hash"]}


STEPS: tuple[Any, ...] = (NarrowVault(), RotateCredentials(), RemoveHolders(), LogLockdown())


@dataclass
class Outcome:
    plan: LockdownPlan
    steps: dict[str, Any]
    resumed: bool


def run_lockdown(
    plan: LockdownPlan,
    *,
    inventory: Path,
    loaded: Inventory,
    catalog: Catalog,
    actor: str,
    store: Callable[[], CredentialStore],
    vault: VaultAccess | None,
    platforms: Platforms | None,
    log_path: Path,
    journal: Journal | None = None,
    log_key: bytes | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> Outcome:
    """Carry out `plan`, or finish the one in `journal` (matched by the caller)."""
    path = Journal.path_for(inventory, plan.account, kind=ACTION)
    resumed = journal is not None
    if journal is not None:
        plan = LockdownPlan.from_json(journal.data["plan"])
    run = LockdownRun(
        plan=plan,
        inventory_path=inventory,
        inventory=loaded,
        catalog=catalog,
        actor=actor,
        open_store=store,
        vault=vault,
        platforms=platforms,
        log_path=log_path,
        journal=journal or Journal(path, {"steps": {}}),
        resumed=resumed,
        log_key=log_key,
    )
    wanted = [step for step in STEPS if step.wanted(run)]
    try:
        writable(path, "the lockdown journal")
        for step in wanted:
            if run.journal.state(step.name) != "done":
                step.preflight(run)
    except GovernError as exc:
        exc.hint = (exc.hint + "\n" if exc.hint else "") + (
            f"{NOTHING_CHANGED}; fix this, then run the same command again"
        )
        raise
    if journal is None:
        run.journal = Journal.start(
            path,
            plan=plan.to_json(),
            left_on=dt.date.today(),
            actor=actor,
            arguments=arguments(plan, vault=vault is not None),
            inventory_digest=file_digest(inventory),
            options={"vault": vault is not None},
        )
    try:
        run_steps(wanted, run, run.journal, progress)
    except GovernError as exc:
        exc.hint = (exc.hint + "\n" if exc.hint else "") + (
            f"progress is saved in {run.journal.path}; run the same command again to finish"
        )
        raise
    run.journal.finish()
    return Outcome(plan=plan, steps=dict(run.results), resumed=resumed)


def pending_journal(
    inventory: Path, plan: LockdownPlan, *, vault: bool
) -> tuple[Journal | None, list[str]]:
    """The lockdown journal of the account, and why it does not match this command."""
    journal = Journal.load(Journal.path_for(inventory, plan.account, kind=ACTION))
    if journal is None:
        return None, []
    given = arguments(plan, vault=vault)
    return journal, journal.mismatches(inventory_digest=file_digest(inventory), arguments=given)


def refuse_journal(journal: Journal, reasons: Sequence[str]) -> UsageError:
    return UsageError(
        f"a lockdown journal ({journal.path}) does not match this command: " + "; ".join(reasons),
        hint="run the command it was started with to finish it, or " + DISCARD_HINT,
    )


@dataclass(frozen=True)
class LockdownStart:
    """Where a lockdown begins: the plan to run (a pending journal's when it matches the
    command), the journal to resume, or the journal to drop (--discard-journal)."""

    plan: LockdownPlan
    journal: Journal | None = None
    discard: Path | None = None

    @property
    def done(self) -> tuple[str, ...]:
        """The steps a resumed journal has already done."""
        if self.journal is None:
            return ()
        steps = self.journal.data["steps"].items()
        return tuple(name for name, step in steps if step.get("state") == DONE)


def start_lockdown(
    inventory_path: Path,
    inventory: Inventory,
    catalog: Catalog,
    account: str,
    keep: Sequence[str],
    *,
    vault: bool,
    discard_journal: bool = False,
) -> LockdownStart:
    """Plan the lockdown of `account`, or resume its pending journal when that matches the
    command (`vault`: Vault is in use). A journal that does not match is refused
    (UsageError) unless `discard_journal`, which plans afresh and names the file to drop."""
    plan = plan_lockdown(inventory, catalog, account, keep)
    path = Journal.path_for(inventory_path, account, kind=ACTION)
    if discard_journal and path.exists():
        return LockdownStart(plan, discard=path)
    journal, reasons = pending_journal(inventory_path, plan, vault=vault)
    if journal is None:
        return LockdownStart(plan)
    if reasons:
        raise refuse_journal(journal, reasons)
    return LockdownStart(LockdownPlan.from_json(journal.data["plan"]), journal=journal)


# --- release --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    """What `--release` finds: the last lockdown of the account still in force."""

    record: dict[str, Any]
    plan: LockdownPlan
    removed: tuple[dict[str, Any], ...]


def last_lockdown(log_path: Path, account: str) -> Release | None:
    """The account's last `lockdown` record, unless a `lockdown-release` followed it."""
    found: dict[str, Any] | None = None
    for record in auditlog.read(log_path) if log_path.exists() else []:
        details = record.get("details") or {}
        if details.get("account") != account:
            continue
        if record.get("action") == ACTION:
            found = record
        elif record.get("action") == RELEASE:
            found = None
    if found is None:
        return None
    details = found["details"]
    plan = LockdownPlan.from_json(details["plan"])
    removed = tuple((details.get("steps") or {}).get("platforms", {}).get("removed") or ())
    return Release(record=found, plan=plan, removed=removed)


def reinvitations(release: Release, inventory: Inventory, catalog: Catalog) -> list[str]:
    """One line per removed holder: whom to invite again, as what (declared grant), or why
    not (unknown to the inventory, or no longer declared on the account)."""
    account_index = inventory.account_index.get(release.plan.account)
    declared = (
        {g.person: g.role for g in inventory.accounts[account_index].access}
        if account_index is not None
        else {}
    )
    platform = catalog.platforms.get(release.plan.platform)
    lines = []
    for holder in release.removed:
        who = holder.get("person")
        shown = holder.get("name") or holder["id"]
        if who and who in declared:
            person = inventory.person(who)
            email = f" <{person.email}>" if person is not None else ""
            label = platform.label(declared[who]) if platform else declared[who]
            lines.append(f"invite {who}{email} again as {declared[who]} ({label})")
        elif who:
            lines.append(f"{who} ({shown}) is no longer declared on the account: not invited")
        else:
            lines.append(
                f"{holder['id']} ({shown}) is unknown to the inventory: not invited "
                "(the intruder, or someone to declare first)"
            )
    for person_id, role in release.plan.remove:
        if not any(h.get("person") == person_id for h in release.removed) and person_id in declared:
            lines.append(
                f"{person_id}: declared as {role} but not removed through the API; check the "
                "platform"
            )
    return lines


def release_vault(
    client: VaultClient,
    inventory_path: Path,
    catalog: Catalog,
    vault: VaultAccess,
    accounts: Sequence[str],
) -> dict[str, Any]:
    """The groups of `accounts` back to what the inventory declares (as `govern apply`)."""
    inventory = load_inventory(inventory_path, catalog).inventory
    plan = _groups(client, inventory, catalog, vault, accounts, keep=None)
    return apply_or_raise(client, plan, "Vault: restoring the declared read access failed")


def find_release(log_path: Path, account: str) -> Release:
    """The lockdown of `account` in force, which `--release` ends; UsageError if none."""
    release = last_lockdown(log_path, account)
    if release is None:
        raise UsageError(
            f"no lockdown of '{account}' in force in {log_path}",
            hint="`govern log show` lists the records; `govern apply` restores Vault anyway",
        )
    return release


def run_release(
    release: Release,
    *,
    inventory_path: Path,
    catalog: Catalog,
    vault: VaultAccess | None,
    log_path: Path,
    actor: str,
    key: bytes | None = None,
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """End the lockdown: the audit log verified first, Vault's groups of the locked
    accounts back to the declared readers (with Vault), then the release recorded.
    Returns (what Vault applied or None, the log record)."""
    auditlog.verify(log_path, key=key)
    restored = None
    if vault is not None and release.plan.vault_groups:
        restored = release_vault(
            vault.connect(), inventory_path, catalog, vault, release.plan.vault_groups
        )
    record = log_release(log_path, release, actor=actor, vault=restored, key=key)
    return restored, record


def log_release(
    log_path: Path,
    release: Release,
    *,
    actor: str,
    vault: dict[str, Any] | None,
    key: bytes | None = None,
) -> dict[str, Any]:
    return auditlog.append(
        log_path,
        RELEASE,
        key=key,
        actor=actor,
        details={
            "account": release.plan.account,
            "lockdown_seq": release.record["seq"],
            "vault": vault,
            "reinvite": [h for h in release.removed if h.get("person")],
        },
    )


__all__ = [
    "ACTION",
    "RELEASE",
    "Contacts",
    "LockdownPlan",
    "LockdownStart",
    "Outcome",
    "Release",
    "find_release",
    "last_lockdown",
    "log_release",
    "pending_journal",
    "plan_lockdown",
    "refuse_journal",
    "reinvitations",
    "release_vault",
    "run_lockdown",
    "run_release",
    "start_lockdown",
]
