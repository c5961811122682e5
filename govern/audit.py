"""The audit engine: run the enabled rules over a loaded inventory and build the report.

Rules yield violations; the engine stamps each with its rule id, configured severity, source
location and waiver state, and sorts them. This is the single place findings are made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from govern.findings import Finding, Report, RuleInfo, stamp
from govern.inventory.load import LoadedInventory, gc_paused
from govern.policy import PlacedWaiver, Policy
from govern.rules import (
    DRIFT_RULES,
    REGISTRY,
    Context,
    CustodyRecord,
    explanation,
    summary,
    waiver_invalid,
)


def rule_infos(policy: Policy) -> tuple[RuleInfo, ...]:
    infos = []
    for rule_id, rule in {**REGISTRY, **policy.custom}.items():
        config = policy.rules.get(rule_id)
        infos.append(
            RuleInfo(
                id=rule_id,
                severity=(config.severity if config and config.severity else rule.SEVERITY),
                summary=summary(rule),
                explanation=explanation(rule),
                enabled=config.enabled if config else True,
            )
        )
    return tuple(infos)


def all_rule_infos(policy: Policy) -> dict[str, RuleInfo]:
    """Every rule govern knows, by id: the audit's rules, then the kinds of drift."""
    return {info.id: info for info in (*rule_infos(policy), *DRIFT_RULES.values())}


def audit(
    loaded: LoadedInventory,
    policy: Policy,
    *,
    today: dt.date | None = None,
    custody: dict[str, CustodyRecord] | None = None,
    custody_source: str = "the credential store",
    only: Iterable[str] | None = None,
) -> Report:
    """Check `loaded` against `policy`. `custody` is store metadata (None: not consulted)."""
    ctx = Context(
        inventory=loaded.inventory,
        catalog=policy.catalog,
        today=today or dt.date.today(),
        custody=custody,
        custody_source=custody_source,
        waivers=policy.waivers,
        custom=policy.custom,
        references_checked=True,  # `loaded` comes from load_inventory, which checked them
    )
    infos = rule_infos(policy)
    selected = set(only) if only is not None else None
    known = {**REGISTRY, **policy.custom}
    active_waivers = [
        w for w in policy.waivers if w.waiver.expires >= ctx.today and w.waiver.rule in known
    ]
    findings: list[Finding] = []
    # Rules build many containers and no garbage cycles: the cyclic collector would only scan
    # them again and again (about a tenth of the audit's time on 10,000 accounts). What the
    # custom rules built is released before the collector is back.
    with gc_paused():
        for info in infos:
            if not info.enabled or (selected is not None and info.id not in selected):
                continue
            rule = known[info.id]
            for violation in rule.check(ctx, policy.params[info.id]):
                finding = stamp(info, violation, loaded.locate)
                if info.id != waiver_invalid.ID:
                    reason = _waiver_for(finding, active_waivers)
                    if reason is not None:
                        finding = finding.waive(reason)
                findings.append(finding)
        if policy.custom:
            from govern.rules.custom import release_values

            release_values(ctx)
        findings.sort(key=Finding.sort_key)
    return Report(inventory=loaded.path, findings=tuple(findings), rules=infos)


def _waiver_for(finding: Finding, waivers: list[PlacedWaiver]) -> str | None:
    for placed in waivers:
        waiver = placed.waiver
        if waiver.rule != finding.rule or waiver.account != finding.account:
            continue
        if waiver.person is not None and waiver.person != finding.person:
            continue
        return f"{waiver.reason} (approved by {waiver.approved_by}, until {waiver.expires})"
    return None
