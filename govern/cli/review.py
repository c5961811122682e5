"""`govern review start|status|close`: access reviews (recertification) of who holds what."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from govern.cli._common import (
    DEFAULT_INVENTORY,
    inventory_option,
    load,
    log_option,
    log_path,
    parse_date,
    parse_today,
    policies_option,
    reviews_option,
    reviews_path,
    today_option,
)
from govern.errors import ExitCode

_FORMAT = click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


_date = parse_date


@click.group("review")
def review() -> None:
    """Access reviews: each entity's head confirms who holds its accounts.

    \b
    A campaign is a folder reviews/NAME/ with one file per entity, decided in pull requests
    and closed into the inventory (docs/reviews.md).

    \b
    Examples:
      govern review start --name 2026-annual --due 2026-12-31
      govern review status 2026-annual
      govern review close 2026-annual
    """


@review.command("start")
@inventory_option
@policies_option
@reviews_option
@today_option
@click.option(
    "--entity",
    "-e",
    "entities",
    multiple=True,
    help="Only this entity (repeatable)  [default: all]",
)
@click.option("--due", metavar="YYYY-MM-DD", default=None, help="Due date  [default: in 30 days]")
@click.option(
    "--name",
    "name",
    default=None,
    help="Campaign name, a folder under reviews/  [default: YEAR-annual]",
)
def start(
    inventory: str | None,
    policies: str | None,
    reviews_dir: str | None,
    today: str | None,
    entities: tuple[str, ...],
    due: str | None,
    name: str | None,
) -> None:
    """Write one review file per entity: every account, every holder, a decision to fill.

    Each file (reviews/NAME/ENTITY.yaml) lists the holders with their role (and the
    platform's own name for it), level, last training and grant expiry; the entity head is
    the reviewer and sets each `decision:` to keep, remove or {change: ROLE}.

    \b
    Examples:
      govern review start                               # every entity, NAME = YEAR-annual
      govern review start --entity st-mary --due 2026-12-31 --name 2026-annual
    """
    from govern.review import start as start_review

    loaded, policy = load(inventory, policies)
    day = parse_today(today)
    campaign = name or f"{day.year}-annual"
    written = start_review(
        loaded.inventory,
        policy.catalog,
        reviews_path(reviews_dir, inventory),
        name=campaign,
        today=day,
        due=_date("--due", due),
        entities=entities,
    )
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(
        f"Review '{campaign}': {len(written)} entit{'y' if len(written) == 1 else 'ies'}. "
        f"Commit the files, let each head decide them, then `govern review close {campaign}`."
    )


@review.command("status")
@click.argument("name", required=False)
@inventory_option
@reviews_option
@today_option
@_FORMAT
def status(
    name: str | None, inventory: str | None, reviews_dir: str | None, today: str | None, fmt: str
) -> None:
    """Progress of a review per entity: decided, pending or overdue; exit 1 when overdue.

    NAME defaults to the last campaign under reviews/ (by name).

    \b
    Examples:
      govern review status
      govern review status 2026-annual --format json
    """
    from govern.review import latest
    from govern.review import status as review_status

    folder = reviews_path(reviews_dir, inventory)
    result = review_status(folder, name or latest(folder), today=parse_today(today))
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        click.echo(f"Review '{result.name}':")
        width = max((len(e.entity) for e in result.entities), default=6)
        for e in result.entities:
            click.echo(
                f"  {e.entity:<{width}}  {e.state:<8} {e.decided} decided, {e.pending} pending, "
                f"due {e.due}, reviewer {e.reviewer}"
            )
        decided = sum(e.decided for e in result.entities)
        total = decided + sum(e.pending for e in result.entities)
        click.echo(f"{decided}/{total} decisions made.")
    if result.overdue:
        raise SystemExit(ExitCode.FINDINGS)


@review.command("close")
@click.argument("name")
@inventory_option
@policies_option
@reviews_option
@today_option
@log_option
@click.option(
    "--git-author",
    is_flag=True,
    help="Also require the last git commit of each file to be by the entity's head or IT "
    "(by email); for CI.",
)
@_FORMAT
def close(
    name: str,
    inventory: str | None,
    policies: str | None,
    reviews_dir: str | None,
    today: str | None,
    log_file: str | None,
    git_author: bool,
    fmt: str,
) -> None:
    """Apply a decided review to the inventory and record it in the audit log.

    Refuses (exit 2, path:line:column) a file with a missing decision or decided by someone
    other than the entity's head or IT. Removals become grant removals, changes new roles;
    every reviewed account gets `reviewed: {on, by}`; comments and order are kept. People
    left holding nothing are named for `govern revoke`.

    \b
    Examples:
      govern review close 2026-annual
      govern review close 2026-annual --git-author      # in CI, on the merged files
    """
    from govern.credentials import actor
    from govern.review import close as close_review

    loaded, policy = load(inventory, policies)
    inventory_path = Path(inventory or DEFAULT_INVENTORY)
    result = close_review(
        inventory_path,
        loaded.inventory,
        policy.catalog,
        reviews_path(reviews_dir, inventory),
        name,
        today=parse_today(today),
        actor=actor(os.environ),
        log_path=log_path(log_file, inventory),
        git_author=git_author,
    )
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    click.echo(
        f"Closed review '{name}': {len(result.accounts)} accounts reviewed, "
        f"{len(result.kept)} kept, {len(result.removed)} removed, {len(result.changed)} changed; "
        f"log record {result.record['seq'] if result.record else '?'}."
    )
    for account, person, role in result.removed:
        click.echo(f"  removed {person} ({role}) from {account}")
    for account, person, role in result.changed:
        click.echo(f"  {person} on {account} is now {role}")
    for person in result.holds_nothing:
        click.echo(f"{person} now holds nothing: offboard them with `govern revoke {person}`.")
