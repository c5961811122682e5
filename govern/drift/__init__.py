"""Drift: declared (the inventory) vs observed (snapshots of platform admin pages, Vault).

    observation = load_snapshots(paths, loaded.inventory, catalog)    # sources.snapshots
    report = drift_report(loaded, catalog, today=day, drifts=[...])   # a `Report`

Every difference is a `Finding` with a `drift-*` rule id (`govern.drift.rules`), so drift
renders in every audit format and folds into `govern audit --drift` (`merge`). A finding
about a declared grant points at the inventory; one about a snapshot row points at the row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.connectors import DEFAULT_CONCURRENCY, TokenLookup
from govern.drift import rules
from govern.drift.compare import Drift, compare
from govern.drift.rules import RULES
from govern.drift.sources import Observation
from govern.drift.sources.snapshots import DEFAULT_DIR, load_snapshots
from govern.errors import InputError, Problem, UsageError
from govern.findings import Coverage, Finding, Location, Report, Severity, State, Violation
from govern.findings import stamp as stamp_one
from govern.inventory.load import LoadedInventory
from govern.inventory.model import Inventory
from govern.platforms import Catalog

if TYPE_CHECKING:
    from govern.drift.sources.live import LiveObservation, Tally


def stamp(loaded: LoadedInventory, drifts: Iterable[Drift]) -> list[Finding]:
    """Findings from (rule id, violation) pairs, sorted like the audit's."""
    findings = [stamp_one(RULES[rule_id], found, loaded.locate) for rule_id, found in drifts]
    findings.sort(key=Finding.sort_key)
    return findings


def snapshot_drift(
    loaded: LoadedInventory, catalog: Catalog, observation: Observation, *, today: dt.date
) -> list[Drift]:
    return list(compare(loaded.inventory, catalog, observation, today=today))


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
    live: bool = False,
    store: TokenLookup | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    shard: Shard | None = None,
    tally: Tally | None = None,
) -> Report:
    """Drift from every source asked for: snapshot files (`snapshots`; None: the default
    directory), Vault (`vault`; None: when VAULT_ADDR is set) and, with `live`, the platforms'
    admin APIs (tokens from `env` or `store`; `tally` counts the accounts read per platform,
    for a progress display). Raises `InputError` for bad snapshot files
    (exit 2) and `BackendUnavailable` when Vault cannot be reached (exit 3).

    With `live`, every account ends in one state (`Report.coverage`); platforms that refused
    the token or could not be reached are listed in `coverage.failures` (the CLI exits 3
    after writing the whole report). With `shard`, only that shard's accounts are read and
    reported (findings about no account go to shard 1), so N jobs cover the organization
    once and `merge_reports` joins them."""
    paths = list(snapshots) if snapshots is not None else default_snapshots()
    drifts: list[Drift] = []
    observed_live = None
    if live:
        from govern.drift.sources.live import observe_live

        observed_live = observe_live(
            loaded,
            catalog,
            env=env,
            store=store,
            concurrency=concurrency,
            today=today,
            progress=progress,
            tally=tally,
            accounts=shard.indexes(loaded.inventory) if shard is not None else None,
        )
        drifts += observed_live.drifts
        drifts += _live_findings(loaded, observed_live)
    snapshot_covered: set[str] = set()
    if paths:
        progress(f"reading snapshots from {', '.join(paths)}")
        observation = load_snapshots(paths, loaded.inventory, catalog)
        progress(
            f"{len(observation.files)} snapshot files cover {len(observation.accounts)} accounts"
        )
        if observed_live is not None:
            # An account read live is compared once, from the platform; a snapshot fills in
            # the accounts the APIs could not read.
            for account_id in observed_live.observed:
                observation.accounts.pop(account_id, None)
        snapshot_covered = set(observation.accounts)
        drifts += snapshot_drift(loaded, catalog, observation, today=today)
    if vault if vault is not None else bool(env.get("VAULT_ADDR")):
        from govern.drift.sources.vault import vault_drift

        progress(f"reading Vault at {env.get('VAULT_ADDR', '(VAULT_ADDR not set)')}")
        drifts += vault_drift(loaded, catalog, env=env)
    if observed_live is None:
        return _sharded(drift_report(loaded, drifts), shard)
    drifts += _unobserved(loaded, catalog, observed_live, snapshot_covered)
    report = drift_report(loaded, drifts)
    report = replace(report, coverage=_coverage(loaded, report, observed_live, snapshot_covered))
    return _sharded(report, shard)


@dataclass(frozen=True)
class Shard:
    """Shard `k` of `n` (1-based): a stable split of the accounts by a hash of their id, so
    the same account lands in the same shard on every run and every machine."""

    k: int
    n: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        k, sep, n = text.partition("/")
        try:
            shard = cls(int(k), int(n))
        except ValueError:
            shard = cls(0, 0)
        if not sep or not 1 <= shard.k <= shard.n:
            raise UsageError(
                f"--shard: '{text}' is not K/N", hint="e.g. --shard 2/4 (K from 1 to N)"
            )
        return shard

    def holds(self, account_id: str | None) -> bool:
        if account_id is None:
            return self.k == 1
        digest = hashlib.sha256(account_id.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.n == self.k - 1

    def indexes(self, inventory: Inventory) -> list[int]:
        return [i for i, account in enumerate(inventory.accounts) if self.holds(account.id)]


def _sharded(report: Report, shard: Shard | None) -> Report:
    if shard is None:
        return report
    coverage = report.coverage
    if coverage is not None:
        coverage = replace(coverage, states=tuple(s for s in coverage.states if shard.holds(s[0])))
    return replace(
        report,
        findings=tuple(f for f in report.findings if shard.holds(f.account)),
        coverage=coverage,
    )


def merge_reports(documents: Sequence[tuple[str, Mapping[str, Any]]]) -> Report:
    """One report from the JSON reports of several shards (`govern drift --merge`): findings
    and coverage joined; a malformed document is an `InputError` naming its file."""
    problems: list[Problem] = []
    findings: list[Finding] = []
    states: list[tuple[str, State]] = []
    failures: list[str] = []
    inventory = ""
    has_coverage = False
    for path, document in documents:
        try:
            inventory = inventory or str(document["inventory"])
            for item in document["findings"]:
                location = item["location"]
                findings.append(
                    Finding(
                        rule=str(item["rule"]),
                        severity=Severity(item["severity"]),
                        message=str(item["message"]),
                        location=Location(
                            str(location["path"]), location.get("line"), location.get("column")
                        ),
                        account=item.get("account"),
                        person=item.get("person"),
                        entity=item.get("entity"),
                        waived=bool(item.get("waived", False)),
                    )
                )
            coverage = document.get("coverage")
            if coverage is not None:
                has_coverage = True
                states += [(str(a), State(s)) for a, s in coverage["states"].items()]
                failures += [str(f) for f in coverage.get("failures", [])]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(
                Problem(
                    path,
                    1,
                    1,
                    f"not a govern JSON report ({type(exc).__name__}: {exc})",
                    "merge the files written by `govern drift --format json`",
                )
            )
    if problems:
        raise InputError(problems)
    unique = list(dict(states).items())  # an account reported by two shards: the last wins
    findings.sort(key=Finding.sort_key)
    return Report(
        inventory=inventory,
        findings=tuple(dict.fromkeys(findings)),
        rules=tuple(RULES.values()),
        coverage=Coverage(tuple(unique), tuple(failures)) if has_coverage else None,
    )


def _live_findings(loaded: LoadedInventory, live: LiveObservation) -> Iterator[Drift]:
    inventory = loaded.inventory
    for account_id, pending in live.pending.items():
        index = inventory.account_index[account_id]
        account = inventory.accounts[index]
        for holder in pending:
            yield (
                rules.PENDING_INVITATION,
                Violation(
                    f"{holder.describe()} is invited as {', '.join(holder.roles) or 'a holder'} "
                    f"on {account_id} but has not accepted: not access yet",
                    ("accounts", index),
                    account=account_id,
                    entity=account.entity,
                ),
            )


def _unobserved(
    loaded: LoadedInventory,
    catalog: Catalog,
    live: LiveObservation,
    snapshot_covered: set[str],
) -> Iterator[Drift]:
    """One drift-unverifiable finding per account nothing could observe, saying why."""
    from govern.drift.sources.live import connected

    for index, account in enumerate(loaded.inventory.accounts):
        if account.id in live.observed or account.id in snapshot_covered:
            continue
        why = live.unverifiable.get(account.id)
        if why is None and not connected(account):
            platform = catalog.platforms[account.platform]
            why = (
                f"{platform.name} has no admin API govern can read and no snapshot covers it "
                "(export one: docs/snapshots.md)"
            )
        if why is None:  # pragma: no cover - every connected account is read or explained
            why = "not observed"
        yield (
            rules.UNVERIFIABLE,
            Violation(
                f"{account.id} could not be verified: {why}",
                ("accounts", index),
                account=account.id,
                entity=account.entity,
            ),
        )


def _coverage(
    loaded: LoadedInventory,
    report: Report,
    live: LiveObservation,
    snapshot_covered: set[str],
) -> Coverage:
    drifted = {
        f.account for f in report.findings if f.account is not None and f.rule != rules.UNVERIFIABLE
    }
    states: list[tuple[str, State]] = []
    for account in loaded.inventory.accounts:
        if account.id not in live.observed and account.id not in snapshot_covered:
            states.append((account.id, State.UNVERIFIABLE))
        elif account.id in drifted:
            states.append((account.id, State.DRIFT))
        else:
            states.append((account.id, State.CLEAN))
    return Coverage(states=tuple(states), failures=tuple(live.failures))


__all__ = [
    "RULES",
    "Drift",
    "Shard",
    "collect",
    "default_snapshots",
    "drift_report",
    "merge",
    "merge_reports",
    "snapshot_drift",
    "stamp",
]
