"""`govern drift`: declared vs observed (snapshot files, Vault), in every audit format."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from govern.cli._common import (
    finish_report,
    inventory_option,
    load,
    parse_today,
    policies_option,
    report_options,
    snapshots_option,
    store_option,
    store_token_lookup,
    today_option,
)
from govern.connectors import DEFAULT_CONCURRENCY
from govern.errors import ExitCode, UsageError
from govern.findings import Report

F = TypeVar("F", bound=Callable[..., Any])


def show_progress(quiet: bool) -> bool:
    """Progress goes to standard error, only on a terminal, never in CI (`CI` set, as every
    CI service sets it) nor with --quiet; the report on standard output never has any."""
    in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return not quiet and not in_ci and sys.stderr.isatty()


def progress(message: str) -> None:
    click.echo(f"govern drift: {message}", err=True)


def _silent(_message: str) -> None:
    pass


class ProgressBars:
    """`Tally` as rich progress bars on standard error: one bar per platform with its count
    of accounts read (`GitHub  ━━━━━━━━━━╸━━━━  812/2000`)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskID,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bars = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=sys.stderr),
        )
        self._tasks: dict[str, TaskID] = {}

    def start(self, totals: Mapping[str, int]) -> None:
        for platform, total in sorted(totals.items()):
            self._tasks[platform] = self._bars.add_task(platform, total=total)
        self._bars.start()

    def advance(self, platform: str) -> None:
        self._bars.advance(self._tasks[platform])

    def stop(self) -> None:
        self._bars.stop()


def _explain(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """`govern drift --explain RULE`: an alias of `govern explain RULE`."""
    if value is None or ctx.resilient_parsing:
        return
    from govern.cli.audit import explain_rule

    explain_rule(value, ctx.params.get("policies"))
    ctx.exit(ExitCode.OK)


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
@click.option(
    "--live",
    is_flag=True,
    help="Read who holds each account from the platforms' admin APIs (GitHub, Meta, Google "
    "Business Profile, LinkedIn, TikTok); every account ends clean, drift or unverifiable.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Platform API requests in flight at once, per platform (--live): the platforms "
    "are read in parallel, each within its own rate limits.",
)
@click.option(
    "--shard",
    metavar="K/N",
    default=None,
    help="Only the K-th of N stable slices of the accounts (a CI matrix job each); join "
    "their JSON reports with --merge.",
)
@click.option(
    "--merge",
    "merge",
    is_flag=True,
    help="Join the JSON drift reports given as arguments (of --shard jobs) into one report "
    "in --format; nothing is read from the platforms.",
)
@click.argument(
    "merge_files", metavar="[REPORT.json ...]", nargs=-1, type=click.Path(dir_okay=False)
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress on standard error (there is none anyway when it is not a terminal, "
    "or in CI: the CI environment variable is set).",
)
@store_option
@report_options(fail_on_default="warning", what="drift findings")
@click.option(
    "--explain",
    metavar="RULE",
    callback=_explain,
    expose_value=False,
    is_eager=True,
    help="Explain one rule (e.g. drift-unexpected-holder) and exit; as `govern explain`.",
)
@today_option
def drift(
    inventory: str | None,
    policies: str | None,
    snapshots: tuple[str, ...],
    vault: bool | None,
    live: bool,
    concurrency: int,
    shard: str | None,
    merge: bool,
    merge_files: tuple[str, ...],
    quiet: bool,
    store_spec: str | None,
    fmt: str,
    output: str | None,
    fail_on: str,
    today: str | None,
) -> None:
    """Compare what the inventory declares with what is observed: who holds which role
    on each platform (snapshot files exported from admin pages) and, in Vault, govern's
    groups, policies, entities and the credentials themselves.

    Without --live, accounts that no snapshot covers are not observed, which is not drift.
    With --live, govern reads each account whose platform has a connector through its API
    (tokens from GOVERN_GITHUB_TOKEN, GOVERN_META_TOKEN, GOVERN_GOOGLE_TOKEN,
    GOVERN_LINKEDIN_TOKEN, GOVERN_TIKTOK_TOKEN, or the store's connector-<platform>; see
    docs/connectors.md) and every
    account ends in one state: clean, drift or unverifiable (drift-unverifiable says why);
    the report ends with a coverage line. On a terminal, a progress bar per platform counts
    the accounts read (on standard error; none in CI or with --quiet).

    Exits 1 when drift is found, 0 when none, 2 on bad input (path:line:column), 3 when
    Vault or a platform cannot be reached or refuses the token (after writing the whole
    report: every other platform is still compared).

    \b
    Examples:
      govern drift                                   # ./snapshots, Vault if VAULT_ADDR is set
      GOVERN_GITHUB_TOKEN=... govern drift --live    # read the platforms' admin APIs
      govern drift --live --format json -o drift.json --concurrency 4
      govern drift --live --quiet -f json -o drift.json   # no progress bars on the terminal
      govern drift --live --shard 2/4 -f json -o drift-2.json   # one job of a CI matrix
      govern drift --merge drift-*.json --format markdown       # the matrix's report
      govern drift -s exports/linkedin.csv -s exports/youtube.yaml --no-vault
      govern drift --format markdown >> "$GITHUB_STEP_SUMMARY"
      govern drift --format json --output drift.json
      govern drift --explain drift-unexpected-holder
    """
    from govern.drift import Shard, collect

    if merge_files and not merge:
        raise UsageError(
            "unexpected arguments: " + " ".join(merge_files),
            hint="to join JSON reports, use --merge REPORT.json ...",
        )
    if merge:
        if not merge_files:
            raise UsageError(
                "--merge needs the JSON reports to join", hint="e.g. --merge drift-*.json"
            )
        report = merged(merge_files)
        failures = report.coverage.failures if report.coverage is not None else ()
        finish(report, fmt, output, fail_on, failures)
        return
    day = parse_today(today)
    loaded, policy = load(inventory, policies)
    shown = show_progress(quiet)
    report = collect(
        loaded,
        policy.catalog,
        today=day,
        snapshots=list(snapshots) or None,
        vault=vault,
        env=os.environ,
        progress=progress if shown else _silent,
        live=live,
        store=store_token_lookup(store_spec, loaded.path, os.environ) if live else None,
        concurrency=concurrency,
        shard=Shard.parse(shard) if shard else None,
        tally=ProgressBars() if shown and live else None,
    )
    failures = report.coverage.failures if report.coverage is not None else ()
    finish(report, fmt, output, fail_on, failures)


def finish(
    report: Report, fmt: str, output: str | None, fail_on: str, failures: Sequence[str]
) -> None:
    """Write the whole report, then exit 3 naming the platforms that failed (else 1 or 0)."""
    try:
        finish_report(report, fmt, output, fail_on)
    except SystemExit:
        if not failures:
            raise
    if failures:
        for failure in failures:
            click.echo(f"error: {failure}", err=True)
        raise SystemExit(ExitCode.UNAVAILABLE)


def merged(paths: Sequence[str]) -> Report:
    import json

    from govern.drift import merge_reports
    from govern.errors import InputError, Problem

    documents = []
    problems = []
    for path in paths:
        try:
            documents.append((path, json.loads(Path(path).read_text(encoding="utf-8"))))
        except OSError as exc:
            problems.append(Problem(path, 1, 1, f"cannot read: {exc.strerror}"))
        except (ValueError, UnicodeDecodeError) as exc:
            line, column = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
            problems.append(Problem(path, line, column, "not JSON", "give --format json reports"))
    if problems:
        raise InputError(problems)
    return merge_reports(documents)
