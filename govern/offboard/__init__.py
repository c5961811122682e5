"""`govern revoke PERSON`: plan, check, then journaled, resumable steps.

1. Plan (`plan.py`): what the revoke changes, judged by the coverage before and after.
2. Preflight: every step checks what it needs that can fail (the audit log verifies, the
   store opens, the inventory is writable and the edit safe, Vault answers) before the
   first change, so a revoke either starts cleanly or changes nothing.
3. The steps (`steps.STEPS`): Vault disable, rotations, the inventory edit, Vault brought in
   line, the audit record. Each is journaled before and after it runs; the journal is bound
   to the inventory and the arguments, and running the same command again after a crash or
   an outage resumes from it and does nothing twice.
4. The checklist of manual steps left on each platform (the successor added before the
   person is removed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern import auditlog
from govern.credentials import CredentialStore
from govern.errors import GovernError, UsageError
from govern.offboard.journal import DONE, Journal, file_digest
from govern.offboard.plan import RevokePlan, plan_revoke
from govern.offboard.start import (
    Pending,
    RevokeStart,
    judge_journal,
    manager_rule,
    refuse_pending,
    revoke_commit_message,
    start_revoke,
)
from govern.offboard.steps import (
    STEPS,
    RevokeRun,
    VaultAccess,
    run_steps,
    step_names,
    writable,
)
from govern.platforms import Catalog

if TYPE_CHECKING:
    from govern.offboard.platformsteps import Platforms

__all__ = [
    "ChecklistItem",
    "Outcome",
    "Pending",
    "RevokePlan",
    "RevokeStart",
    "VaultAccess",
    "checklist",
    "judge_journal",
    "manager_rule",
    "plan_revoke",
    "refuse_pending",
    "revoke_commit_message",
    "run_revoke",
    "start_revoke",
    "step_names",
]


@dataclass
class Outcome:
    plan: RevokePlan
    resumed: bool = False
    steps: dict[str, Any] = field(default_factory=dict)
    record: dict[str, Any] | None = None


def arguments(plan: RevokePlan, left_on: dt.date) -> dict[str, Any]:
    """What a journal is bound to, besides the inventory."""
    return {
        "person": plan.person,
        "successor": plan.successor,
        "left_on": left_on.isoformat(),
        "leave_uncovered": plan.leave_uncovered,
    }


def _with_hint(exc: GovernError, extra: str) -> GovernError:
    said = f"{exc.message} {exc.hint or ''}"
    if extra.split(";")[0] not in said:
        exc.hint = f"{exc.hint}\n{extra}" if exc.hint else extra
    return exc


def run_revoke(
    plan: RevokePlan,
    *,
    inventory: Path,
    catalog: Catalog,
    left_on: dt.date,
    actor: str,
    store: Callable[[], CredentialStore],
    vault: VaultAccess | None,
    log_path: Path,
    journal: Journal | None = None,
    alias: str | None = None,
    platforms: Platforms | None = None,
    log_key: bytes | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> Outcome:
    """Carry out `plan` (or finish the one in `journal`, which the caller has matched to the
    inventory and arguments). A preflight failure changes nothing; a failure in a step
    leaves the journal saying where things stand. Both raise the `GovernError`, with a hint
    saying how to proceed."""
    resumed = journal is not None
    path = Journal.path_for(inventory, plan.person)
    if journal is None:
        journal = Journal(path, {"steps": {}})  # saved once the preflight has passed
        fresh = True
    else:
        fresh = False
        plan = RevokePlan.from_json(journal.data["plan"])
        left_on = dt.date.fromisoformat(journal.data["left_on"])
        if journal.options.get("vault") and vault is None:
            raise UsageError(
                f"this revoke of {plan.person} started with Vault; finishing it without Vault "
                "would leave their tokens working",
                hint="set VAULT_ADDR (and a token) and run the same command again",
            )
    run = RevokeRun(
        plan=plan,
        inventory=inventory,
        catalog=catalog,
        left_on=left_on,
        actor=actor,
        open_store=store,
        vault=vault,
        log_path=log_path,
        journal=journal,
        alias=alias,
        resumed=resumed,
        platforms=platforms,
        log_key=log_key,
    )
    wanted = [step for step in STEPS if step.wanted(run)]
    try:
        writable(path, "the revoke journal")
        if journal.state("log") == DONE:  # resumed after the record: it must still be there
            auditlog.check_anchor(
                log_path, journal.result("log"), where=f"the revoke journal {journal.path}"
            )
        for step in wanted:
            if journal.state(step.name) != DONE:
                step.preflight(run)
    except GovernError as exc:
        raise _with_hint(
            exc, "nothing was changed; fix this, then run the same command again"
        ) from None
    if fresh:
        journal = Journal.start(
            path,
            plan=plan.to_json(),
            left_on=left_on,
            actor=actor,
            arguments=arguments(plan, left_on),
            inventory_digest=file_digest(inventory),
            options={"vault": vault is not None, "auth_mount": vault.auth_mount if vault else None},
        )
        run.journal = journal
    elif vault is not None:  # options given now apply to the steps still to run
        journal.data["options"] = {**journal.options, "vault": True, "auth_mount": vault.auth_mount}
        journal.save()
    outcome = Outcome(plan=plan, resumed=resumed)
    try:
        run_steps(wanted, run, journal, progress)
    except GovernError as exc:
        raise _with_hint(
            exc, f"progress is saved in {journal.path}; run the same command again to finish"
        ) from None
    outcome.steps = dict(run.results)
    outcome.record = journal.result("log")
    # The journal anchors the head: a record removed since the log step fails here.
    auditlog.check_anchor(log_path, outcome.record, where=f"the revoke journal {journal.path}")
    journal.finish()
    return outcome


@dataclass(frozen=True)
class ChecklistItem:
    account: str
    platform: str
    action: str
    where: str

    def to_json(self) -> dict[str, str]:
        return {
            "account": self.account,
            "platform": self.platform,
            "action": self.action,
            "where": self.where,
        }


def checklist(plan: RevokePlan, catalog: Catalog, steps: Mapping[str, Any]) -> list[ChecklistItem]:
    """The manual steps left on each platform, until connectors automate them: the successor
    added first, so no account is without an administrator in between; then the shared
    passwords changed; then the person removed."""
    additions: list[ChecklistItem] = []
    passwords: list[ChecklistItem] = []
    removals: list[ChecklistItem] = []
    shared = {account for account, _, _ in plan.credentials}
    automated = steps.get("platforms") or {}
    for gain in plan.successor_grants:
        if gain.account in shared:
            continue  # a shared login: the successor reads the new password from the store
        platform = catalog.platforms[gain.platform]
        additions.append(
            ChecklistItem(
                gain.account,
                gain.platform,
                f"Add {plan.successor} as {gain.label} on {platform.name} (before removing "
                f"{plan.person})",
                platform.admin_url or "",
            )
        )
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
        passwords.append(ChecklistItem(account, platform_key, action, platform.admin_url or ""))
    for grant in plan.grants:
        if grant.account in shared:
            continue
        done = automated.get(grant.account) or {}
        if "removed" in done:
            continue  # removed through the platform's API and confirmed by a re-read
        platform = catalog.platforms[grant.platform]
        why = ""
        if done.get("failed"):
            why = f" (automatic removal failed: {done['failed']})"
        elif done.get("manual"):
            why = f" ({done['manual']})"
        removals.append(
            ChecklistItem(
                grant.account,
                grant.platform,
                f"Remove {plan.person} ({grant.label}) from {platform.name}{why}",
                platform.admin_url or "",
            )
        )
    return additions + passwords + removals
