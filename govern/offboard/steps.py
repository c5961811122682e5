"""The steps of a revoke: typed objects, listed in one place (`STEPS`), in the order they run.

Each step has a `name` (its key in the journal), says whether the run needs it (`wanted`),
checks before anything changes everything it needs that can fail (`preflight`: read only)
and does its work (`run`: idempotent, returns a JSON-able result the journal keeps). A new
kind of step (say, removing the person on a platform through its API and re-reading to
confirm, one per grant) is one more class here and one more entry in `STEPS`: the runner,
the journal, resumption and the preflight need no change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from govern import auditlog
from govern.credentials import CredentialNotFound, CredentialStore
from govern.credentials.passwords import generate_password, password_policy_for
from govern.errors import GovernError, UsageError
from govern.inventory.edit import InventoryEditor
from govern.offboard.journal import DONE, STARTED, Journal, file_digest
from govern.offboard.plan import RevokePlan
from govern.platforms import Catalog
from govern.vault import AliasField, VaultClient

if TYPE_CHECKING:
    from govern.offboard.platformsteps import Platforms

NOTHING_CHANGED = "nothing was changed"


@dataclass(frozen=True)
class VaultAccess:
    """How a revoke reaches Vault: a connection and the names `govern apply` uses."""

    connect: Callable[[], VaultClient]
    mount: str = "govern"
    auth_mount: str | None = None
    alias_field: AliasField = "email"

    @classmethod
    def choose(
        cls,
        use_vault: bool | None,
        env: Mapping[str, str],
        *,
        mount: str = "govern",
        auth_mount: str | None = None,
        alias_field: str = "email",
    ) -> VaultAccess | None:
        """--vault/--no-vault: Vault (connected on first use, from `env`) when asked for,
        by default when VAULT_ADDR is set; None without Vault. Asking for Vault without
        VAULT_ADDR is a UsageError."""
        vault_on = bool(env.get("VAULT_ADDR")) if use_vault is None else use_vault
        if not vault_on:
            return None
        if not env.get("VAULT_ADDR"):
            raise UsageError(
                "--vault needs VAULT_ADDR", hint="set VAULT_ADDR (and a token), or pass --no-vault"
            )

        def open_vault() -> VaultClient:
            from govern.vault import connect

            return connect(env)

        return cls(
            connect=open_vault,
            mount=mount,
            auth_mount=auth_mount or None,
            alias_field="id" if alias_field == "id" else "email",
        )


class Connections:
    """The credential store and Vault client of a run, opened on first use."""

    open_store: Callable[[], CredentialStore]
    vault: VaultAccess | None

    @cached_property
    def store(self) -> CredentialStore:
        return self.open_store()

    @cached_property
    def client(self) -> VaultClient:
        assert self.vault is not None
        return self.vault.connect()


@dataclass
class RevokeRun(Connections):
    """Everything the steps of one revoke share."""

    plan: RevokePlan
    inventory: Path
    catalog: Catalog
    left_on: dt.date
    actor: str
    open_store: Callable[[], CredentialStore]
    vault: VaultAccess | None
    log_path: Path
    journal: Journal
    alias: str | None = None  # the person's login name on the auth mount
    platforms: Platforms | None = None  # connectors for removal on the platforms
    log_key: bytes | None = None  # GOVERN_LOG_KEY: each audit-log record gets a MAC
    resumed: bool = False
    results: dict[str, Any] = field(default_factory=dict)
    scratch: dict[str, Any] = field(default_factory=dict)  # what a preflight found, for run

    @property
    def reason(self) -> str:
        return f"revoke {self.plan.person}"


class _HasCredentials(Protocol):
    @property
    def credentials(self) -> tuple[tuple[str, str, str], ...]: ...


class RotationRun(Protocol):
    """What `RotateCredentials` needs of a run (a revoke's or a lockdown's)."""

    @property
    def plan(self) -> _HasCredentials: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def journal(self) -> Journal: ...

    @property
    def store(self) -> CredentialStore: ...

    @property
    def actor(self) -> str: ...

    @property
    def reason(self) -> str: ...

    @property
    def resumed(self) -> bool: ...


class Step(Protocol):
    name: ClassVar[str]

    def wanted(self, run: RevokeRun) -> bool: ...

    def preflight(self, run: RevokeRun) -> None: ...

    def run(self, run: RevokeRun) -> Any: ...


def writable(path: Path, what: str) -> None:
    """`path` can be replaced atomically: its folder (or the nearest existing one above,
    which the folder would be made in) is writable, and the file too if it exists."""
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(
            f"{what} {path} is not writable; {NOTHING_CHANGED}",
            hint="fix its permissions, then run the same command again",
        )
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(
            f"{folder} (for {what} {path}) is a file, not a folder; {NOTHING_CHANGED}",
            hint="move it away, then run the same command again",
        )
    if not os.access(folder, os.W_OK):
        raise UsageError(
            f"{folder} (for {what} {path}) is not writable; {NOTHING_CHANGED}",
            hint="fix its permissions, then run the same command again",
        )


class DisableInVault:
    """Disable every entity that lets the person in and take them out of govern's groups."""

    name: ClassVar[str] = "vault"

    def wanted(self, run: RevokeRun) -> bool:
        return run.vault is not None

    def preflight(self, run: RevokeRun) -> None:
        from govern.offboard.vaultsteps import check_can_disable, find_person

        assert run.vault is not None
        targets = find_person(
            run.client, run.plan.person, auth_mount=run.vault.auth_mount, alias=run.alias
        )
        check_can_disable(run.client, targets)
        run.scratch["vault-targets"] = targets

    def run(self, run: RevokeRun) -> Any:
        from govern.offboard.vaultsteps import disable_person

        return disable_person(run.client, run.scratch["vault-targets"])


class RotateCredentials:
    """A new generated version of every credential the person could read, in one batch."""

    name: ClassVar[str] = "rotate"

    def wanted(self, run: RotationRun) -> bool:
        return bool(run.plan.credentials)

    def refs(self, run: RotationRun) -> dict[str, tuple[str, str]]:
        """ref -> (account, platform); two accounts may share one login."""
        found: dict[str, tuple[str, str]] = {}
        for account, ref, platform in run.plan.credentials:
            found.setdefault(ref, (account, platform))
        return found

    def preflight(self, run: RotationRun) -> None:
        # Opening the store and reading one credential proves the key (or token) works.
        store = run.store
        path = getattr(store, "path", None)
        if isinstance(path, Path):
            writable(path, "the credential store")
        for ref in self.refs(run):
            try:
                store.get(ref)
            except CredentialNotFound:
                continue
            return

    def run(self, run: RotationRun) -> Any:
        """Resumable: after a crash, a credential whose current version was created after
        the journal started counts as rotated (even if the crash came between the data
        write and its metadata), so it is never rotated twice."""
        store, refs = run.store, self.refs(run)
        started = run.journal.started_at
        already: dict[str, int] = {}
        if run.resumed:
            for ref in refs:
                meta = store.metadata(ref)
                if meta is not None and meta.updated_at >= started:
                    already[ref] = meta.current_version
        policies = {
            ref: password_policy_for(platform, run.catalog) for ref, (_, platform) in refs.items()
        }
        done = store.rotate_many(
            [ref for ref in refs if ref not in already],
            lambda ref: generate_password(policies[ref]),
            rotated_by=run.actor,
            reason=run.reason,
            unless_since=started,
        )
        results: dict[str, dict[str, Any]] = {
            ref: {"account": refs[ref][0], "rotated": True, "version": version}
            for ref, version in already.items()
        }
        for rotation in done:
            account = refs[rotation.ref][0]
            if rotation.status == "missing":
                results[rotation.ref] = {
                    "account": account,
                    "rotated": False,
                    "why": "no credential in the store",
                }
            else:
                results[rotation.ref] = {
                    "account": account,
                    "rotated": True,
                    "version": rotation.version,
                }
        return dict(sorted(results.items()))


class EditInventory:
    """inventory.yaml edited in place: grants removed, departed, the successor's changes."""

    name: ClassVar[str] = "inventory"

    def wanted(self, run: RevokeRun) -> bool:
        return True

    def editor(self, run: RevokeRun) -> InventoryEditor:
        plan = run.plan
        editor = InventoryEditor(run.inventory)
        editor.remove_grants(plan.person)
        editor.set_departed(plan.person, run.left_on)
        if plan.successor:
            for entity in plan.heads:
                editor.replace_head(entity, plan.successor)
        for entity in plan.it:
            editor.replace_it(entity, plan.person, plan.successor)
        for gain in plan.successor_grants:
            assert plan.successor is not None
            editor.add_grant(gain.account, plan.successor, gain.role)
        return editor

    def preflight(self, run: RevokeRun) -> None:
        if run.journal.state(self.name) is not None:
            return  # the edit may be on disk already; the runner checked its digest
        writable(run.inventory, "the inventory")
        self.editor(run).checked_text()  # an edit that cannot be made safely stops here

    def run(self, run: RevokeRun) -> Any:
        removed = len(run.plan.grants)
        recorded = run.journal.result(self.name) or {}
        expected = recorded.get("inventory_digest")
        if expected and file_digest(run.inventory) == expected:
            # Written before a crash that came before the journal said so.
            return {"grants_removed": removed, "changed": True, "inventory_digest": expected}
        editor = self.editor(run)
        text = editor.checked_text()
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        # Recorded before the write: a crash right after it leaves a journal that knows
        # the edited inventory is its own.
        run.journal.mark(self.name, STARTED, {"inventory_digest": digest})
        changed = editor.save()
        return {"grants_removed": removed, "changed": changed, "inventory_digest": digest}


class SyncVault:
    """Vault brought in line with the edited inventory for what the revoke concerns."""

    name: ClassVar[str] = "vault-sync"

    def wanted(self, run: RevokeRun) -> bool:
        return run.vault is not None

    def preflight(self, run: RevokeRun) -> None:
        return None  # the same connection as the vault step, checked there

    def run(self, run: RevokeRun) -> Any:
        from govern.offboard.vaultsteps import sync_person

        assert run.vault is not None
        plan = run.plan
        people = {plan.person} | ({plan.successor} if plan.successor else set())
        accounts = {g.account for g in plan.grants} | {g.account for g in plan.successor_grants}
        accounts |= {a for a, _, _ in plan.credentials}
        return sync_person(
            run.client,
            run.inventory,
            run.catalog,
            people=people,
            accounts=accounts,
            mount=run.vault.mount,
            auth_mount=run.vault.auth_mount,
            alias_field=run.vault.alias_field,
        )


class AppendLog:
    """One hash-chained record of the revoke in the audit log."""

    name: ClassVar[str] = "log"

    def wanted(self, run: RevokeRun) -> bool:
        return True

    def preflight(self, run: RevokeRun) -> None:
        try:
            auditlog.verify(run.log_path, key=run.log_key)
        except GovernError as exc:
            raise auditlog.LogError(
                f"the audit log does not verify, so the revoke could not be recorded; "
                f"{NOTHING_CHANGED}: {exc.message}",
                hint=f"restore {run.log_path} from backup (`govern log verify` names the "
                "first bad record), or point --log at the intact copy, then run the same "
                "command again",
            ) from None
        except OSError as exc:
            raise auditlog.LogError(
                f"cannot read the audit log {run.log_path} ({exc.strerror}); {NOTHING_CHANGED}",
                hint="fix its permissions or point --log elsewhere, then run the same command "
                "again",
            ) from None
        writable(run.log_path, "the audit log")

    def run(self, run: RevokeRun) -> Any:
        started = run.journal.data["started_at"]
        # A crash after the append but before the journal said so: the record is there.
        for record in reversed(auditlog.read(run.log_path)):
            if (
                record.get("person") == run.plan.person
                and (record.get("details") or {}).get("journal_started") == started
            ):
                return {"seq": record["seq"], "hash": record["hash"]}
        details = {
            "plan": run.plan.to_json(),
            "left_on": run.left_on.isoformat(),
            "steps": dict(run.results),
            "journal_started": started,
        }
        record = auditlog.append(
            run.log_path,
            "revoke",
            actor=run.actor,
            person=run.plan.person,
            details=details,
            key=run.log_key,
        )
        return {"seq": record["seq"], "hash": record["hash"]}


class RemoveOnPlatforms:
    """The person removed on each platform with a removal API, then the holders re-read.

    Last, so a platform that fails (token refused, unreachable, or a removal that would leave
    no administrator) leaves everything else done: the step keeps what it finished in the
    journal, the revoke exits 3, and running the same command again retries only the
    accounts still pending. A person already gone counts as done: no second removal."""

    name: ClassVar[str] = "platforms"

    def removals(self, run: RevokeRun) -> list[Any]:
        from govern.offboard.platformsteps import removals

        assert run.platforms is not None
        return removals(run.platforms.inventory, [g.account for g in run.plan.grants])

    def wanted(self, run: RevokeRun) -> bool:
        return run.platforms is not None and bool(self.removals(run))

    def preflight(self, run: RevokeRun) -> None:
        return None  # no network before the first change: a platform outage must not stop
        # the Vault and password steps; tokens missing mean manual checklist items.

    def run(self, run: RevokeRun) -> Any:
        from govern.connectors import ConnectorUnavailable, Unverifiable

        assert run.platforms is not None
        results: dict[str, Any] = dict(run.journal.result(self.name) or {})
        failures: list[str] = []
        for removal in self.removals(run):
            done = results.get(removal.account) or {}
            if "removed" in done:
                continue
            manual = run.platforms.missing_token(removal)
            if manual:
                results[removal.account] = {"platform": removal.platform, "manual": manual}
                continue
            try:
                outcome = run.platforms.remove(removal, run.plan.person)
            except (ConnectorUnavailable, Unverifiable) as exc:
                message = exc.message if isinstance(exc, ConnectorUnavailable) else exc.reason
                results[removal.account] = {"platform": removal.platform, "failed": message}
                failures.append(f"{removal.account}: {message}")
            else:
                results[removal.account] = {"platform": removal.platform, **outcome}
            run.journal.mark(self.name, STARTED, results)  # what is done survives a crash
        if failures:
            raise ConnectorUnavailable(
                f"{len(failures)} platform removal{'s' if len(failures) != 1 else ''} failed "
                "(everything else is done): " + "; ".join(failures),
                kind="unreachable",
            )
        removed = {a: r for a, r in results.items() if "removed" in r}
        if removed:
            auditlog.append(
                run.log_path,
                "revoke-platforms",
                actor=run.actor,
                person=run.plan.person,
                details={"removed": removed, "journal_started": run.journal.data["started_at"]},
                key=run.log_key,
            )
        return results


# The one list of steps, in the order they run: access is cut first (Vault), then what the
# person knows is changed (passwords), then the record of who holds what (the inventory),
# then Vault follows the record, and the log says it was done; removal on the platforms
# comes last so that a platform outage cannot hold back any of the rest.
STEPS: tuple[Step, ...] = (
    DisableInVault(),
    RotateCredentials(),
    EditInventory(),
    SyncVault(),
    AppendLog(),
    RemoveOnPlatforms(),
)


def run_steps(
    steps: Sequence[Any], run: Any, journal: Journal, progress: Callable[[str], None]
) -> None:
    """Run `steps` (each journaled before and after; done ones skipped, their results kept in
    `run.results`): the one loop of revoke and lockdown."""
    for step in steps:
        if journal.state(step.name) == DONE:
            run.results[step.name] = journal.result(step.name)
            continue
        progress(f"{step.name} ...")
        if journal.state(step.name) is None:
            journal.mark(step.name, STARTED)
        result = step.run(run)
        journal.mark(step.name, DONE, result)
        run.results[step.name] = result


def step_names() -> tuple[str, ...]:
    return tuple(step.name for step in STEPS)


def results_of(journal: Journal) -> Mapping[str, Any]:
    return {name: journal.result(name) for name in step_names() if journal.state(name)}
