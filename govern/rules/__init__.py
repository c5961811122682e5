"""The rule registry: one module per rule, in report order."""

from __future__ import annotations

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
    credential_custody,
    credential_age,
    credential_after_departure,
    mfa_required,
    recovery_contact,
    training_current,
    review_current,
    min_admins,
    waiver_invalid,
)

REGISTRY: dict[str, RuleModule] = {module.ID: module for module in _MODULES}


def summary(rule: RuleModule) -> str:
    return (rule.__doc__ or rule.ID).strip().splitlines()[0]


def explanation(rule: RuleModule) -> str:
    return (rule.__doc__ or "").strip()


__all__ = [
    "REGISTRY",
    "Context",
    "CustodyRecord",
    "RuleModule",
    "RuleParams",
    "explanation",
    "summary",
]
