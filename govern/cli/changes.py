"""`govern grant`, `govern ungrant`, `govern account add` (and `govern people add`): change the
inventory without opening it. The logic is in govern.changes; this prints and commits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from govern.changes import Change
from govern.cli._common import (
    DEFAULT_INVENTORY,
    inventory_option,
    load_policy_dir,
    parse_date,
    parse_today,
    policies_option,
    today_option,
)
from govern.errors import ExitCode
from govern.policy import Policy

F = TypeVar("F", bound=Callable[..., Any])


def change_options(func: F) -> F:
    """--branch, --dry-run, --inventory and --policies: shared by every change command."""
    func = click.option(
        "--branch",
        metavar="NAME",
        default=None,
        help="Commit the change to the inventory on this git branch.",
    )(func)
    func = click.option("--dry-run", is_flag=True, help="Show the diff; write nothing.")(func)
    return inventory_option(policies_option(func))


def run_change(
    inventory: str | None,
    policies: str | None,
    dry_run: bool,
    branch: str | None,
    make: Callable[[Path, Policy], Change],
    *,
    allow_findings: bool = True,
) -> None:
    """Build the change, print its diff, refuse new findings (unless allowed), write it and
    commit it on `branch`."""
    path = Path(inventory or DEFAULT_INVENTORY)
    policy = load_policy_dir(policies)
    change = make(path, policy)
    if not change.changed:
        click.echo(f"{path}: already so; nothing to change.")
        return
    click.echo(change.diff, nl=not change.diff.endswith("\n"))
    if change.new_findings:
        explanations = change.explanations()
        word = "finding" if len(change.new_findings) == 1 else "findings"
        click.echo(f"\nThis change adds {len(change.new_findings)} {word}:", err=True)
        if allow_findings:
            click.echo("(shown, not refused: fix them next)", err=True)
        for finding in change.new_findings:
            click.echo(f"  {finding.severity.value} {finding.rule}: {finding.message}", err=True)
            if finding.fix:
                click.echo(f"    fix: {finding.fix}", err=True)
        if not allow_findings:
            for rule, text in explanations.items():
                if text:
                    click.echo(f"\n{rule}: {text}", err=True)
            click.echo(
                "\nNothing was written (pass --allow-findings to make the change anyway, "
                "or change it so the rules accept it).",
                err=True,
            )
            raise SystemExit(ExitCode.FINDINGS)
    if dry_run:
        click.echo("\nDry run: nothing was written.")
        return
    written = change.write(branch=branch)
    click.echo(f"\nWrote {path}: {change.summary}.")
    if written.branch is not None:
        click.echo(written.warning or f"Committed on branch {written.branch}.")


@click.command("grant")
@click.argument("person")
@click.argument("account")
@click.argument("role")
@click.option("--expires", metavar="YYYY-MM-DD", default=None, help="The grant ends that day.")
@click.option("--note", default=None, help="Why the grant exists (kept in the inventory).")
@click.option(
    "--allow-findings",
    is_flag=True,
    help="Write the grant even if the rules would report it.",
)
@today_option
@change_options
def grant(
    person: str,
    account: str,
    role: str,
    expires: str | None,
    note: str | None,
    allow_findings: bool,
    today: str | None,
    dry_run: bool,
    branch: str | None,
    inventory: str | None,
    policies: str | None,
) -> None:
    """Give PERSON the ROLE on ACCOUNT (or change their role), in inventory.yaml.

    The inventory is audited with the grant in memory first: a grant the rules would report
    (on this account or person) is refused with the rule's explanation, unless
    --allow-findings. The diff is printed; comments in the file are kept.

    Exit: 0 written (or already so); 1 refused for findings; 2 bad input.

    \b
    Examples:
      govern grant mvolunteer st-mary-facebook editor --expires 2026-12-31
      govern grant fr-santos st-joseph-youtube owner --note "new pastor" --branch grant/santos
      govern grant jdoe st-mary-instagram admin --dry-run
    """
    from govern.changes import grant as make_grant

    day = parse_date("--expires", expires)
    as_of = parse_today(today)
    run_change(
        inventory,
        policies,
        dry_run,
        branch,
        lambda path, policy: make_grant(
            path, policy, person, account, role, expires=day, note=note, today=as_of
        ),
        allow_findings=allow_findings,
    )


@click.command("ungrant")
@click.argument("person")
@click.argument("account")
@change_options
def ungrant(
    person: str,
    account: str,
    dry_run: bool,
    branch: str | None,
    inventory: str | None,
    policies: str | None,
) -> None:
    """Remove PERSON's grant on ACCOUNT from inventory.yaml (comments kept; diff printed).

    This changes the inventory only: to cut access on the platform and rotate shared
    passwords for someone who left, use `govern revoke`.

    \b
    Examples:
      govern ungrant mvolunteer st-mary-facebook
      govern ungrant jdoe st-mary-instagram --branch access/jdoe
    """
    from govern.changes import ungrant as make_ungrant

    run_change(
        inventory,
        policies,
        dry_run,
        branch,
        lambda path, policy: make_ungrant(path, policy, person, account),
    )


@click.group("account")
def account() -> None:
    """Accounts of the inventory.

    \b
    Examples:
      govern account add st-mary-tiktok --entity st-mary --platform tiktok --handle @stmary
    """


@account.command("add")
@click.argument("account_id", metavar="ID")
@click.option("--entity", required=True, help="Id of the entity that owns the account.")
@click.option("--platform", required=True, help="A platform of the catalog (facebook, ...).")
@click.option("--handle", required=True, help="The account's handle or page name.")
@click.option("--url", default=None, help="Link to the account.")
@click.option("--platform-id", default=None, help="The platform's id of the account.")
@click.option("--credential-ref", default=None, help="Key of its password in the store.")
@click.option("--mfa/--no-mfa", default=False, help="Whether multi-factor authentication is on.")
@change_options
def account_add(
    account_id: str,
    entity: str,
    platform: str,
    handle: str,
    url: str | None,
    platform_id: str | None,
    credential_ref: str | None,
    mfa: bool,
    dry_run: bool,
    branch: str | None,
    inventory: str | None,
    policies: str | None,
) -> None:
    """Add account ID to inventory.yaml, validated as `govern validate` would.

    \b
    Examples:
      govern account add st-mary-tiktok --entity st-mary --platform tiktok --handle @stmary
      govern account add st-mary-x --entity st-mary --platform x --handle stmary \\
          --credential-ref st-mary-x --mfa --branch accounts/st-mary-x
    """
    from govern.changes import add_account

    run_change(
        inventory,
        policies,
        dry_run,
        branch,
        lambda path, policy: add_account(
            path,
            policy,
            account_id,
            entity=entity,
            platform=platform,
            handle=handle,
            url=url,
            platform_id=platform_id,
            credential_ref=credential_ref,
            mfa=mfa,
        ),
    )
