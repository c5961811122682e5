"""Options and loading shared by commands."""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from govern.errors import EXIT_FINDINGS, UsageError
from govern.findings import Report, Severity
from govern.fsutil import atomic_write_text
from govern.inventory.load import LoadedInventory, load_inventory
from govern.policy import Policy, load_policy

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_INVENTORY = "inventory.yaml"
DEFAULT_POLICIES = "policies"


def inventory_option(func: F) -> F:
    return click.option(
        "--inventory",
        "-i",
        "inventory",
        metavar="PATH",
        default=None,
        envvar="GOVERN_INVENTORY",
        show_envvar=True,
        help=f"Inventory file; its directory holds the default credentials.enc  "
        f"[default: ./{DEFAULT_INVENTORY}]",
    )(func)


def store_option(func: F) -> F:
    return click.option(
        "--store",
        "store_spec",
        metavar="SPEC",
        default=None,
        help="Credential store: file:PATH, vault or vault:MOUNT  [default: $GOVERN_STORE, "
        "else vault when VAULT_ADDR is set, else file:credentials.enc beside the inventory]",
    )(func)


def log_option(what: str) -> Callable[[F], F]:
    """--log PATH: the audit log (`what` says what writes to it)."""
    from govern.auditlog import DEFAULT_NAME

    return click.option(
        "--log",
        "log_file",
        metavar="PATH",
        default=None,
        help=f"Audit log{what}  [default: {DEFAULT_NAME} beside the inventory]",
    )


def format_option(func: F) -> F:
    """--format text|json, for commands whose output is not a findings report."""
    return click.option(
        "--format",
        "-f",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
    )(func)


def policies_option(func: F) -> F:
    return click.option(
        "--policies",
        "-p",
        "policies",
        metavar="DIR",
        default=None,
        envvar="GOVERN_POLICIES",
        show_envvar=True,
        help=f"Policy pack directory  [default: ./{DEFAULT_POLICIES} if it exists]",
    )(func)


def today_option(func: F) -> F:
    return click.option(
        "--today",
        metavar="YYYY-MM-DD",
        default=None,
        envvar="GOVERN_TODAY",
        help="Evaluate dates as of this day (reproducible reports).",
    )(func)


def parse_today(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today: '{value}' is not a date", hint="use YYYY-MM-DD") from None


def load_policy_dir(policies: str | None) -> Policy:
    """The policy pack named by --policies, or ./policies when it exists, or the defaults."""
    return load_policy(Path(policies or DEFAULT_POLICIES), required=policies is not None)


def load(inventory: str | None, policies: str | None) -> tuple[LoadedInventory, Policy]:
    """Load the policy pack (it may extend the platform catalog), then the inventory."""
    policy = load_policy_dir(policies)
    loaded = load_inventory(Path(inventory or DEFAULT_INVENTORY), policy.catalog)
    # The inventory lives until the command ends: keep the cyclic collector from rescanning
    # its hundreds of thousands of objects on every full collection (a third of audit time
    # on a 10,000-account inventory). A one-shot command can afford it; a library caller
    # decides for itself.
    gc.freeze()
    return loaded, policy


def emit(text: str, output: str | None) -> None:
    """Write a report to `output` atomically, or to standard output."""
    if output is None or output == "-":
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        atomic_write_text(Path(output), text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None


def stdout_is_tty() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def report_options(*, fail_on_default: str, what: str) -> Callable[[F], F]:
    """--format, --output and --fail-on, the same for every command that prints a report."""
    from govern.formats import OutputFormat

    def decorate(func: F) -> F:
        func = click.option(
            "--fail-on",
            type=click.Choice(["error", "warning", "never"]),
            default=fail_on_default,
            show_default=True,
            help=f"Exit 1 when unwaived {what} at or above this level exist.",
        )(func)
        func = click.option(
            "--output",
            "-o",
            metavar="FILE",
            default=None,
            help="Write the report to FILE (atomically) instead of standard output.",
        )(func)
        return click.option(
            "--format",
            "-f",
            "fmt",
            type=click.Choice([f.value for f in OutputFormat]),
            default="text",
            show_default=True,
            help="Report format.",
        )(func)

    return decorate


def finish_report(report: Report, fmt: str, output: str | None, fail_on: str) -> None:
    """Render and write `report`; exit 1 when it has findings at or above --fail-on."""
    from govern.formats import OutputFormat, render

    color = output in (None, "-") and fmt == "text" and stdout_is_tty()
    emit(render(report, OutputFormat(fmt), color=color), output)
    threshold = None if fail_on == "never" else Severity(fail_on)
    if report.failing(threshold):
        raise SystemExit(EXIT_FINDINGS)
