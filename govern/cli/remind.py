"""`govern remind`: reminder emails to people and entity heads (logic in govern.remind)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from govern.cli._common import (
    inventory_option,
    load,
    log_option,
    log_path,
    parse_today,
    policies_option,
    reviews_option,
    reviews_path,
    store_option,
    today_option,
)
from govern.errors import UsageError


@click.command("remind")
@click.option(
    "--within",
    default="30d",
    show_default=True,
    metavar="DAYS",
    help="Remind of what falls due within this many days (30d or 30).",
)
@click.option(
    "--smtp",
    "server",
    metavar="HOST:PORT",
    default=None,
    envvar="GOVERN_SMTP",
    show_envvar=True,
    help="Send through this SMTP server (STARTTLS when offered; login from the store's "
    "`smtp` credential when it has one).",
)
@click.option(
    "--from",
    "sender",
    metavar="ADDR",
    default=None,
    envvar="GOVERN_MAIL_FROM",
    show_envvar=True,
    help="Sender address  [default: govern@ the organization's first domain]",
)
@click.option("--dry-run", is_flag=True, help="Print the messages; send and write nothing.")
@click.option(
    "--output",
    metavar="DIR",
    default=None,
    help="Write each message as DIR/PERSON.eml instead of sending.",
)
@click.option(
    "--offline", is_flag=True, help="Do not read the credential store (no password reminders)."
)
@click.option(
    "--confirm-days",
    type=click.IntRange(0, 3650),
    default=7,
    show_default=True,
    help="Remind heads of a password rotation not confirmed (`govern creds confirm`) after "
    "this many days.",
)
@log_option
@store_option
@reviews_option
@today_option
@inventory_option
@policies_option
def remind(
    within: str,
    server: str | None,
    sender: str | None,
    dry_run: bool,
    output: str | None,
    offline: bool,
    confirm_days: int,
    log_file: str | None,
    store_spec: str | None,
    reviews_dir: str | None,
    today: str | None,
    inventory: str | None,
    policies: str | None,
) -> None:
    """Email each person and each entity head what needs them, one message each.

    A person hears of their grants that end within DAYS, their policy training falling
    due and the findings about them; an entity head of the grants ending on the entity's
    accounts, the shared passwords due for rotation, the access reviews waiting for them
    and the entity's findings. Nobody gets a message without something to report.

    Exit: 0 done (or nothing to send); 2 bad input; 3 SMTP server or store unreachable.

    \b
    Examples:
      govern remind --dry-run                                  # who would hear what
      govern remind --output outbox/                           # .eml files to check
      govern remind --within 14d --smtp smtp.diocese.example:587 --from it@diocese.example
    """
    from govern import remind as core

    days = core.parse_within(within)
    if not (dry_run or output or server):
        raise UsageError(
            "say where the reminders go: --smtp HOST:PORT, --output DIR or --dry-run",
            hint="govern remind --dry-run shows them first",
        )
    day = parse_today(today)
    loaded, policy = load(inventory, policies)
    inv = loaded.inventory
    reminders = core.gather(
        loaded,
        policy,
        today=day,
        within=days,
        reviews=reviews_path(reviews_dir, inventory),
        log_path=log_path(log_file, inventory),
        store_spec=store_spec,
        env=os.environ,
        offline=offline,
        confirm_days=confirm_days,
    )
    if not reminders:
        click.echo(f"Nothing falls due within {days} days: no message.")
        return
    messages = core.compose(
        reminders,
        inv,
        sender=core.sender_for(inv, sender),
        within=days,
        when=dt.datetime.now(dt.UTC),
    )
    if dry_run:
        for _, msg in messages:
            click.echo(f"To: {msg['To']}\nSubject: {msg['Subject']}\n")
            click.echo(msg.get_content())
        click.echo(f"Dry run: {_count(len(messages))}, none sent.")
        return
    if output:
        paths = core.write_eml(messages, Path(output))
        click.echo(f"Wrote {_count(len(paths))} to {output}.")
        return
    assert server is not None
    login = core.smtp_login(store_spec, Path(loaded.path).absolute().parent, os.environ)
    sent = core.send([m for _, m in messages], server, login=login)
    click.echo(f"Sent {_count(sent)} through {server}.")


def _count(n: int) -> str:
    return f"{n} message{'s' if n != 1 else ''}"
