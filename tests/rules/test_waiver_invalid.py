"""waiver-invalid: a waiver is valid through its `expires` day and names known things."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BASE, run_audit

NO_MFA = BASE.replace("credential: {mfa: true,", "credential: {mfa: false,")


def waiver(expires: str = "2027-01-01", rule: str = "mfa-required", extra: str = "") -> str:
    return (
        f"waivers:\n  - {{rule: {rule}, account: xacct, reason: migration, approved_by: head, "
        f"expires: {expires}{extra}}}\n"
    )


# Audited on 2026-11-22.
@pytest.mark.parametrize(("expires", "valid"), [("2026-11-22", True), ("2026-11-21", False)])
def test_a_waiver_is_valid_through_its_last_day(tmp_path: Path, expires: str, valid: bool) -> None:
    findings = run_audit(tmp_path, NO_MFA, policies={"w.yaml": waiver(expires)})
    if valid:
        assert [(f.rule, f.waived) for f in findings] == [("mfa-required", True)]
        return
    invalid = [f for f in findings if f.rule == "waiver-invalid"]
    assert [f.message for f in invalid] == [
        f"waiver of mfa-required for xacct expired on {expires}"
    ]
    assert (invalid[0].account, invalid[0].location.line) == ("xacct", 2)


def test_an_unknown_person(tmp_path: Path) -> None:
    findings = run_audit(
        tmp_path,
        NO_MFA,
        policies={"w.yaml": waiver(extra=", person: nobody")},
        rule="waiver-invalid",
    )
    assert [(f.message, f.person) for f in findings] == [
        ("waiver of mfa-required for xacct names unknown person 'nobody'", "nobody")
    ]
    known = waiver(extra=", person: mgr")
    assert run_audit(tmp_path, NO_MFA, policies={"w.yaml": known}, rule="waiver-invalid") == []


def test_waivers_cannot_waive_this_rule(tmp_path: Path) -> None:
    findings = run_audit(
        tmp_path, BASE, policies={"w.yaml": waiver(rule="waiver-invalid")}, rule="waiver-invalid"
    )
    assert [f.message for f in findings] == [
        "waiver of waiver-invalid for xacct names unknown rule 'waiver-invalid'"
    ]


def test_a_custom_rule_is_a_known_rule(tmp_path: Path) -> None:
    custom = (
        "custom_rules:\n  - id: no-tiktok\n    severity: warning\n"
        "    description: No TikTok.\n    for: account\n"
        "    when: account.platform == 'tiktok'\n    message: TikTok is not allowed\n"
    )
    policies = {"custom.yaml": custom, "w.yaml": waiver(rule="no-tiktok")}
    assert run_audit(tmp_path, BASE, policies=policies, rule="waiver-invalid") == []
    policies = {"custom.yaml": custom, "w.yaml": waiver(rule="no-tiktk")}
    findings = run_audit(tmp_path, BASE, policies=policies, rule="waiver-invalid")
    assert [f.message for f in findings] == [
        "waiver of no-tiktk for xacct names unknown rule 'no-tiktk' (did you mean 'no-tiktok'?)"
    ]
