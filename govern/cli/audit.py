"""`govern validate`, `govern audit`, `govern rules`, `govern explain`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from govern.cli._common import (
    finish_report,
    inventory_option,
    kept_until_exit,
    load,
    load_policy_dir,
    parse_today,
    policies_option,
    report_options,
    snapshots_option,
    store_option,
    today_option,
)
from govern.errors import BackendUnavailable, UsageError

# Imports of the engine, the credential store and the connectors are in the functions that
# use them: `govern validate` (pre-commit) needs none of them, an `--offline` audit no store
# or connector (some 60 ms of a 10,000-account audit's start).


def custody_rules() -> tuple[str, ...]:
    """The rules that need the credential store's metadata."""
    from govern.rules import credential_after_departure, credential_age, credential_custody

    return (credential_custody.ID, credential_after_departure.ID, credential_age.ID)


@click.command()
@click.argument("inventory_arg", metavar="[INVENTORY]", required=False)
@inventory_option
@policies_option
def validate(inventory_arg: str | None, inventory: str | None, policies: str | None) -> None:
    """Check the inventory's schema and references only (fast; for pre-commit).

    \b
    Examples:
      govern validate
      govern validate path/to/inventory.yaml
    """
    loaded, _ = load(inventory_arg or inventory, policies)
    inv = loaded.inventory
    click.echo(
        f"{loaded.path}: valid ({len(inv.accounts)} accounts, {len(inv.entities)} entities, "
        f"{len(inv.people)} people)"
    )


@click.command()
@inventory_option
@policies_option
@report_options(fail_on_default="error", what="findings")
@click.option(
    "--offline", is_flag=True, help="Do not consult the credential store: check declarations only."
)
@store_option
@click.option(
    "--drift",
    "with_drift",
    is_flag=True,
    help="Fold drift findings into the report (`govern drift`): snapshot files, and Vault "
    "when VAULT_ADDR is set and not --offline.",
)
@snapshots_option
@click.option(
    "--entity",
    "entities",
    metavar="ENTITY",
    multiple=True,
    help="Only the findings of this entity: its accounts, itself, the people on it (repeatable).",
)
@click.option(
    "--person",
    metavar="PERSON",
    default=None,
    help="Only the findings about this person and on the accounts they hold.",
)
@today_option
def audit(
    inventory: str | None,
    policies: str | None,
    fmt: str,
    output: str | None,
    fail_on: str,
    offline: bool,
    store_spec: str | None,
    with_drift: bool,
    snapshots: tuple[str, ...],
    entities: tuple[str, ...],
    person: str | None,
    today: str | None,
) -> None:
    """Audit the inventory against the policy pack.

    With --entity (repeatable) the report holds only those entities' findings (a pastor's
    parish); with --person only what concerns that person. The exit code follows the
    findings shown.

    \b
    Examples:
      govern audit
      govern audit --format sarif --output govern.sarif   # GitHub code scanning
      govern audit --format markdown >> "$GITHUB_STEP_SUMMARY"
      govern audit --fail-on warning --format github      # annotations in PRs
      govern audit --offline                              # declarations only, no store
      govern audit --drift --snapshots exports/           # with declared-vs-observed drift
      govern audit --entity st-mary --format markdown     # one parish's report
      govern audit --person mvol                          # what concerns one person
    """
    if snapshots and not with_drift:
        raise UsageError("--snapshots needs --drift", hint="govern audit --drift --snapshots DIR")
    from govern.audit import audit as run_audit
    from govern.fixes import with_fixes
    from govern.scope import make_scope, narrow

    day = parse_today(today)
    loaded, policy = load(inventory, policies)
    scope = make_scope(loaded.inventory, entities, person)
    unreachable: BackendUnavailable | None = None
    custody, source = None, ""
    note: str | None = None
    if not offline:
        from govern.cli.creds import warn_skipped
        from govern.custody import read_custody, unauthenticated_note

        skipped: list[str] = []
        try:
            custody, source = read_custody(
                store_spec,
                inventory_dir=Path(loaded.path).parent,
                env=os.environ,
                skipped=skipped,
            )
        except BackendUnavailable as exc:  # report what the inventory shows, then exit 3
            unreachable = exc
        warn_skipped(skipped, source)
        note = None if unreachable else unauthenticated_note(source, env=os.environ)
    if note:
        click.echo(note, err=True)
    with kept_until_exit():  # the report lives until the command ends
        report = run_audit(loaded, policy, today=day, custody=custody, custody_source=source)
        report = with_fixes(narrow(report, loaded.inventory, scope), loaded.inventory)
    if unreachable is not None:
        finish_report(report, fmt, output, "never")
        not_checked = ", ".join(sorted(custody_rules()))
        click.echo(
            f"warning: not checked (the credential store could not be read): {not_checked}",
            err=True,
        )
        raise unreachable
    if with_drift:
        from govern.cli.drift import progress
        from govern.drift import collect, merge

        found = collect(
            loaded,
            policy.catalog,
            today=day,
            snapshots=list(snapshots) or None,
            vault=False if offline else None,
            env=os.environ,
            progress=progress,
        )
        report = narrow(merge(report, found), loaded.inventory, scope)
    finish_report(report, fmt, output, fail_on)


@click.command("rules")
@policies_option
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rules_command(policies: str | None, fmt: str) -> None:
    """List every rule (built-in, custom from the policy pack, and the kinds of drift) with its
    enabled state and severity.

    \b
    Examples:
      govern rules --policies policies/
      govern rules --format json
    """
    from govern.audit import all_rule_infos

    infos = list(all_rule_infos(load_policy_dir(policies)).values())
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": i.id,
                        "enabled": i.enabled,
                        "severity": i.severity.value,
                        "summary": i.summary,
                    }
                    for i in infos
                ],
                indent=2,
            )
        )
        return
    width = max(len(i.id) for i in infos)
    for info in infos:
        state = "on " if info.enabled else "off"
        click.echo(f"{info.id:<{width}}  {state}  {info.severity.value:<7}  {info.summary}")


def explain_rule(rule: str, policies: str | None) -> None:
    """Print what `govern explain RULE` prints (also `govern drift --explain RULE`)."""
    from govern.audit import all_rule_infos
    from govern.inventory.source import suggest

    policy = load_policy_dir(policies)
    infos = all_rule_infos(policy)
    info = infos.get(rule)
    if info is None:
        raise UsageError(
            f"unknown rule '{rule}'", hint=suggest(rule, infos) or "`govern rules` lists them"
        )
    click.echo(
        f"{rule}  (severity: {info.severity.value}, {'enabled' if info.enabled else 'disabled'})\n"
    )
    click.echo(info.explanation)
    custom = policy.custom.get(rule)
    if custom is not None:
        where = f"  ({custom.where})" if custom.where else ""
        click.echo(f"\nCustom rule for each {custom.kind}, a violation when:{where}")
        click.echo(f"  {custom.when.strip()}")
    params = policy.params[rule].model_dump(mode="json") if rule in policy.params else {}
    if custom is not None:
        params = dict(custom.params)
    if params:
        click.echo("\nParameters (current values):")
        for name, value in params.items():
            click.echo(f"  {name}: {json.dumps(value)}")


@click.command()
@click.argument("rule")
@policies_option
def explain(rule: str, policies: str | None) -> None:
    """Explain a rule (built-in, custom or drift): what it checks, why, a passing and a
    failing example, its parameters and their values.

    \b
    Examples:
      govern explain revocation-ability
      govern explain drift-unexpected-holder
    """
    explain_rule(rule, policies)
