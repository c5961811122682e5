"""`govern drift`: declared vs observed (snapshot files, Vault), in every audit format."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from govern.cli._common import (
    finish_report,
    inventory_option,
    load,
    parse_today,
    policies_option,
    report_options,
    today_option,
)
from govern.inventory.source import suggest

F = TypeVar("F", bound=Callable[..., Any])


def snapshots_option(func: F) -> F:
    return click.option(
        "--snapshots",
        "-s",
        "snapshots",
        metavar="DIR_OR_FILE",
        multiple=True,
        help="Snapshot files (CSV or YAML, see docs/snapshots.md) or directories of them; "
        "repeatable  [default: ./snapshots if it exists]",
    )(func)


def progress(message: str) -> None:
    """Progress on long work, to standard error and only on a terminal."""
    if sys.stderr.isatty():
        click.echo(f"govern drift: {message}", err=True)


def _explain(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is None or ctx.resilient_parsing:
        return
    from govern.drift.rules import RULES

    info = RULES.get(value)
    if info is None:
        raise click.BadParameter(
            f"unknown drift rule '{value}'; " + (suggest(value, RULES) or ", ".join(RULES)),
            ctx=ctx,
            param_hint="--explain",
        )
    click.echo(f"{info.id}  (severity: {info.severity.value})\n\n{info.explanation}")
    ctx.exit(0)


@click.command()
@inventory_option
@policies_option
@snapshots_option
@click.option(
    "--vault/--no-vault",
    "vault",
    default=None,
    help="Compare Vault's govern objects and credentials too  [default: when VAULT_ADDR is set]",
)
@report_options(fail_on_default="warning", what="drift findings")
@click.option(
    "--explain",
    metavar="RULE",
    callback=_explain,
    expose_value=False,
    is_eager=True,
    help="Explain one drift rule (e.g. drift-unexpected-holder) and exit.",
)
@today_option
def drift(
    inventory: str | None,
    policies: str | None,
    snapshots: tuple[str, ...],
    vault: bool | None,
    fmt: str,
    output: str | None,
    fail_on: str,
    today: str | None,
) -> None:
    """Compare what the inventory declares with what is observed: who holds which role
    on each platform (snapshot files exported from admin pages) and, in Vault, govern's
    groups, policies, entities and the credentials themselves.

    Accounts that no snapshot covers are not observed, which is not drift. Exits 1 when
    drift is found, 0 when none, 2 on bad input (path:line:column), 3 when Vault cannot be
    reached.

    \b
    Examples:
      govern drift                                   # ./snapshots, Vault if VAULT_ADDR is set
      govern drift -s exports/linkedin.csv -s exports/youtube.yaml --no-vault
      govern drift --format markdown >> "$GITHUB_STEP_SUMMARY"
      govern drift --format json --output drift.json
      govern drift --explain drift-unexpected-holder
    """
    from govern.drift import collect

    day = parse_today(today)
    loaded, policy = load(inventory, policies)
    report = collect(
        loaded,
        policy.catalog,
        today=day,
        snapshots=list(snapshots) or None,
        vault=vault,
        env=os.environ,
        progress=progress,
    )
    finish_report(report, fmt, output, fail_on)


