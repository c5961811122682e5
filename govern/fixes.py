"""A fix for every finding: the exact command that resolves it, or the inventory change when
no command makes it. Derived from the finding's rule, account, person and entity, after the
audit (`with_fixes`), so the rules themselves stay as they are."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from govern.findings import Finding, Report
from govern.inventory.model import Inventory

Fixer = Callable[[Finding, Inventory], str | None]


def _role(inv: Inventory, account: str | None, person: str | None) -> str:
    index = inv.account_index.get(account or "")
    if index is not None:
        for grant in inv.accounts[index].access:
            if grant.person == person:
                return grant.role
    return "ROLE"


def _head(inv: Inventory, account: str | None, entity: str | None) -> str:
    index = inv.account_index.get(account or "")
    entity_id = inv.accounts[index].entity if index is not None else entity
    found = inv.entity(entity_id or "")
    return found.head if found else "PERSON"


def _ref(inv: Inventory, account: str | None) -> str:
    index = inv.account_index.get(account or "")
    if index is None:
        return account or "ACCOUNT"
    return inv.accounts[index].credential_ref or inv.accounts[index].id


FIXERS: dict[str, Fixer] = {
    "departed-access": lambda f, inv: f"govern revoke {f.person}" if f.person else None,
    "grant-expiry": lambda f, inv: (
        f"govern ungrant {f.person} {f.account}   # or extend it: govern grant {f.person} "
        f"{f.account} {_role(inv, f.account, f.person)} --expires YYYY-MM-DD"
    ),
    "training-current": lambda f, inv: (
        f"govern people trained {f.person} --on YYYY-MM-DD   # once trained; "
        f"or: govern ungrant {f.person} {f.account}"
    ),
    "review-current": lambda f, inv: (
        f"govern review start --entity {f.entity}" if f.entity else "govern review start"
    ),
    "min-admins": lambda f, inv: f"govern grant PERSON {f.account} admin",
    "revocation-ability": lambda f, inv: (
        f"govern grant {_head(inv, f.account, f.entity)} {f.account} admin"
    ),
    "admin-retention": lambda f, inv: (
        f"govern grant {_head(inv, f.account, f.entity)} {f.account} admin"
    ),
    "manager-level": lambda f, inv: (
        f"govern ungrant {f.person} {f.account}   # or change the person's level in the inventory"
    ),
    "credential-age": lambda f, inv: (
        f'govern creds rotate {f.account} --generate --reason "scheduled rotation"'
    ),
    "credential-after-departure": lambda f, inv: (
        f'govern creds rotate {f.account} --generate --reason "a holder left"'
    ),
    "credential-custody": lambda f, inv: f"govern creds set {f.account}",
    "credential-declared": lambda f, inv: (
        f"declare it on account {f.account}: `credential: {{ref: {_ref(inv, f.account)}, "
        f"mfa: true}}`, then `govern creds set {f.account}`"
    ),
    "credential-ref-own": lambda f, inv: (
        f"set `credential: {{ref: {f.account}}}` on account {f.account} (its own store key)"
    ),
    "mfa-required": lambda f, inv: (
        f"turn on two-factor sign-in on the platform, then set `mfa: true` in the credential "
        f"of account {f.account}"
    ),
    "recovery-contact": lambda f, inv: (
        f"set the account's recovery email on the platform to a mailbox of the organization, "
        f"and `recovery_email:` in the credential of account {f.account}"
    ),
    "waiver-invalid": lambda f, inv: (
        "correct or remove the waiver in policies/waivers.yaml (rule, account, approved_by, "
        "expires)"
    ),
}


def fix_for(finding: Finding, inv: Inventory) -> str | None:
    fixer = FIXERS.get(finding.rule)
    return fixer(finding, inv) if fixer is not None else None


def with_fixes(report: Report, inv: Inventory) -> Report:
    """`report` with each finding's `fix` filled in (a finding that has one keeps it)."""
    findings = []
    for f in report.findings:
        fix = fix_for(f, inv) if f.fix is None else None
        findings.append(f if fix is None else f.with_fix(fix))
    return dataclasses.replace(report, findings=tuple(findings))


__all__ = ["FIXERS", "fix_for", "with_fixes"]
