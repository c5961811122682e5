"""A small fixed report that exercises every branch and every escaping rule of the formatters."""

from __future__ import annotations

import pytest

from govern.findings import Finding, Location, Report, RuleInfo, Severity

INVENTORY = "inventory.yaml"
WAIVERS = "policies/waivers.yaml"

RULES = (
    RuleInfo(
        "mfa-required",
        Severity.ERROR,
        "Every manager uses MFA",
        "Anyone who can post must sign in with a second factor.",
    ),
    RuleInfo(
        "grant-expiry",
        Severity.WARNING,
        "Temporary grants expire",
        "Access granted for a campaign ends when the campaign does.",
    ),
    RuleInfo(
        "training-current",
        Severity.INFO,
        "Training is current",
        "Managers repeat the social media training every year.",
    ),
    RuleInfo(
        "waiver-invalid",
        Severity.ERROR,
        "Waivers are well-formed",
        "A waiver names a rule, an account, an approver and an expiry date.",
    ),
    RuleInfo("min-admins", Severity.ERROR, "Two admins at least", "No single point of failure."),
    RuleInfo(
        "recovery-contact",
        Severity.WARNING,
        "Recovery contact set",
        "Disabled here: never reported, never counted.",
        enabled=False,
    ),
)

FINDINGS = (
    Finding(
        "mfa-required",
        Severity.ERROR,
        "alice@example.org has no MFA on <acme|main> & posts: daily, 100% of the time",
        Location(INVENTORY, 12, 9),
        account="acme-instagram",
        person="alice",
    ),
    Finding(
        "grant-expiry",
        Severity.WARNING,
        "grant for bob expires in 3 days\nrenew or revoke it",
        Location(INVENTORY, 20, 11),
        account="acme-instagram",
        person="bob",
    ),
    Finding(
        "training-current",
        Severity.INFO,
        "carol's training is 11 months old",
        Location(INVENTORY, 31, 5),
        account="acme-x",
        person="carol",
    ),
    Finding(
        "mfa-required",
        Severity.ERROR,
        "dave has no MFA",
        Location(INVENTORY, 33, 7),
        account="acme-x",
        person="dave",
        waived=True,
        waiver_reason="hardware key on order (approved by erin, until 2030-01-31)",
    ),
    Finding(
        "grant-expiry",
        Severity.WARNING,
        "account has no owner team: check `owners`",
        Location(INVENTORY),
        account="acme-tiktok",
        entity="owners",
    ),
    Finding(
        "waiver-invalid",
        Severity.ERROR,
        "waiver 2 names unknown rule 'mfa-requred'",
        Location(WAIVERS, 8, 3),
    ),
)


@pytest.fixture
def report() -> Report:
    return Report(inventory=INVENTORY, findings=FINDINGS, rules=RULES)


@pytest.fixture
def clean_report() -> Report:
    return Report(inventory=INVENTORY, findings=(), rules=RULES)
