"""`govern revoke PERSON` and `govern log verify|show`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from govern import auditlog
from govern.cli._common import (
    DEFAULT_INVENTORY,
    audit_log,
    inventory_option,
    load,
    log_option,
    log_path,
    parse_date,
    parse_today,
    policies_option,
    store_option,
    store_token_lookup,
)
from govern.cli.enforce import vault_options
from govern.connectors import SPECS
from govern.credentials import actor, store_opener
from govern.errors import UsageError
from govern.gitutil import check_branch, commit_on_branch
from govern.offboard import (
    ChecklistItem,
    Outcome,
    RevokePlan,
    VaultAccess,
    checklist,
    revoke_commit_message,
    run_revoke,
    start_revoke,
)
from govern.offboard.platformsteps import Platforms


def confirm(yes: bool, what: str, question: str) -> None:
    """Ask on a terminal unless --yes; without a terminal, refuse."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            f"refusing to {what} without confirmation: no terminal to ask", hint="pass --yes"
        )
    click.confirm(question, abort=True, err=True)


def progress_printer() -> Callable[[str], None]:
    """Step names on stderr when it is a terminal, else nothing."""
    return (lambda m: click.echo(m, err=True)) if sys.stderr.isatty() else (lambda m: None)


@click.command()
@click.argument("person")
@click.option(
    "--successor",
    metavar="PERSON",
    default=None,
    help="Who takes PERSON's place: head and IT positions (anyone active) and administrative "
    "roles (designated managers keep the level rule).",
)
@click.option(
    "--leave-uncovered",
    is_flag=True,
    help="Cut access even when the revoke leaves an account without an administrator or an "
    "entity without a head (the audit then shows the gap).",
)
@click.option("--dry-run", is_flag=True, help="Print the plan (or the pending journal's) and stop.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--left-on",
    metavar="YYYY-MM-DD",
    default=None,
    help="Departure date recorded in the inventory  [default: the recorded one, else today]",
)
@click.option(
    "--discard-journal",
    is_flag=True,
    help="Drop a pending revoke journal of PERSON that does not match, and plan afresh.",
)
@click.option(
    "--branch",
    metavar="NAME",
    default=None,
    help="Commit exactly what the revoke changed (inventory, file store, log) on this branch.",
)
@store_option
@click.option(
    "--vault/--no-vault",
    "use_vault",
    default=None,
    help="Disable the person in Vault  [default: when VAULT_ADDR is set]",
)
@vault_options
@log_option
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@inventory_option
@policies_option
def revoke(
    person: str,
    successor: str | None,
    leave_uncovered: bool,
    dry_run: bool,
    yes: bool,
    left_on: str | None,
    discard_journal: bool,
    branch: str | None,
    store_spec: str | None,
    use_vault: bool | None,
    mount: str,
    auth_mount: str | None,
    alias_field: str,
    log_file: str | None,
    fmt: str,
    inventory: str | None,
    policies: str | None,
) -> None:
    """Remove PERSON everywhere: Vault, shared passwords, the inventory; log it.

    Prints the plan first, judged by what the revoke changes: gaps that already exist are
    listed as "already uncovered" and never block. A gap the revoke itself would create (an
    account left without an administrator, an entity without a head) needs --successor or
    --leave-uncovered. Everything that can fail is checked before the first change. Every
    step is journaled: after a crash or an unreachable Vault, run the same command again to
    finish; a journal that does not match the inventory or the arguments is shown and
    refused until confirmed or dropped with --discard-journal.

    \b
    Examples:
      govern revoke tmurphy --dry-run
      govern revoke fr-mendez --successor cwright --yes
      govern revoke pgarcia --leave-uncovered --yes      # accept the gap, cut access now
      govern revoke jdoe --yes --branch offboard/jdoe --format json   # for a ticket
      govern revoke jdoe --discard-journal --dry-run     # the fresh plan, journal kept
    """
    env = os.environ
    inventory_path = Path(inventory or DEFAULT_INVENTORY)
    loaded, policy = load(inventory, policies)
    inv = loaded.inventory
    vault = VaultAccess.choose(
        use_vault, env, mount=mount, auth_mount=auth_mount, alias_field=alias_field
    )
    start = start_revoke(
        inventory_path,
        inv,
        policy,
        person,
        today=parse_today(None),
        successor=successor,
        left_on=parse_date("--left-on", left_on),
        leave_uncovered=leave_uncovered,
        discard_journal=discard_journal,
        auth_mount=vault.auth_mount if vault is not None else None,
    )
    plan = start.plan
    if start.discard is not None:
        _say(
            fmt,
            f"The revoke journal {start.discard} will be discarded"
            + (" (--dry-run: it is kept)." if dry_run else " once the plan is confirmed."),
        )
    if start.pending is not None:
        journal = start.pending.journal
        started = journal.data["started_at"]
        if start.resuming:
            _say(
                fmt,
                f"Resuming the revoke of {person} started {started} (journal "
                f"{journal.path}; done: {', '.join(start.pending.done) or 'nothing yet'}).",
            )
            _show_plan(plan, fmt, force=dry_run)
        else:
            _say(
                fmt,
                f"A revoke journal of {person} started {started} ({journal.path}) "
                "does not match this command:",
            )
            for reason in start.pending.mismatches:
                _say(fmt, f"  - {reason}")
            _say(fmt, "Its plan:")
            _show_plan(plan, fmt, force=True)
            _say(fmt, "The plan for this command:")
            if start.fresh is not None:
                _show_plan(start.fresh, fmt, force=True)
            if dry_run:
                return
            refusal = start.refusal(can_ask=not yes and sys.stdin.isatty())
            if refusal is not None:
                raise refusal
            click.confirm("Resume the journal's revoke as shown above?", abort=True, err=True)
    else:
        if start.nothing_to_do:
            _emit(
                fmt,
                {"person": person, "nothing_to_do": True},
                f"{person} has already departed and holds nothing: nothing left to do.",
            )
            return
        _show_plan(plan, fmt, force=dry_run)
        refusal = start.refusal(can_ask=False)
        if refusal is not None:
            raise refusal
    platforms = Platforms(
        inv, policy.catalog, env=env, store=store_token_lookup(store_spec, loaded.path, env)
    )
    _show_platform_removals(platforms, plan, fmt)
    if dry_run:
        return
    confirm(yes, "revoke", f"Revoke {person} as planned?")
    open_cred_store = store_opener(
        store_spec, inventory_dir=inventory_path.absolute().parent, env=env
    )
    log_path = audit_log(log_file, inventory_path)
    changed_files = [inventory_path, log_path]
    repo = None
    if branch:
        store_file = getattr(open_cred_store(), "path", None) if plan.credentials else None
        if isinstance(store_file, Path):
            changed_files.append(store_file)
        repo = check_branch(inventory_path, branch, changed_files)
    if start.discard is not None:
        start.discard.unlink(missing_ok=True)
        _say(fmt, f"Discarded the revoke journal {start.discard}.")
    someone = inv.person(person)
    outcome = run_revoke(
        plan,
        platforms=platforms,
        log_key=auditlog.key_from_env(env),
        inventory=inventory_path,
        catalog=policy.catalog,
        left_on=start.left_on,
        actor=actor(env),
        store=open_cred_store,
        vault=vault,
        log_path=log_path,
        journal=start.journal,
        alias=(someone.id if alias_field == "id" else someone.email) if someone else None,
        progress=progress_printer(),
    )
    items = checklist(outcome.plan, policy.catalog, outcome.steps)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "person": person,
                    "plan": outcome.plan.to_json(),
                    "steps": outcome.steps,
                    "log": outcome.record,
                    "checklist": [item.to_json() for item in items],
                },
                indent=2,
                default=str,
            )
        )
    else:
        _report(person, outcome, items)
    if repo is not None:
        trailer = auditlog.head_trailer(log_path) if log_path.exists() else ""
        message = revoke_commit_message(outcome.plan, trailer)
        warning = commit_on_branch(repo, changed_files, message, what="the revoke")
        if warning:
            click.echo(warning, err=True)


def _report(person: str, outcome: Outcome, items: list[ChecklistItem]) -> None:
    rotated = [r for r in (outcome.steps.get("rotate") or {}).values() if r["rotated"]]
    for account, result in (outcome.steps.get("platforms") or {}).items():
        if "removed" in result:
            how = "was already gone" if result.get("already_gone") else "removed and confirmed"
            click.echo(f"{account}: {person} {how} on the platform.")
    click.echo(
        f"Revoked {person}: {len(outcome.plan.grants)} grants removed, "
        f"{len(rotated)} shared passwords rotated, inventory updated, "
        f"log record {outcome.record['seq'] if outcome.record else '?'}."
    )
    vault_result = outcome.steps.get("vault")
    if vault_result:
        click.echo(
            f"Vault: entity {', '.join(vault_result['disabled']) or '(none)'} disabled; left "
            f"groups: {', '.join(vault_result['groups_left']) or '(none)'}"
        )
        if vault_result.get("groups_not_managed"):
            click.echo(
                "Vault: still in groups govern does not manage (left untouched): "
                + ", ".join(vault_result["groups_not_managed"])
            )
    for gap in outcome.plan.already_uncovered:
        click.echo(f"Already uncovered before the revoke (for the audit): {gap}")
    if outcome.plan.at_risk:
        click.echo(
            "Left uncovered by the revoke (--leave-uncovered): " + "; ".join(outcome.plan.at_risk)
        )
    if items:
        click.echo("\nStill to do by hand on the platforms, in this order:")
        for n, item in enumerate(items, 1):
            where = f"  [{item.where}]" if item.where else ""
            click.echo(f"  {n}. {item.account}: {item.action}{where}")


def _show_platform_removals(platforms: Platforms, plan: RevokePlan, fmt: str) -> None:
    """What the `platforms` step will do: one removal through each platform's API (sent only
    after the other steps, nothing on --dry-run), or why an account stays manual."""
    lines = []
    for removal, manual in platforms.planned([g.account for g in plan.grants]):
        if manual:
            lines.append(f"  . {removal.account}: by hand ({manual})")
        else:
            lines.append(
                f"  > remove {plan.person} from {removal.account} through the "
                f"{SPECS[removal.platform].title} API, then re-read to confirm"
            )
    if lines:
        _say(fmt, "On the platforms:")
        for line in lines:
            _say(fmt, line)


def _say(fmt: str, text: str) -> None:
    click.echo(text, err=fmt == "json")


def _emit(fmt: str, data: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(data, indent=2) if fmt == "json" else text)


def _show_plan(plan: RevokePlan, fmt: str, *, force: bool = False) -> None:
    if fmt == "json":
        if plan.blocked or force:
            click.echo(json.dumps({"plan": plan.to_json()}, indent=2))
        return
    click.echo(
        f"Plan to revoke {plan.person}"
        + (f" (successor: {plan.successor})" if plan.successor else "")
        + ":"
    )
    for gain in plan.successor_grants:
        click.echo(f"  + {plan.successor} gains {gain.role} ({gain.label}) on {gain.account}")
    for entity in plan.heads:
        click.echo(f"  ~ head of {entity} -> {plan.successor or '(vacant)'}")
    for entity in plan.it:
        click.echo(
            f"  ~ IT of {entity}: removed"
            + (f", {plan.successor} takes the place" if plan.successor else "")
        )
    for grant in plan.grants:
        click.echo(f"  - remove {grant.role} ({grant.label}) on {grant.account}")
    for account, ref, _ in plan.credentials:
        click.echo(f"  * rotate the shared password of {account} (store key {ref})")
    for risk in plan.at_risk:
        click.echo(f"  ! new gap: {risk}")
    for gap in plan.already_uncovered:
        click.echo(f"  . already uncovered (not caused by this revoke): {gap}")
    for note in plan.notes:
        click.echo(f"  . {note}")


@click.group("log")
def log_group() -> None:
    """The audit log of govern's actions (hash-chained JSONL)."""


@log_group.command("verify")
@log_option
@click.option(
    "--expect-head",
    metavar="HASH",
    default=None,
    help="Also check the last record's hash (detects records removed from the end).",
)
@click.option(
    "--git",
    "git_anchors",
    is_flag=True,
    help="Also check every Govern-Log-Head trailer in the git history (written by "
    "`govern revoke --branch`): detects records removed from the end and a re-chained log.",
)
@inventory_option
def log_verify(
    log_file: str | None, expect_head: str | None, git_anchors: bool, inventory: str | None
) -> None:
    """Check that no record was edited, removed or reordered; with GOVERN_LOG_KEY set, that
    every record carries a valid MAC (a rewritten, re-chained log fails).

    \b
    Examples:
      GOVERN_LOG_KEY=... govern log verify --git    # in CI: MACs and the anchored heads
      govern log verify --expect-head 3f2a...       # the head printed by the last verify
    """
    key = auditlog.key_from_env(os.environ)
    result = auditlog.verify(
        log_path(log_file, inventory), expect_head=expect_head, key=key, git_anchors=git_anchors
    )
    notes = []
    if result.authenticated:
        notes.append(f"authenticated with {auditlog.KEY_ENV}")
    if git_anchors:
        notes.append(f"{result.anchors} anchored head(s) in git history match")
    click.echo(
        f"ok: {result.records} records, head {result.head}" + "".join(f"; {n}" for n in notes)
    )
    if key is None:
        click.echo(
            f"warning: not authenticated (chain only: a rewritten, re-chained log passes); "
            f"set {auditlog.KEY_ENV} to check the records' MACs",
            err=True,
        )


@log_group.command("show")
@log_option
@click.option("--person", default=None, help="Only records about this person.")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text")
@inventory_option
def log_show(log_file: str | None, person: str | None, fmt: str, inventory: str | None) -> None:
    """Show the records (verified first).

    \b
    Example:
      govern log show --person jdoe
    """
    records = [
        r
        for r in auditlog.read(log_path(log_file, inventory))
        if person is None or r.get("person") == person
    ]
    if fmt == "json":
        click.echo(json.dumps(records, indent=2))
        return
    for record in records:
        click.echo(
            f"{record['seq']:>4}  {record['time']}  {record['actor']:<12} "
            f"{record['action']:<8} {record.get('person') or ''}"
        )
    if not records:
        click.echo("No records.")
