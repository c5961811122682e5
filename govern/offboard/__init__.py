"""`govern revoke PERSON`: plan, then journaled, resumable steps.

1. Vault: disable the person's entity, remove them from every govern group.
2. Rotate every shared credential they could read (a new version; old ones kept).
3. Edit inventory.yaml in place: grants removed, departed, successor changes.
4. Append a hash-chained record to the audit log.
5. The checklist of manual steps left on each platform.
Each step is journaled before and after it runs; running the command again after a crash
or an unreachable backend resumes from the journal's plan and does nothing twice.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern import auditlog
from govern.credentials import CredentialStore, actor
from govern.credentials.passwords import generate_password, password_policy_for
from govern.errors import UsageError
from govern.inventory.edit import InventoryEditor
from govern.offboard.journal import DONE, STARTED, Journal
from govern.offboard.plan import RevokePlan, plan_revoke
from govern.platforms import Catalog

__all__ = ["Outcome", "RevokePlan", "checklist", "plan_revoke", "run_revoke"]


@dataclass
class Outcome:
    plan: RevokePlan
    resumed: bool = False
    steps: dict[str, Any] = field(default_factory=dict)
    record: dict[str, Any] | None = None


def run_revoke(
    plan: RevokePlan,
    *,
    inventory: Path,
    catalog: Catalog,
    left_on: dt.date,
    env: Mapping[str, str],
    store: Callable[[], CredentialStore],
    vault: Callable[[], Any] | None,
    log_path: Path,
    journal: Journal | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> Outcome:
    """Carry out `plan` (or finish the one in `journal`). Backend errors propagate after the
    journal records where things stand."""
    who = actor(env)
    resumed = journal is not None
    if journal is None:
        journal = Journal.start(
            Journal.path_for(inventory, plan.person),
            plan=plan.to_json(),
            left_on=left_on,
            actor=who,
        )
        journal.data["vault"] = vault is not None
        journal.save()
    else:
        plan = RevokePlan.from_json(journal.data["plan"])
        left_on = dt.date.fromisoformat(journal.data["left_on"])
        if journal.data.get("vault") and vault is None:
            raise UsageError(
                f"this revoke of {plan.person} started with Vault; finishing it without Vault "
                "would leave their tokens working",
                hint="set VAULT_ADDR (and a token) and run the same command again",
            )
    outcome = Outcome(plan=plan, resumed=resumed)
    reason = f"revoke {plan.person}"

    def step(name: str, run: Callable[[], Any]) -> None:
        if journal.state(name) == DONE:
            outcome.steps[name] = journal.result(name)
            return
        progress(f"{name} ...")
        journal.mark(name, STARTED)
        result = run()
        journal.mark(name, DONE, result)
        outcome.steps[name] = result

    if vault is not None:
        step("vault", lambda: _vault_step(vault, plan.person))
    if plan.credentials:
        step("rotate", functools.partial(_rotate_all, store, plan, catalog, who, reason, journal))
    step("inventory", lambda: _edit_inventory(inventory, plan, left_on))

    def log() -> dict[str, Any]:
        started = journal.data["started_at"]
        # A crash after the append but before the journal said so: the record is there.
        for record in reversed(auditlog.read(log_path)):
            if (
                record.get("person") == plan.person
                and (record.get("details") or {}).get("journal_started") == started
            ):
                return {"seq": record["seq"], "hash": record["hash"]}
        details = {
            "plan": plan.to_json(),
            "left_on": left_on.isoformat(),
            "steps": dict(outcome.steps),
            "journal_started": started,
        }
        record = auditlog.append(
            log_path,
            "revoke",
            actor=who,
            person=plan.person,
            details=details,
            key=auditlog.key_from_env(env),
        )
        return {"seq": record["seq"], "hash": record["hash"]}

    step("log", log)
    outcome.record = journal.result("log")
    # The journal anchors the head: a record removed since the log step fails here.
    auditlog.check_anchor(log_path, outcome.record, where=f"the revoke journal {journal.path}")
    journal.finish()
    return outcome


def _vault_step(connect: Callable[[], Any], person: str) -> dict[str, Any]:
    from govern.offboard.vaultsteps import disable_person

    return disable_person(connect(), person)


def _rotate_all(
    open_store: Callable[[], CredentialStore],
    plan: RevokePlan,
    catalog: Catalog,
    who: str,
    reason: str,
    journal: Journal,
) -> dict[str, dict[str, Any]]:
    """A new generated version of every credential the person could read, in one batch (one
    atomic file write; on Vault, bounded concurrency). Resumable: a credential whose current
    version already says `revoke PERSON` and was written after the journal started is not
    rotated again."""
    store = open_store()
    platforms: dict[str, str] = {}
    accounts: dict[str, str] = {}
    for account, ref, platform in plan.credentials:  # two accounts may share one login
        platforms.setdefault(ref, platform)
        accounts.setdefault(ref, account)
    policies = {ref: password_policy_for(platform, catalog) for ref, platform in platforms.items()}
    done = store.rotate_many(
        list(platforms),
        lambda ref: generate_password(policies[ref]),
        rotated_by=who,
        reason=reason,
        unless_since=dt.datetime.fromisoformat(journal.data["started_at"]),
    )
    results: dict[str, dict[str, Any]] = {}
    for rotation in done:
        if rotation.status == "missing":
            results[rotation.ref] = {
                "account": accounts[rotation.ref],
                "rotated": False,
                "why": "no credential in the store",
            }
        else:
            results[rotation.ref] = {
                "account": accounts[rotation.ref],
                "rotated": True,
                "version": rotation.version,
            }
    return results


def _edit_inventory(path: Path, plan: RevokePlan, left_on: dt.date) -> dict[str, Any]:
    editor = InventoryEditor(path)
    removed = editor.remove_grants(plan.person)
    editor.set_departed(plan.person, left_on)
    for entity in plan.heads:
        if plan.successor:
            editor.replace_head(entity, plan.successor)
    for entity in plan.it:
        editor.replace_it(entity, plan.person, plan.successor)
    if plan.successor:
        for gain in plan.successor_grants:
            editor.add_grant(gain.account, plan.successor, gain.role)
    changed = editor.save()
    return {"grants_removed": len(removed), "changed": changed}


def checklist(plan: RevokePlan, catalog: Catalog, steps: Mapping[str, Any]) -> list[dict[str, str]]:
    """The manual steps left on each platform, until connectors automate them."""
    items: list[dict[str, str]] = []
    shared = {account for account, _, _ in plan.credentials}
    for account, ref, platform_key in plan.credentials:
        platform = catalog.platforms[platform_key]
        result = (steps.get("rotate") or {}).get(ref) or {}
        if result.get("rotated"):
            action = (
                f"Change the password on {platform.name} to version {result['version']} "
                f"of the stored credential (`govern creds show {account} --reveal`), "
                "then sign out all other sessions"
            )
        else:
            action = (
                f"Change the password on {platform.name} now, and store it with "
                f"`govern creds set {account}` (no stored credential was found)"
            )
        items.append(
            {
                "account": account,
                "platform": platform_key,
                "action": action,
                "where": platform.admin_url or "",
            }
        )
    for grant in plan.grants:
        if grant.account in shared:
            continue
        platform = catalog.platforms[grant.platform]
        items.append(
            {
                "account": grant.account,
                "platform": grant.platform,
                "action": f"Remove {plan.person} ({grant.label}) from {platform.name}",
                "where": platform.admin_url or "",
            }
        )
    for gain in plan.successor_grants:
        platform = catalog.platforms[gain.platform]
        if gain.account in shared:
            continue
        items.append(
            {
                "account": gain.account,
                "platform": gain.platform,
                "action": f"Add {plan.successor} as {gain.label} on {platform.name}",
                "where": platform.admin_url or "",
            }
        )
    return items
