"""How `govern revoke PERSON` begins: a fresh plan, a pending journal resumed, or a pending
journal that does not match the command (shown, then refused unless the user confirms).

`start_revoke` takes every decision the command needs before the first change (the person
exists, the departure date, the journal judged against the inventory and the arguments);
the CLI only shows the result and asks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.errors import UsageError
from govern.inventory.model import Inventory
from govern.inventory.source import suggest
from govern.offboard.journal import DISCARD_HINT, DONE, Journal, file_digest
from govern.offboard.plan import RevokePlan, plan_revoke
from govern.offboard.steps import step_names
from govern.policy import Policy

DEFAULT_MANAGER_LEVELS = ("C",)
DEFAULT_MANAGER_ROLES = ("owner", "admin", "editor")


def manager_rule(policy: Policy) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(levels, roles) of the policy's `manager-level` rule: who may hold an administrative
    role, which the revoke's successor checks follow."""
    rule = policy.params.get("manager-level")
    levels = tuple(getattr(rule, "levels", DEFAULT_MANAGER_LEVELS))
    roles = tuple(getattr(rule, "roles", DEFAULT_MANAGER_ROLES))
    return levels, roles


@dataclass(frozen=True)
class Pending:
    """A revoke journal found for the person, judged against the current command."""

    journal: Journal
    plan: RevokePlan
    mismatches: tuple[str, ...]

    @property
    def matches(self) -> bool:
        return not self.mismatches

    @property
    def done(self) -> tuple[str, ...]:
        return tuple(name for name in step_names() if self.journal.state(name) == DONE)


def judge_journal(
    journal: Journal,
    *,
    inventory_digest: str,
    given: Mapping[str, Any],
    fresh_plan: Callable[[Mapping[str, Any]], RevokePlan],
    options: Mapping[str, Any],
) -> Pending:
    """Whether `journal` may be resumed by the command at hand. `given` holds the arguments
    the user gave (None: not given, the journal's value is used); `fresh_plan` plans with
    arguments on the current inventory. Options given that a done step can no longer honour
    are mismatches too: nothing given is silently ignored."""
    plan = RevokePlan.from_json(journal.data["plan"])
    effective = {**journal.arguments, **{k: v for k, v in given.items() if v is not None}}
    reasons = journal.mismatches(inventory_digest=inventory_digest, arguments=effective)
    if plan.blocked:
        reasons.append("its plan is blocked: " + "; ".join(plan.blocked))
    if journal.state("inventory") is None and not reasons:
        # Not yet edited: the journal's plan must be the one the inventory gives now.
        now = fresh_plan(effective).to_json()
        if {k: v for k, v in now.items() if k != "notes"} != {
            k: v for k, v in plan.to_json().items() if k != "notes"
        }:
            reasons.append("its plan differs from the plan for the current inventory")
    recorded = journal.options
    for key, value in options.items():
        if value is None or recorded.get(key) == value:
            continue
        if journal.state("vault") is not None:
            reasons.append(
                f"--{key.replace('_', '-')} {value!r}: the Vault step already ran "
                f"with {recorded.get(key)!r}"
            )
    return Pending(journal=journal, plan=plan, mismatches=tuple(reasons))


def refuse_pending(pending: Pending) -> UsageError:
    return UsageError(
        f"a revoke journal for {pending.plan.person} ({pending.journal.path}) does not match "
        "this command: " + "; ".join(pending.mismatches),
        hint="run it on a terminal to confirm resuming the journal's plan, or " + DISCARD_HINT,
    )


@dataclass(frozen=True)
class RevokeStart:
    """Where a revoke begins. `plan` is what will run: the journal's when one is pending,
    else the fresh plan. With a pending journal that does not match, `fresh` is the plan
    this command would make instead (shown beside the journal's)."""

    person: str
    left_on: dt.date
    plan: RevokePlan
    pending: Pending | None = None
    fresh: RevokePlan | None = None
    discard: Path | None = None  # a journal to drop once the plan is confirmed

    @property
    def resuming(self) -> bool:
        """A pending journal that matches the command: run again, it finishes."""
        return self.pending is not None and self.pending.matches

    @property
    def mismatched(self) -> bool:
        """A pending journal that does not match: resumed only on the user's say-so."""
        return self.pending is not None and not self.pending.matches

    @property
    def nothing_to_do(self) -> bool:
        return self.pending is None and self.plan.nothing_to_do

    @property
    def journal(self) -> Journal | None:
        return self.pending.journal if self.pending is not None else None

    def refusal(self, *, can_ask: bool) -> UsageError | None:
        """Why the revoke must not go ahead (None: it may, after confirmation). A blocked
        fresh plan is refused; a mismatching journal is refused unless the user can be asked
        (a terminal, no --yes) and its plan is not blocked."""
        if self.pending is not None:
            if self.mismatched and (self.plan.blocked or not can_ask):
                return refuse_pending(self.pending)
            return None
        if self.plan.blocked:
            return UsageError(
                "refusing to revoke: " + "; ".join(self.plan.blocked),
                hint="nothing was changed; --dry-run shows the plan",
            )
        return None


def start_revoke(
    inventory_path: Path,
    inventory: Inventory,
    policy: Policy,
    person: str,
    *,
    today: dt.date,
    successor: str | None = None,
    left_on: dt.date | None = None,
    leave_uncovered: bool = False,
    discard_journal: bool = False,
    auth_mount: str | None = None,
) -> RevokeStart:
    """Decide how the revoke of `person` begins, from the inventory, the arguments given
    (None / False: not given) and the journal of an earlier run, if any. `auth_mount` is the
    Vault auth mount in use (None without Vault or without aliases). Raises `UsageError`
    for an unknown person or a departure date that contradicts the inventory."""
    someone = inventory.person(person)
    if someone is None:
        raise UsageError(
            f"no person '{person}' in {inventory_path}",
            hint=suggest(person, inventory.person_index),
        )
    day = left_on or someone.left_on or today
    if someone.left_on and left_on and day != someone.left_on:
        raise UsageError(
            f"{person} already departed on {someone.left_on} (recorded in the inventory); "
            f"--left-on {day} differs",
            hint="drop --left-on to keep the recorded date, or correct it in the inventory",
        )
    levels, roles = manager_rule(policy)

    def make_plan(arguments: Mapping[str, Any]) -> RevokePlan:
        return plan_revoke(
            inventory,
            policy.catalog,
            person,
            successor=arguments.get("successor"),
            manager_levels=levels,
            manager_roles=roles,
            leave_uncovered=bool(arguments.get("leave_uncovered")),
        )

    given = {
        "person": person,
        "successor": successor,
        "left_on": day.isoformat() if left_on else None,
        "leave_uncovered": True if leave_uncovered else None,
    }
    chosen = {k: v for k, v in given.items() if v is not None}
    journal_path = Journal.path_for(inventory_path, person)
    if discard_journal and journal_path.exists():
        return RevokeStart(person, day, make_plan(chosen), discard=journal_path)
    journal = Journal.load(journal_path)
    if journal is None:
        return RevokeStart(person, day, make_plan(chosen))
    pending = judge_journal(
        journal,
        inventory_digest=file_digest(inventory_path),
        given=given,
        fresh_plan=make_plan,
        options={"auth_mount": auth_mount},
    )
    fresh = None if pending.matches else make_plan(chosen)
    return RevokeStart(person, day, pending.plan, pending=pending, fresh=fresh)


def revoke_commit_message(plan: RevokePlan, log_trailer: str) -> str:
    """The `--branch` commit message of a revoke; `log_trailer` (the audit log's head,
    empty when there is no log) lets `govern log verify --git` check the log."""
    message = (
        f"Revoke {plan.person}: remove {len(plan.grants)} grants, mark departed"
        + (f", successor {plan.successor}" if plan.successor else "")
        + "\n\nGenerated by `govern revoke`."
    )
    if log_trailer:
        message += f"\n\n{log_trailer}"
    return message
