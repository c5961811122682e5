"""`govern people`: the inventory's people against the organization's directory."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from govern import auditlog
from govern.cli._common import (
    DEFAULT_INVENTORY,
    format_option,
    inventory_option,
    load,
    log_option,
    parse_date,
    parse_today,
    policies_option,
    store_option,
)
from govern.cli.changes import change_options, run_change
from govern.errors import ExitCode, UsageError
from govern.offboard import RevokePlan, manager_rule
from govern.offboard.departed import JOURNAL_PENDING
from govern.platforms import Catalog

if TYPE_CHECKING:
    from govern.directory.sync import SyncResult

NEW_SHOWN = 20  # new directory people listed in text output; JSON lists all


@click.group("people")
def people() -> None:
    """The inventory's people: add them, record their training, keep them in step with the
    organization's directory.

    \b
    Examples:
      govern people sync csv:roster.csv --dry-run   # who left, as a diff
      govern people sync entra --yes                # mark them departed in place
      govern people add mvolunteer --name "Maria Volunteer" --email m@stmary.example --level C
      govern people trained mvolunteer --on 2026-11-28
    """


@people.command("trained")
@click.argument("person_id", metavar="ID")
@click.option(
    "--on",
    "on",
    metavar="YYYY-MM-DD",
    default=None,
    help="The day of the training  [default: today]",
)
@change_options
def trained(
    person_id: str,
    on: str | None,
    dry_run: bool,
    branch: str | None,
    inventory: str | None,
    policies: str | None,
) -> None:
    """Record that person ID took the social media policy training (`trained_on`).

    \b
    Examples:
      govern people trained mvolunteer --on 2026-11-28
      govern people trained fr-santos --branch training/fr-santos
    """
    from govern.changes import set_trained

    day = parse_date("--on", on) or parse_today(None)
    run_change(
        inventory,
        policies,
        dry_run,
        branch,
        lambda path, policy: set_trained(path, policy, person_id, day),
    )


@people.command("add")
@click.argument("person_id", metavar="ID")
@click.option("--name", required=True, help="Full name.")
@click.option("--email", required=True, help="Work email address.")
@click.option("--level", required=True, help="Personnel level, e.g. A, B or C.")
@click.option("--trained-on", metavar="YYYY-MM-DD", default=None, help="Last training day.")
@change_options
def add(
    person_id: str,
    name: str,
    email: str,
    level: str,
    trained_on: str | None,
    dry_run: bool,
    branch: str | None,
    inventory: str | None,
    policies: str | None,
) -> None:
    """Add person ID to inventory.yaml, validated as `govern validate` would (comments kept,
    the diff printed). Then give them access with `govern grant`.

    \b
    Examples:
      govern people add mvolunteer --name "Maria Volunteer" --email m@stmary.example --level C
      govern people add fr-santos --name "Fr. Santos" --email santos@diocese.example \\
          --level A --trained-on 2026-09-01 --branch people/fr-santos
    """
    from govern.changes import add_person

    day = parse_date("--trained-on", trained_on)
    run_change(
        inventory,
        policies,
        dry_run,
        branch,
        lambda path, policy: add_person(
            path, policy, person_id, name=name, email=email, level=level, trained_on=day
        ),
    )


@people.command("sync")
@click.argument("source", metavar="SOURCE")
@click.option(
    "--column",
    "columns",
    metavar='KEY="HEADER"',
    multiple=True,
    help="csv: the roster's header for email, status or left_on (repeatable).",
)
@click.option(
    "--missing-means-departed",
    is_flag=True,
    help="The directory is complete: an active person it does not list has left.",
)
@click.option("--dry-run", is_flag=True, help="Show the changes as a diff; write nothing.")
@click.option("--yes", "-y", is_flag=True, help="Write without asking.")
@click.option(
    "--revoke",
    "run_revokes",
    is_flag=True,
    help="Also run `govern revoke` for each departed person (after the write).",
)
@click.option(
    "--subject",
    metavar="EMAIL",
    default=None,
    envvar="GOVERN_GOOGLE_DIRECTORY_SUBJECT",
    show_envvar=True,
    help="google-workspace with a service account: the admin it acts for.",
)
@click.option(
    "--today",
    metavar="YYYY-MM-DD",
    default=None,
    envvar="GOVERN_TODAY",
    help="The date recorded when the directory gives none  [default: today]",
)
@store_option
@log_option
@format_option
@inventory_option
@policies_option
def sync(
    source: str,
    columns: tuple[str, ...],
    missing_means_departed: bool,
    dry_run: bool,
    yes: bool,
    run_revokes: bool,
    subject: str | None,
    today: str | None,
    store_spec: str | None,
    log_file: str | None,
    fmt: str,
    inventory: str | None,
    policies: str | None,
) -> None:
    """Mark the people who left, as the directory SOURCE says.

    SOURCE is csv:PATH (an HR export: columns email, status, left_on), google-workspace
    (Admin SDK Directory API) or entra (Microsoft Graph). People no longer active get
    `status: departed` and `left_on` in the inventory, written in place with every comment
    kept, after confirmation; each one's `govern revoke` plan is listed. People missing
    from the directory and new people in it are listed, never changed.

    Exit: 0 no change; 1 changes found (written with --yes, otherwise proposed);
    2 bad input; 3 directory unreachable.

    \b
    Examples:
      govern people sync csv:roster.csv --dry-run
      govern people sync csv:hr.csv --column status="Employment Status" --column email=Mail
      govern people sync google-workspace --subject admin@diocese.org --yes
      govern people sync entra --missing-means-departed --yes --revoke
    """
    from govern.credentials import store_opener
    from govern.directory import open_directory
    from govern.directory.csvsource import parse_columns
    from govern.directory.sync import propose

    env = os.environ
    if dry_run and (yes or run_revokes):
        raise UsageError("--dry-run writes nothing: drop --yes/--revoke, or --dry-run")
    day = parse_today(today)
    inventory_path = Path(inventory or DEFAULT_INVENTORY)
    loaded, policy = load(inventory, policies)
    directory = open_directory(
        source,
        env=env,
        today=day,
        columns=parse_columns(columns),
        subject=subject,
        open_store=store_opener(
            store_spec, inventory_dir=inventory_path.absolute().parent, env=env
        ),
    )
    levels, _ = manager_rule(policy)
    proposal = propose(
        inventory_path,
        loaded.inventory,
        policy.catalog,
        directory.people(),
        source=directory.name,
        today=day,
        missing_means_departed=missing_means_departed,
        manager_levels=levels,
    )
    result, plans, edit = proposal.result, list(proposal.plans), proposal.edit
    report: dict[str, Any] = proposal.to_json()
    if fmt == "text":
        _show(result, plans, edit.diff)
    if not result.changed:
        if fmt == "json":
            click.echo(json.dumps({**report, "written": False}, indent=2))
        return
    written = False
    if not dry_run:
        if yes or (sys.stdin.isatty() and _confirm(result, run_revokes)):
            written = edit.save()
        elif fmt == "text":
            click.echo("\nProposed only: nothing was written (pass --yes to write).")
    if written and fmt == "text":
        click.echo(f"\nWrote {inventory_path}: {len(result.departures)} marked departed.")
    revoked: list[dict[str, Any]] = []
    if written and run_revokes:
        revoked = _revoke_all(
            inventory_path, policy.catalog, levels, result, env, store_spec, log_file, fmt
        )
    if fmt == "json":
        click.echo(json.dumps({**report, "written": written, "revoked": revoked}, indent=2))
    raise SystemExit(ExitCode.FINDINGS)


def _confirm(result: SyncResult, run_revokes: bool) -> bool:
    what = f"Mark {len(result.departures)} departed in the inventory"
    return click.confirm(what + (" and revoke them?" if run_revokes else "?"), err=True)


def _show(result: SyncResult, plans: list[RevokePlan], diff: str) -> None:
    count = len(result.departures)
    click.echo(
        f"{result.source}: {count} departure{'s' if count != 1 else ''}, "
        f"{len(result.missing)} missing, {len(result.new)} new."
    )
    for departure, plan in zip(result.departures, plans, strict=True):
        click.echo(
            f"\n- {departure.person} <{departure.email}> left on {departure.left_on}"
            f" ({departure.why})"
        )
        for line in _plan_lines(plan):
            click.echo(f"    {line}")
    if result.missing:
        click.echo("\nNot in the directory (not changed; --missing-means-departed marks them):")
        for person in result.missing:
            click.echo(f"  ? {person}")
    if result.returned:
        click.echo("\nDeparted in the inventory but active in the directory (not changed):")
        for person in result.returned:
            click.echo(f"  ! {person}")
    if result.new:
        click.echo("\nIn the directory, not in the inventory (not added):")
        for email in result.new[:NEW_SHOWN]:
            click.echo(f"  + {email}")
        if len(result.new) > NEW_SHOWN:
            click.echo(f"  ... and {len(result.new) - NEW_SHOWN} more (--format json lists all)")
    if diff:
        click.echo("\n" + diff, nl=not diff.endswith("\n"))


def _plan_lines(plan: RevokePlan) -> list[str]:
    """A departed person's revoke plan, summarized: what `govern revoke` would change."""
    command = f"govern revoke {plan.person}"
    if not (plan.grants or plan.heads or plan.it or plan.credentials):
        return [f"holds nothing: `{command}` only records it"]
    lines = []
    if plan.grants:
        lines.append("remove: " + ", ".join(f"{g.role} on {g.account}" for g in plan.grants))
    for entity in plan.heads:
        lines.append(f"head of {entity}: needs a successor")
    for entity in plan.it:
        lines.append(f"IT of {entity}: removed")
    if plan.credentials:
        lines.append("rotate: " + ", ".join(ref for _, ref, _ in plan.credentials))
    if plan.blocked:
        lines.append("blocked: " + "; ".join(plan.blocked))
        command += " --successor PERSON"
    lines.append(f"run: `{command}`")
    return lines


def _revoke_all(
    inventory: Path,
    catalog: Catalog,
    levels: tuple[str, ...],
    result: SyncResult,
    env: Mapping[str, str],
    store_spec: str | None,
    log_file: str | None,
    fmt: str,
) -> list[dict[str, Any]]:
    """`govern revoke` for each departed person (govern.offboard.departed), shown as each
    one ends; the JSON of every result."""
    from govern.cli._common import log_path, store_token_lookup
    from govern.credentials import actor, store_opener
    from govern.offboard import VaultAccess
    from govern.offboard.departed import revoke_departed
    from govern.offboard.platformsteps import Platforms

    lookup = store_token_lookup(store_spec, str(inventory), env)
    say = (lambda text: click.echo(text, err=True)) if fmt == "json" else click.echo
    outcomes: list[dict[str, Any]] = []
    for done in revoke_departed(
        inventory,
        catalog,
        [(d.person, d.left_on) for d in result.departures],
        manager_levels=levels,
        actor=actor(env),
        store=store_opener(store_spec, inventory_dir=inventory.absolute().parent, env=env),
        vault=VaultAccess.choose(None, env),
        log_path=log_path(log_file, str(inventory)),
        platforms=lambda current: Platforms(current, catalog, env=env, store=lookup),
        log_key=auditlog.key_from_env(env),
    ):
        person = done.person
        if done.why == JOURNAL_PENDING:
            say(f"revoke {person}: a revoke is under way; finish it with `govern revoke {person}`")
        elif isinstance(done.why, tuple):
            say(
                f"revoke {person}: skipped ({'; '.join(done.why)}); "
                f"run `govern revoke {person} --successor PERSON`"
            )
        elif done.revoked and done.outcome is not None:
            record = done.outcome.record
            say(
                f"revoke {person}: {len(done.outcome.plan.grants)} grants removed, "
                f"{done.rotated} passwords rotated, log record {record['seq'] if record else '?'}"
            )
            for n, item in enumerate(done.checklist, 1):
                say(f"  {n}. {item.account}: {item.action}")
        outcomes.append(done.to_json())
    return outcomes
