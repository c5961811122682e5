"""`govern revoke PERSON` and `govern log verify|show`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from govern import auditlog
from govern.cli._common import (
    DEFAULT_INVENTORY,
    inventory_option,
    load,
    log_option,
    log_path,
    parse_today,
    policies_option,
    store_option,
)
from govern.errors import GovernError, UsageError
from govern.inventory.source import suggest
from govern.offboard import RevokePlan, checklist, plan_revoke, run_revoke
from govern.offboard.journal import Journal


@click.command()
@click.argument("person")
@click.option(
    "--successor",
    metavar="PERSON",
    default=None,
    help="Who takes over PERSON's head/IT positions and administrative roles.",
)
@click.option("--dry-run", is_flag=True, help="Print the plan and stop.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--left-on",
    metavar="YYYY-MM-DD",
    default=None,
    help="Departure date recorded in the inventory  [default: today]",
)
@click.option(
    "--branch",
    metavar="NAME",
    default=None,
    help="Create this git branch and commit the inventory change on it.",
)
@store_option
@click.option(
    "--vault/--no-vault",
    "use_vault",
    default=None,
    help="Disable the person in Vault  [default: when VAULT_ADDR is set]",
)
@log_option
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@inventory_option
@policies_option
def revoke(
    person: str,
    successor: str | None,
    dry_run: bool,
    yes: bool,
    left_on: str | None,
    branch: str | None,
    store_spec: str | None,
    use_vault: bool | None,
    log_file: str | None,
    fmt: str,
    inventory: str | None,
    policies: str | None,
) -> None:
    """Remove PERSON everywhere: Vault, shared passwords, the inventory; log it.

    Prints the plan first. Refuses when an account would be left without its entity head
    holding admin, or without any admin, unless --successor names who takes over. Every step
    is journaled: after a crash or an unreachable Vault, run the same command again to finish.

    \b
    Examples:
      govern revoke tmurphy --dry-run
      govern revoke fr-mendez --successor fr-okafor --yes
      govern revoke jdoe --yes --branch offboard/jdoe --format json   # for a ticket
    """
    env = os.environ
    inventory_path = Path(inventory or DEFAULT_INVENTORY)
    journal = Journal.load(Journal.path_for(inventory_path, person))
    loaded, policy = load(inventory, policies)
    inv = loaded.inventory
    if inv.person(person) is None:
        raise UsageError(
            f"no person '{person}' in {loaded.path}", hint=suggest(person, inv.person_index)
        )
    if journal is not None:
        plan = RevokePlan.from_json(journal.data["plan"])
        _say(
            fmt,
            f"Resuming the revoke of {person} started {journal.data['started_at']} "
            f"(journal {journal.path}).",
        )
    else:
        levels = tuple(getattr(policy.params["manager-level"], "levels", ("C",)))
        plan = plan_revoke(inv, policy.catalog, person, successor=successor, manager_levels=levels)
        if plan.nothing_to_do:
            _emit(
                fmt,
                {"person": person, "nothing_to_do": True},
                f"{person} has already departed and holds nothing: nothing left to do.",
            )
            return
        _show_plan(plan, fmt)
        if plan.blocked:
            raise UsageError(
                "refusing to revoke: " + "; ".join(plan.blocked),
                hint="accounts: " + ", ".join(plan.at_risk) if plan.at_risk else None,
            )
    if dry_run:
        return
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                "refusing to revoke without confirmation: no terminal to ask", hint="pass --yes"
            )
        click.confirm(f"Revoke {person} as planned?", abort=True, err=True)
    if branch:
        _git_branch(inventory_path, branch)
    vault_on = bool(env.get("VAULT_ADDR")) if use_vault is None else use_vault
    if vault_on and not env.get("VAULT_ADDR"):
        raise UsageError("--vault needs VAULT_ADDR")

    def open_vault() -> Any:
        from govern.vault import connect

        return connect(env)

    def open_cred_store() -> Any:
        from govern.credentials import open_store

        return open_store(store_spec, inventory_dir=inventory_path.absolute().parent, env=env)

    day = parse_today(left_on)
    log_file_path = log_path(log_file, str(inventory_path))
    try:
        outcome = run_revoke(
            plan,
            inventory=inventory_path,
            catalog=policy.catalog,
            left_on=day,
            env=env,
            store=open_cred_store,
            vault=open_vault if vault_on else None,
            log_path=log_file_path,
            journal=journal,
            progress=(lambda m: click.echo(m, err=True))
            if sys.stderr.isatty()
            else (lambda m: None),
        )
    except GovernError as exc:
        resume = (
            f"progress is saved in {Journal.path_for(inventory_path, person)}; run the "
            "same command again to finish"
        )
        exc.hint = f"{exc.hint}\n{resume}" if exc.hint else resume
        raise
    if branch:
        _git_commit(inventory_path, log_file_path, person, outcome.plan)
    items = checklist(outcome.plan, policy.catalog, outcome.steps)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "person": person,
                    "plan": outcome.plan.to_json(),
                    "steps": outcome.steps,
                    "log": outcome.record,
                    "checklist": items,
                },
                indent=2,
                default=str,
            )
        )
        return
    rotated = [r for r in (outcome.steps.get("rotate") or {}).values() if r["rotated"]]
    click.echo(
        f"Revoked {person}: {len(outcome.plan.grants)} grants removed, "
        f"{len(rotated)} shared passwords rotated, inventory updated, "
        f"log record {outcome.record['seq'] if outcome.record else '?'}."
    )
    vault_result = outcome.steps.get("vault")
    if vault_result:
        click.echo(
            f"Vault: entity {vault_result['entity'] or '(none)'} disabled; left groups: "
            f"{', '.join(vault_result['groups_left']) or '(none)'}"
        )
    if items:
        click.echo("\nStill to do by hand on the platforms:")
        for n, item in enumerate(items, 1):
            where = f"  [{item['where']}]" if item["where"] else ""
            click.echo(f"  {n}. {item['account']}: {item['action']}{where}")


def _say(fmt: str, text: str) -> None:
    click.echo(text, err=fmt == "json")


def _emit(fmt: str, data: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(data, indent=2) if fmt == "json" else text)


def _show_plan(plan: RevokePlan, fmt: str) -> None:
    if fmt == "json":
        if plan.blocked:
            click.echo(json.dumps({"plan": plan.to_json()}, indent=2))
        return
    click.echo(
        f"Plan to revoke {plan.person}"
        + (f" (successor: {plan.successor})" if plan.successor else "")
        + ":"
    )
    for grant in plan.grants:
        click.echo(f"  - remove {grant.role} ({grant.label}) on {grant.account}")
    for entity in plan.heads:
        click.echo(f"  ~ head of {entity} -> {plan.successor or '(vacant)'}")
    for entity in plan.it:
        click.echo(
            f"  ~ IT of {entity}: removed"
            + (f", {plan.successor} takes the place" if plan.successor else "")
        )
    for account, ref, _ in plan.credentials:
        click.echo(f"  * rotate the shared password of {account} (store key {ref})")
    for gain in plan.successor_grants:
        click.echo(f"  + {plan.successor} gains {gain.role} ({gain.label}) on {gain.account}")
    for risk in plan.at_risk:
        click.echo(f"  ! {risk}")


def _git(inventory: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=inventory.absolute().parent,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise UsageError("--branch needs git on PATH") from None
    if done.returncode != 0:
        raise UsageError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def _git_branch(inventory: Path, branch: str) -> None:
    current = _git(inventory, "rev-parse", "--abbrev-ref", "HEAD")
    if current == branch:
        return
    existing = _git(inventory, "branch", "--list", branch)
    _git(inventory, "switch", branch) if existing else _git(inventory, "switch", "-c", branch)


def _git_commit(inventory: Path, log_path: Path, person: str, plan: RevokePlan) -> None:
    paths = [str(inventory.absolute())]
    if log_path.exists():
        paths.append(str(log_path.absolute()))
    _git(inventory, "add", "--", *paths)
    message = (
        f"Revoke {person}: remove {len(plan.grants)} grants, mark departed"
        + (f", successor {plan.successor}" if plan.successor else "")
        + "\n\nGenerated by `govern revoke`."
    )
    _git(inventory, "commit", "-m", message, "--", *paths)


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
@inventory_option
def log_verify(log_file: str | None, expect_head: str | None, inventory: str | None) -> None:
    """Check that no record was edited, removed or reordered.

    \b
    Example:
      govern log verify --expect-head 3f2a...   # the head printed by the last verify
    """
    result = auditlog.verify(log_path(log_file, inventory), expect_head=expect_head)
    click.echo(f"ok: {result.records} records, head {result.head}")


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
