"""Options and loading shared by commands."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from govern.errors import ExitCode, UsageError
from govern.findings import Report, Severity
from govern.fsutil import atomic_write_text
from govern.inventory.load import LoadedInventory, load_inventory
from govern.policy import Policy, load_policy

if TYPE_CHECKING:
    from govern.credentials import CredentialStore

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


def log_option(func: F) -> F:
    """--log: the hash-chained audit log that a command appends to or reads."""
    return click.option(
        "--log",
        "log_file",
        metavar="PATH",
        default=None,
        help="Audit log  [default: audit.log.jsonl beside the inventory]",
    )(func)


def log_path(log_file: str | None, inventory: str | None) -> Path:
    """The audit log named by --log, else audit.log.jsonl beside the inventory."""
    from govern.auditlog import DEFAULT_NAME

    if log_file:
        return Path(log_file)
    return Path(inventory or DEFAULT_INVENTORY).absolute().parent / DEFAULT_NAME


def audit_log(log_file: str | None, inventory_path: Path) -> Path:
    """`log_path` for a command that already resolved its inventory path."""
    return log_path(log_file, str(inventory_path))


def reviews_option(func: F) -> F:
    """--reviews: the folder of access-review campaigns."""
    return click.option(
        "--reviews",
        "reviews_dir",
        metavar="DIR",
        default=None,
        help="Folder of review campaigns  [default: reviews/ beside the inventory]",
    )(func)


def reviews_path(reviews_dir: str | None, inventory: str | None) -> Path:
    if reviews_dir:
        return Path(reviews_dir)
    return Path(inventory or DEFAULT_INVENTORY).absolute().parent / "reviews"


def store_option(func: F) -> F:
    return click.option(
        "--store",
        "store_spec",
        metavar="SPEC",
        default=None,
        help="Credential store: file:PATH, vault or vault:MOUNT  [default: $GOVERN_STORE, "
        "else vault when VAULT_ADDR is set, else file:credentials.enc beside the inventory]",
    )(func)


def store_token_lookup(
    store_spec: str | None, inventory_path: str, env: Mapping[str, str]
) -> Callable[[str], str | None]:
    """Reads a connector token (`connector-github`, ...) from the credential store, opened on
    first use without prompting; a store that is absent, locked or lacks the key gives None
    (the account is then reported unverifiable: no token)."""
    from govern.credentials import open_store
    from govern.errors import GovernError

    opened: list[CredentialStore] = []

    def lookup(ref: str) -> str | None:
        try:
            if not opened:
                opened.append(
                    open_store(
                        store_spec,
                        inventory_dir=Path(inventory_path).resolve().parent,
                        env=env,
                        prompt=None,
                    )
                )
            store = opened[0]
            if store.metadata(ref) is None:
                return None
            return store.get(ref).password
        except GovernError:
            return None

    return lookup


def snapshots_option(func: F) -> F:
    """--snapshots: observed-state files for `govern drift` and `govern audit --drift`."""
    return click.option(
        "--snapshots",
        "-s",
        "snapshots",
        metavar="DIR_OR_FILE",
        multiple=True,
        help="Snapshot files (CSV or YAML, see docs/snapshots.md) or directories of them; "
        "repeatable  [default: ./snapshots if it exists]",
    )(func)


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
    return parse_date("--today", value) or dt.date.today()


def parse_date(option: str, value: str | None) -> dt.date | None:
    """An option's YYYY-MM-DD value (None when not given); exit 2 when it is not a date."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option}: '{value}' is not a date", hint="use YYYY-MM-DD") from None


def load_policy_dir(policies: str | None) -> Policy:
    """The policy pack named by --policies, or ./policies when it exists, or the defaults."""
    return load_policy(Path(policies or DEFAULT_POLICIES), required=policies is not None)


def load(inventory: str | None, policies: str | None) -> tuple[LoadedInventory, Policy]:
    """Load the policy pack (it may extend the platform catalog), then the inventory."""
    policy = load_policy_dir(policies)
    # The inventory lives until the command ends: keep the cyclic collector from rescanning
    # its hundreds of thousands of objects on every full collection (a third of audit time
    # on a 10,000-account inventory).
    with kept_until_exit():
        loaded = load_inventory(Path(inventory or DEFAULT_INVENTORY), policy.catalog)
        _KEPT[:] = [_KEPT, loaded]
    return loaded, policy


@contextlib.contextmanager
def kept_until_exit() -> Iterator[None]:
    """Run the block with the cyclic collector paused, then put every object made so far
    out of its reach until the command ends (`gc.freeze`). Frozen before the collector is
    enabled again, else the first young collection scans every object the block made (after
    an audit of 10,000 accounts, 20-35 ms; with thousands of custom-rule findings, a later
    collection scans them again). Garbage cycles made so far are never collected: a one-shot
    command can afford it; a library caller decides for itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if enabled:
            gc.enable()


# The last inventory loaded, in a reference cycle that the freeze above puts out of the
# collector's reach: it is never freed, not when the command returns nor at interpreter
# exit, where the system takes the memory back at once. Freeing it object by object cost
# 0.1 s (a tenth of `govern validate`) on 10,000 accounts. The next load in the same
# process (tests) replaces it, so at most one is held.
_KEPT: list[Any] = []


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
        raise SystemExit(ExitCode.FINDINGS)
