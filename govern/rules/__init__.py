"""The rule registry: one module per rule, in report order."""

from __future__ import annotations

from govern.findings import unique_ids
from govern.rules import (
    admin_retention,
    credential_after_departure,
    credential_age,
    credential_custody,
    credential_declared,
    credential_ref_own,
    departed_access,
    grant_expiry,
    manager_level,
    mfa_required,
    min_admins,
    recovery_contact,
    review_current,
    revocation_ability,
    training_current,
    waiver_invalid,
)
from govern.rules._base import Context, CustodyRecord, RuleModule, RuleParams
from govern.rules.drift import RULES as DRIFT_RULES

# One line per rule, in report order. A duplicate id is an error at import.
_MODULES: tuple[RuleModule, ...] = (
    admin_retention,
    revocation_ability,
    manager_level,
    departed_access,
    grant_expiry,
    credential_after_departure,
    credential_age,
    credential_custody,
    credential_declared,
    credential_ref_own,
    mfa_required,
    recovery_contact,
    training_current,
    review_current,
    min_admins,
    waiver_invalid,
)

# Built-in rules (run by the audit). Drift rules (govern.drift.rules) share the id space:
# `all_rules` is the one registry of every id `govern rules` and `govern explain` know.
REGISTRY: dict[str, RuleModule] = unique_ids(
    ((module.ID, module) for module in _MODULES), taken=DRIFT_RULES
)


def summary(rule: RuleModule) -> str:
    return (rule.__doc__ or rule.ID).strip().splitlines()[0]


def explanation(rule: RuleModule) -> str:
    return (rule.__doc__ or "").strip()


__all__ = [
    "DRIFT_RULES",
    "REGISTRY",
    "Context",
    "CustodyRecord",
    "RuleModule",
    "RuleParams",
    "explanation",
    "summary",
]
