"""Drift: declared (the inventory) vs observed (snapshots of platform admin pages, Vault).

    observation = load_snapshots(paths, loaded.inventory, catalog)    # sources.snapshots
    report = drift_report(loaded, catalog, today=day, drifts=[...])   # a `Report`

Every difference is a `Finding` with a `drift-*` rule id (`govern.drift.rules`), so drift
renders in every audit format and folds into `govern audit --drift` (`merge`). A finding
about a declared grant points at the inventory; one about a snapshot row points at the row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from govern.drift.compare import Drift, compare_snapshots
from govern.drift.rules import RULES
from govern.drift.sources import Observation
from govern.drift.sources.snapshots import DEFAULT_DIR, load_snapshots
from govern.findings import Finding, Report, Severity
from govern.inventory.load import LoadedInventory
from govern.platforms import Catalog


def stamp(loaded: LoadedInventory, drifts: Iterable[Drift]) -> list[Finding]:
    """Findings from (rule id, violation) pairs, sorted like the audit's."""
    findings = []
    for rule_id, violation in drifts:
        findings.append(
            Finding(
                rule=rule_id,
                severity=Severity(violation.severity or RULES[rule_id].severity),
                message=violation.message,
                location=violation.location or loaded.locate(violation.pointer),
                account=violation.account,
                person=violation.person,
                entity=violation.entity,
            )
        )
    findings.sort(key=Finding.sort_key)
    return findings


def snapshot_drift(
    loaded: LoadedInventory, catalog: Catalog, observation: Observation, *, today: dt.date
) -> list[Drift]:
    return list(compare_snapshots(loaded.inventory, catalog, observation, today=today))


def drift_report(loaded: LoadedInventory, drifts: Iterable[Drift]) -> Report:
    return Report(
        inventory=loaded.path,
        findings=tuple(stamp(loaded, drifts)),
        rules=tuple(RULES.values()),
    )


def merge(audit: Report, drift: Report) -> Report:
    """The audit report with drift findings folded in (`govern audit --drift`)."""
    findings = sorted((*audit.findings, *drift.findings), key=Finding.sort_key)
    known = {rule.id for rule in audit.rules}
    rules = (*audit.rules, *(r for r in drift.rules if r.id not in known))
    return Report(inventory=audit.inventory, findings=tuple(findings), rules=rules)


def default_snapshots() -> list[str]:
    """`./snapshots` when it exists: no snapshots means nothing observed, not drift."""
    return [DEFAULT_DIR] if Path(DEFAULT_DIR).is_dir() else []


def _quiet(_message: str) -> None:
    pass


def collect(
    loaded: LoadedInventory,
    catalog: Catalog,
    *,
    today: dt.date,
    snapshots: Sequence[str] | None = None,
    vault: bool | None = None,
    env: Mapping[str, str],
    progress: Callable[[str], None] = _quiet,
) -> Report:
    """Drift from every source asked for: snapshot files (`snapshots`; None: the default
    directory) and Vault (`vault`; None: when VAULT_ADDR is set). Raises `InputError` for bad
    snapshot files (exit 2) and `BackendUnavailable` when Vault cannot be reached (exit 3)."""
    paths = list(snapshots) if snapshots is not None else default_snapshots()
    drifts: list[Drift] = []
    if paths:
        progress(f"reading snapshots from {', '.join(paths)}")
        observation = load_snapshots(paths, loaded.inventory, catalog)
        progress(
            f"{len(observation.files)} snapshot files cover {len(observation.accounts)} accounts"
        )
        drifts += snapshot_drift(loaded, catalog, observation, today=today)
    if vault if vault is not None else bool(env.get("VAULT_ADDR")):
        from govern.drift.sources.vault import vault_drift

        progress(f"reading Vault at {env.get('VAULT_ADDR', '(VAULT_ADDR not set)')}")
        drifts += vault_drift(loaded, catalog, env=env)
    return drift_report(loaded, drifts)


__all__ = [
    "RULES",
    "Drift",
    "collect",
    "default_snapshots",
    "drift_report",
    "merge",
    "snapshot_drift",
    "stamp",
]
