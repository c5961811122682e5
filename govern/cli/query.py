"""`govern who` and `govern accounts`: questions about the declaration."""

from __future__ import annotations

import json
from typing import Any

import click

from govern.cli._common import inventory_option, load, policies_option
from govern.errors import UsageError
from govern.inventory.source import suggest
from govern.query import accounts_table, holdings
from govern.textsafe import printable


@click.command()
@click.argument("person")
@inventory_option
@policies_option
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def who(person: str, inventory: str | None, policies: str | None, fmt: str) -> None:
    """Everything PERSON holds: grants, head and IT positions, shared logins they can read.

    The first question when someone leaves.

    \b
    Examples:
      govern who jdoe
      govern who jdoe --format json
    """
    loaded, policy = load(inventory, policies)
    inv = loaded.inventory
    if inv.person(person) is None:
        raise UsageError(
            f"no person '{person}' in {loaded.path}", hint=suggest(person, inv.person_index)
        )
    result = holdings(inv, policy.catalog, person)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, default=str))
        return
    p = result["person"]
    click.echo(
        printable(f"{p['name']} ({p['id']}, {p['email']}), level {p['level']}, {p['status']}")
        + (f" since {p['left_on']}" if p["left_on"] else "")
    )
    if result["heads"]:
        click.echo("Head of: " + ", ".join(result["heads"]))
    if result["it"]:
        click.echo("IT for: " + ", ".join(result["it"]))
    if result["grants"]:
        click.echo(f"Grants ({len(result['grants'])}):")
        for g in result["grants"]:
            extra = f", expires {g['expires']}" if g["expires"] else ""
            click.echo(
                f"  {g['account']:<30} {g['platform']:<16} {g['role']} ({g['label']}){extra}"
            )
    if result["credentials"]:
        click.echo("Shared logins they can read: " + ", ".join(result["credentials"]))
    if not (result["heads"] or result["it"] or result["grants"]):
        click.echo("Holds nothing.")


@click.command()
@inventory_option
@policies_option
@click.option("--entity", "-e", default=None, help="Only accounts of this entity.")
@click.option("--platform", "-P", default=None, help="Only accounts on this platform.")
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def accounts(
    inventory: str | None, policies: str | None, entity: str | None, platform: str | None, fmt: str
) -> None:
    """List accounts with their entity, platform and administrators.

    \b
    Examples:
      govern accounts --entity st-mary
      govern accounts --platform x --format json
    """
    loaded, policy = load(inventory, policies)
    inv = loaded.inventory
    if entity is not None and inv.entity(entity) is None:
        raise UsageError(f"no entity '{entity}'", hint=suggest(entity, inv.entity_index))
    if platform is not None and policy.catalog.get(platform) is None:
        raise UsageError(
            f"unknown platform '{platform}'", hint=suggest(platform, policy.catalog.platforms)
        )
    rows: list[dict[str, Any]] = accounts_table(inv, policy.catalog, entity, platform)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No accounts match.")
        return
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in ("id", "entity", "platform")}
    click.echo(
        f"{'id':<{widths['id']}}  {'entity':<{widths['entity']}}  "
        f"{'platform':<{widths['platform']}}  admins"
    )
    for r in rows:
        click.echo(
            f"{r['id']:<{widths['id']}}  {r['entity']:<{widths['entity']}}  "
            f"{r['platform']:<{widths['platform']}}  {', '.join(r['admins']) or '-'}"
        )
    click.echo(f"{len(rows)} account{'s' if len(rows) != 1 else ''}")
