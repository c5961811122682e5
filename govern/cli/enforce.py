"""`govern plan` and `govern apply`: make Vault enforce who may read each shared login.

The CLI parses, calls govern.vault, renders; limits are checked before any write.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from govern.backends.vault import check_mount
from govern.cli._common import inventory_option, load, policies_option
from govern.cli.main import ERROR_EXIT
from govern.errors import ExitCode, PlanExit, UsageError
from govern.vault import (
    ApplyResult,
    Change,
    ObservedState,
    Plan,
    VaultClient,
    apply_plan,
)
from govern.vault.reconcile import check_removals, plan_vault

F = TypeVar("F", bound=Callable[..., Any])

_PAST = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "add": "added",
    "remove": "removed",
    "disable": "disabled",
    "enable": "enabled",
}


def _mount(source: str) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        return check_mount(value, source=source) if value else value

    return check


def vault_options(func: F) -> F:
    for option in reversed(
        (
            click.option(
                "--mount",
                "mount",
                metavar="M",
                default="govern",
                show_default=True,
                envvar="GOVERN_VAULT_MOUNT",
                show_envvar=True,
                callback=_mount("--mount / GOVERN_VAULT_MOUNT"),
                help="KV v2 mount holding the credentials (as in `--store vault:M`).",
            ),
            click.option(
                "--auth-mount",
                "auth_mount",
                metavar="PATH",
                default=None,
                envvar="GOVERN_VAULT_AUTH_MOUNT",
                show_envvar=True,
                callback=_mount("--auth-mount / GOVERN_VAULT_AUTH_MOUNT"),
                help="Auth mount (e.g. oidc, userpass) on which each person gets a login "
                "alias; without it, aliases are not managed.",
            ),
            click.option(
                "--alias-field",
                "alias_field",
                type=click.Choice(["email", "id"]),
                default="email",
                show_default=True,
                envvar="GOVERN_VAULT_ALIAS_FIELD",
                show_envvar=True,
                help="The person field that is the login name (`id` for userpass, which "
                "does not accept '@').",
            ),
        )
    ):
        func = option(func)
    return func


def _compute(
    inventory: str | None,
    policies: str | None,
    mount: str,
    auth_mount: str | None,
    alias_field: str,
) -> tuple[VaultClient, ObservedState, Plan]:
    loaded, policy = load(inventory, policies)
    return plan_vault(
        loaded.inventory,
        policy.catalog,
        os.environ,
        mount=mount,
        auth_mount=auth_mount,
        alias_field=alias_field,
    )


def escape_line(text: str) -> str:
    """Control characters (a policy text from Vault may hold any) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _line(change: Change) -> str:
    kind = f"{change.kind:<10}"
    if change.kind == "membership":
        return f"  {change.symbol} {change.action:<7} {kind} {change.name} <- {change.detail}"
    return f"  {change.symbol} {change.action:<7} {kind} {change.name}  ({change.detail})"


def render_text(plan: Plan, where: str) -> str:
    lines = [f"Vault: {where}"]
    for note in plan.foreign:
        lines.append(f"  ! {note}")
    if not plan.changes:
        lines.append("No changes. Vault matches the inventory.")
        return "\n".join(lines)
    lines.append("")
    for change in plan.changes:
        lines.append(_line(change))
        lines.extend(f"      {escape_line(line)}" for line in change.text_diff)
    s = plan.summary()
    lines.append("")
    lines.append(f"Plan: {s['add']} to add, {s['change']} to change, {s['remove']} to remove.")
    return "\n".join(lines)


class PlanCommand(click.Command):
    """`plan`: with --detailed-exitcode, every error exits 1 (Terraform's contract), usage
    errors and bad option values too, so a CI script never reads an error as "changes"."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--detailed-exitcode" in args:
            ctx.meta[ERROR_EXIT] = PlanExit.ERROR
        return super().parse_args(ctx, args)


@click.command("plan", cls=PlanCommand)
@inventory_option
@policies_option
@vault_options
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit codes as Terraform's: 0 no changes, 1 error, 2 changes.",
)
def plan(
    inventory: str | None,
    policies: str | None,
    mount: str,
    auth_mount: str | None,
    alias_field: str,
    fmt: str,
    detailed_exitcode: bool,
) -> None:
    """What `govern apply` would change in Vault: entities, aliases, groups, memberships and
    policies, inventory vs server. Changes nothing.

    Reads VAULT_ADDR and VAULT_TOKEN (or the `govern login` keyring token, or AppRole via
    VAULT_ROLE_ID/VAULT_SECRET_ID, or GOVERN_VAULT_AUTH=jwt|kubernetes with GOVERN_VAULT_ROLE:
    see docs/vault.md); VAULT_NAMESPACE and VAULT_CACERT are honoured. Policy updates show
    the lines of policy text that change.

    \b
    Exit codes: 0 no changes, or changes; 2 invalid input; 3 Vault unreachable, sealed or
    refusing the token. With --detailed-exitcode exactly as Terraform: 0 no changes, 1 any
    error (invalid input or usage, Vault unreachable; the message says which), 2 changes.

    \b
    Examples:
      govern plan
      govern plan --auth-mount userpass --alias-field id --detailed-exitcode
      govern plan --format json
    """
    client, _, result = _compute(inventory, policies, mount, auth_mount, alias_field)
    click.echo(result.to_json() if fmt == "json" else render_text(result, client.describe()))
    if detailed_exitcode and result.changes:
        raise SystemExit(PlanExit.CHANGES)


def _report(result: ApplyResult) -> None:
    for change in result.done:
        click.echo(
            f"  {_PAST[change.action]} {change.kind} {change.name}"
            + (f" <- {change.detail}" if change.kind == "membership" else "")
        )
    for change, error in result.failed[:20]:
        click.echo(f"  failed: {change.action} {change.kind} {change.name}: {error}", err=True)
    if len(result.failed) > 20:
        click.echo(f"  ... and {len(result.failed) - 20} more failures", err=True)


@click.command("apply")
@inventory_option
@policies_option
@vault_options
@click.option("--yes", "-y", is_flag=True, help="Apply without asking (needed without a TTY).")
@click.option(
    "--max-removals",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Refuse plans removing more than N accesses  [default: 25% of current "
    "memberships, at least 1]",
)
@click.option("--force", is_flag=True, help="Apply even beyond --max-removals.")
def apply(
    inventory: str | None,
    policies: str | None,
    mount: str,
    auth_mount: str | None,
    alias_field: str,
    yes: bool,
    max_removals: int | None,
    force: bool,
) -> None:
    """Make Vault match the inventory: the changes `govern plan` shows.

    Asks for confirmation on a terminal; elsewhere needs --yes. Refuses plans that remove more
    accesses (memberships removed, entities disabled or deleted) than --max-removals unless
    --force. Idempotent: a second run finds nothing to do. An interrupted apply is finished
    by the next one.

    \b
    Exit codes: 0 applied (or nothing to do); 2 refused (limit, no confirmation) or invalid
    input; 3 Vault unreachable, sealed or refusing a change (what succeeded stays applied).

    \b
    Examples:
      govern apply                                  # shows the plan, asks
      govern apply --yes --auth-mount userpass --alias-field id
      govern apply --yes --max-removals 50
    """
    client, observed, result = _compute(inventory, policies, mount, auth_mount, alias_field)
    click.echo(render_text(result, client.describe()))
    if not result.changes:
        return
    check_removals(result, observed, max_removals=max_removals, force=force)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                "refusing to apply without confirmation: no terminal to ask on",
                hint="rerun with --yes",
            )
        if not click.confirm(f"Apply these changes to {client.describe()}?", default=False):
            click.echo("Apply cancelled; nothing was changed.")
            raise SystemExit(ExitCode.INVALID)
    outcome = apply_plan(client, result)
    _report(outcome)
    s = Plan(changes=outcome.done).summary()
    summary = f"{s['add']} added, {s['change']} changed, {s['remove']} removed"
    if outcome.failed:
        click.echo(
            f"Apply incomplete: {summary}; {len(outcome.failed)} failed. Fix the cause "
            "and rerun `govern apply`: it finishes what remains.",
            err=True,
        )
        raise SystemExit(outcome.exit_code or ExitCode.UNAVAILABLE)
    click.echo(f"Apply complete: {summary}.")
