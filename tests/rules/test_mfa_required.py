"""mfa-required: shared logins only (personal logins skipped), unless `platforms` names them."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import BASE, at, brief, run_audit

NO_MFA = BASE.replace("credential: {mfa: true,", "credential: {mfa: false,")
# A credential block on the Facebook page (a personal-login platform), without MFA.
FB_CREDENTIAL = "      - {person: mgr, role: editor}\n"
FB_NO_MFA = BASE.replace(
    FB_CREDENTIAL,
    FB_CREDENTIAL + "    credential: {mfa: false, recovery_email: office@diocese.test}\n",
    1,
)


def platforms(*keys: str) -> dict[str, str]:
    return {
        "rules.yaml": f"rules:\n  mfa-required:\n    params: {{platforms: [{', '.join(keys)}]}}\n"
    }


def test_a_credential_without_mfa_fails(tmp_path: Path) -> None:
    text = BASE.replace("credential: {mfa: true, ", "credential: {")
    findings = run_audit(tmp_path, text, rule="mfa-required")
    assert brief(findings) == [("mfa-required", *at(text, 36, "{recovery"))]
    assert findings[0].message == "multi-factor authentication is off for this shared login"
    assert (findings[0].account, findings[0].entity) == ("xacct", "parish")


def test_a_personal_login_platform_is_skipped_by_default(tmp_path: Path) -> None:
    assert run_audit(tmp_path, FB_NO_MFA, rule="mfa-required") == []


def test_platforms_names_the_platforms_checked(tmp_path: Path) -> None:
    # Named, a personal-login platform is checked too ...
    findings = run_audit(tmp_path, FB_NO_MFA, rule="mfa-required", policies=platforms("facebook"))
    assert brief(findings) == [("mfa-required", *at(FB_NO_MFA, 21, "{mfa"))]
    assert findings[0].account == "fb"
    # ... and a shared-login platform left out is not.
    assert run_audit(tmp_path, NO_MFA, rule="mfa-required", policies=platforms("facebook")) == []
    findings = run_audit(tmp_path, NO_MFA, rule="mfa-required", policies=platforms("x", "youtube"))
    assert [f.account for f in findings] == ["xacct"]


def test_an_account_without_credential_is_not_this_rules_business(tmp_path: Path) -> None:
    text = BASE.replace("    credential: {mfa: true, recovery_email: office@diocese.test}\n", "")
    assert run_audit(tmp_path, text, rule="mfa-required", policies=platforms("x")) == []
