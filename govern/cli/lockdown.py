"""`govern lockdown ACCOUNT` and `govern lockdown --release ACCOUNT`."""

from __future__ import annotations

import os
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
    policies_option,
    store_option,
    store_token_lookup,
)
from govern.cli.enforce import vault_options
from govern.cli.offboard import confirm, progress_printer
from govern.connectors import SPECS
from govern.credentials import actor, store_opener
from govern.errors import UsageError
from govern.offboard.lockdown import (
    Contacts,
    LockdownPlan,
    Outcome,
    find_release,
    reinvitations,
    run_lockdown,
    run_release,
    start_lockdown,
)
from govern.offboard.platformsteps import Platforms, Removal
from govern.offboard.steps import VaultAccess


@click.command()
@click.argument("account")
@click.option(
    "--keep",
    "keep",
    metavar="PERSON",
    multiple=True,
    help="Keep this person's access too (repeatable); the entity head and IT are always kept.",
)
@click.option(
    "--release",
    is_flag=True,
    help="End the lockdown: Vault back to the declared state, the removed holders listed for "
    "re-invitation.",
)
@click.option("--dry-run", is_flag=True, help="Print the plan and stop; nothing is sent.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--discard-journal",
    is_flag=True,
    help="Drop a pending lockdown journal of ACCOUNT that does not match, and plan afresh.",
)
@store_option
@click.option(
    "--vault/--no-vault",
    "use_vault",
    default=None,
    help="Narrow (or with --release restore) read access in Vault  [default: when VAULT_ADDR "
    "is set]",
)
@vault_options
@log_option
@inventory_option
@policies_option
def lockdown(
    account: str,
    keep: tuple[str, ...],
    release: bool,
    dry_run: bool,
    yes: bool,
    discard_journal: bool,
    store_spec: str | None,
    use_vault: bool | None,
    mount: str,
    auth_mount: str | None,
    alias_field: str,
    log_file: str | None,
    inventory: str | None,
    policies: str | None,
) -> None:
    """Lock down a compromised or hijacked ACCOUNT in its first minutes.

    Prints the plan first: every holder the platform lists except the entity head, the
    entity's IT and --keep people is removed through the platform's API (holders the
    inventory does not know too: a hijacker is exactly that), the account's shared login and
    the entity's shared logins get a new random password (old versions kept), Vault read
    access to them is narrowed to the people kept, and the platform's recovery page and the
    incident contacts are printed. Every step is journaled: after a failure (exit 3) run the
    same command again to finish; nothing is done twice. `--release` returns to the declared
    state (Vault as `govern apply` would set it) and lists the removed holders to invite
    again.

    \b
    Examples:
      govern lockdown st-mary-facebook --dry-run
      govern lockdown st-mary-facebook --yes
      govern lockdown st-mary-facebook --keep cwright --yes --no-vault
      govern lockdown --release st-mary-facebook --yes
    """
    env = os.environ
    inventory_path = Path(inventory or DEFAULT_INVENTORY)
    loaded, policy = load(inventory, policies)
    inv, catalog = loaded.inventory, policy.catalog
    vault = VaultAccess.choose(
        use_vault, env, mount=mount, auth_mount=auth_mount, alias_field=alias_field
    )
    vault_on = vault is not None
    log_path = audit_log(log_file, inventory_path)
    if release:
        if keep or discard_journal:
            raise UsageError("--release takes neither --keep nor --discard-journal")
        _release(account, inventory_path, inv, catalog, vault, log_path, dry_run, yes)
        return

    start = start_lockdown(
        inventory_path, inv, catalog, account, keep, vault=vault_on, discard_journal=discard_journal
    )
    plan = start.plan
    if start.discard is not None:
        if dry_run:
            click.echo(
                f"The lockdown journal {start.discard} would be discarded (--dry-run: kept)."
            )
        else:
            start.discard.unlink()
            click.echo(f"Discarded the lockdown journal {start.discard}.")
    elif start.journal is not None:
        click.echo(
            f"Resuming the lockdown of {account} started {start.journal.data['started_at']} "
            f"(done: {', '.join(start.done) or 'nothing yet'})."
        )
    platforms = Platforms(
        inv, catalog, env=env, store=store_token_lookup(store_spec, str(loaded.path), env)
    )
    _show_plan(plan, platforms, vault_on)
    if dry_run:
        return
    confirm(yes, "lock down", f"Lock down {account} as planned?")
    outcome = run_lockdown(
        plan,
        inventory=inventory_path,
        loaded=inv,
        catalog=catalog,
        actor=actor(env),
        store=store_opener(store_spec, inventory_dir=inventory_path.absolute().parent, env=env),
        vault=vault,
        platforms=platforms,
        log_path=log_path,
        journal=start.journal,
        log_key=auditlog.key_from_env(env),
        progress=progress_printer(),
    )
    _report(outcome)


def _show_plan(plan: LockdownPlan, platforms: Platforms, vault_on: bool) -> None:
    click.echo(f"Plan to lock down {plan.account} ({plan.platform}, entity {plan.entity}):")
    click.echo(f"  = keep: {', '.join(plan.keep) or '(nobody)'}")
    spec = SPECS.get(plan.platform)
    if plan.removal_api and spec is not None:
        removal_token = platforms.missing_token(
            Removal(plan.account, plan.platform, spec.namespace)
        )
        if removal_token:
            click.echo(f"  . remove the other holders by hand ({removal_token})")
        else:
            click.echo(
                f"  - remove every other holder through the {spec.title} API (unknown ones "
                "too), then re-read to confirm"
            )
    else:
        click.echo("  . no removal API: remove the other holders by hand on the platform")
    for person, role in plan.remove:
        click.echo(f"  - {person} ({role}), declared")
    for account, ref, _ in plan.credentials:
        click.echo(f"  * rotate the shared password of {account} (store key {ref})")
    if vault_on:
        for account in plan.vault_groups:
            click.echo(f"  ~ Vault: read access to {account} narrowed to {', '.join(plan.keep)}")
    elif plan.vault_groups:
        click.echo("  . Vault: not changed (--no-vault)")
    _show_help(plan)


def _show_help(plan: LockdownPlan) -> None:
    if plan.recovery_url:
        click.echo(f"Recovery on the platform: {plan.recovery_url}")
    if plan.admin_url:
        click.echo(f"Access settings: {plan.admin_url}")
    _show_contacts(plan.contacts)


def _show_contacts(contacts: Contacts) -> None:
    if contacts.source is None:
        click.echo(
            "Incident contacts: none declared (add `incident:` to the entity or the organization)"
        )
        return
    click.echo(f"Incident contacts ({contacts.source}):")
    for person_id, name, email in contacts.people:
        click.echo(f"  {name} ({person_id}) <{email}>")
    if contacts.phone:
        click.echo(f"  phone: {contacts.phone}")
    if contacts.escalation:
        click.echo(f"  escalation: {contacts.escalation}")


def _report(outcome: Outcome) -> None:
    plan, steps = outcome.plan, outcome.steps
    platform = steps.get("platforms") or {}
    for holder in platform.get("removed") or []:
        who = holder.get("person") or "unknown to the inventory"
        click.echo(f"{plan.account}: removed {holder['id']} ({holder.get('name') or who}; {who})")
    if platform.get("manual"):
        click.echo(f"{plan.account}: remove the other holders by hand ({platform['manual']})")
    for invitation in platform.get("pending") or []:
        click.echo(f"{plan.account}: pending invitation {invitation}: cancel it on the platform")
    rotated = [r for r in (steps.get("rotate") or {}).values() if r.get("rotated")]
    for ref, result in (steps.get("rotate") or {}).items():
        if result.get("rotated"):
            click.echo(
                f"{result['account']}: new password, version {result['version']} of {ref} "
                f"(`govern creds show {result['account']} --reveal`); change it on the platform "
                "and sign out all other sessions"
            )
        else:
            click.echo(f"{result['account']}: {result.get('why')}; change the password by hand")
    for change in (steps.get("vault") or {}).get("applied") or []:
        click.echo(f"Vault: {change}")
    record = steps.get("log") or {}
    click.echo(
        f"Locked down {plan.account}: {len(platform.get('removed') or [])} holders removed, "
        f"{len(rotated)} passwords rotated, log record {record.get('seq', '?')}. "
        f"`govern lockdown --release {plan.account}` ends it."
    )
    _show_help(plan)


def _release(
    account: str,
    inventory_path: Path,
    inv: Any,
    catalog: Any,
    vault: VaultAccess | None,
    log_path: Path,
    dry_run: bool,
    yes: bool,
) -> None:
    release = find_release(log_path, account)
    plan = release.plan
    click.echo(
        f"Plan to release the lockdown of {account} (log record {release.record['seq']}, "
        f"{release.record['time']}):"
    )
    if vault is not None:
        for group in plan.vault_groups:
            click.echo(f"  ~ Vault: read access to {group} back to the declared readers")
    elif plan.vault_groups:
        click.echo("  . Vault: not changed (--no-vault); `govern apply` restores it")
    lines = reinvitations(release, inv, catalog)
    if dry_run:
        for line in lines:
            click.echo(f"  . {line}")
        return
    confirm(yes, "release", f"Release the lockdown of {account}?")
    restored, record = run_release(
        release,
        inventory_path=inventory_path,
        catalog=catalog,
        vault=vault,
        log_path=log_path,
        actor=actor(os.environ),
        key=auditlog.key_from_env(os.environ),
    )
    for change in (restored or {}).get("applied") or []:
        click.echo(f"Vault: {change}")
    if lines:
        where = f" [{plan.admin_url}]" if plan.admin_url else ""
        click.echo(f"To invite again on the platform (an invitation is required){where}:")
        for n, line in enumerate(lines, 1):
            click.echo(f"  {n}. {line}")
    click.echo(f"Released the lockdown of {account}: log record {record['seq']}.")
