"""Each rule: quiet on the clean base organization, firing with the right position when broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.findings import Severity
from govern.rules import REGISTRY
from tests.conftest import BASE, at, brief, run_audit


def test_base_inventory_is_clean(tmp_path: Path) -> None:
    assert run_audit(tmp_path, BASE) == []


@pytest.mark.parametrize("rule", sorted(REGISTRY))
def test_every_rule_is_documented(rule: str) -> None:
    module = REGISTRY[rule]
    doc = (module.__doc__ or "").strip()
    assert doc and len(doc.splitlines()) > 3, f"{rule} needs a summary and an explanation"
    assert "Passes" in doc and "Fails" in doc


def test_admin_retention_head_without_grant(tmp_path: Path) -> None:
    text = BASE.replace(
        "      - {person: head, role: admin}\n      - {person: it, role: admin}\n"
        "      - {person: mgr, role: editor}",
        "      - {person: it, role: admin}\n      - {person: mgr, role: editor}",
    )
    findings = run_audit(tmp_path, text, rule="admin-retention")
    assert brief(findings) == [("admin-retention", *at(text, 18, "- {person: it"))]
    assert "'head'" in findings[0].message and findings[0].account == "fb"


def test_admin_retention_head_with_non_admin_role(tmp_path: Path) -> None:
    text = BASE.replace("{person: head, role: owner}", "{person: head, role: editor}")
    findings = run_audit(tmp_path, text, rule="admin-retention")
    assert brief(findings) == [("admin-retention", *at(text, 26, "editor"))]
    assert "Editor" in findings[0].message and "owner (Owner)" in findings[0].message


def test_admin_retention_shared_login_head_not_holder(tmp_path: Path) -> None:
    text = BASE.replace(
        "      - {person: head, role: admin}\n      - {person: mgr, role: admin}",
        "      - {person: mgr, role: admin}",
    )
    findings = run_audit(tmp_path, text, rule="admin-retention")
    assert [(f.account, f.person) for f in findings] == [("xacct", "head")]
    assert "credential holder" in findings[0].message


def test_revocation_ability_youtube_manager_cannot_remove_owner(tmp_path: Path) -> None:
    # Head is only Manager; a volunteer is Owner: nobody on the head's side can remove them.
    text = BASE.replace("{person: head, role: owner}", "{person: head, role: admin}").replace(
        "{person: mgr2, role: editor}", "{person: mgr2, role: owner}"
    )
    findings = run_audit(tmp_path, text, rule="revocation-ability")
    assert brief(findings) == [("revocation-ability", *at(text, 28, "owner"))]
    assert findings[0].person == "mgr2" and "Owner" in findings[0].message


def test_revocation_ability_it_can_act_for_head(tmp_path: Path) -> None:
    # Head is Manager, but IT is Owner: IT can remove an Owner volunteer.
    text = BASE.replace("{person: head, role: owner}", "{person: head, role: admin}").replace(
        "{person: it, role: admin}\n      - {person: mgr2, role: editor}",
        "{person: it, role: owner}\n      - {person: mgr2, role: owner}",
    )
    assert run_audit(tmp_path, text, rule="revocation-ability") == []


def test_revocation_ability_facebook_full_control_removes_full_control(tmp_path: Path) -> None:
    text = BASE.replace("{person: mgr, role: editor}", "{person: mgr, role: admin}")
    assert run_audit(tmp_path, text, rule="revocation-ability") == []


def test_manager_level(tmp_path: Path) -> None:
    text = BASE.replace("mgr2@diocese.test, level: C", "mgr2@diocese.test, level: B")
    findings = run_audit(tmp_path, text, rule="manager-level")
    assert brief(findings) == [("manager-level", *at(text, 28, "mgr2"))]
    assert "level B" in findings[0].message


def test_manager_level_parameters(tmp_path: Path) -> None:
    text = BASE.replace("mgr2@diocese.test, level: C", "mgr2@diocese.test, level: B")
    policies = {"rules.yaml": "rules:\n  manager-level:\n    params: {levels: [B, C]}\n"}
    assert run_audit(tmp_path, text, rule="manager-level", policies=policies) == []
    # Editors not counted as managers: the level-B editor is fine.
    policies = {"rules.yaml": "rules:\n  manager-level:\n    params: {roles: [owner, admin]}\n"}
    assert run_audit(tmp_path, text, rule="manager-level", policies=policies) == []


def test_departed_access(tmp_path: Path) -> None:
    text = BASE.replace(
        "mgr@diocese.test, level: C, trained_on: 2026-06-01}",
        "mgr@diocese.test, level: C, trained_on: 2026-06-01, status: departed, "
        "left_on: 2026-10-01}",
    ).replace("head: head, it: [it]", "head: head, it: [it, mgr]")
    findings = run_audit(tmp_path, text, rule="departed-access")
    assert brief(findings) == [
        ("departed-access", *at(text, 11, "mgr]")),
        ("departed-access", *at(text, 20, "mgr")),
        ("departed-access", *at(text, 35, "mgr")),
    ]
    assert all(f.person == "mgr" and "2026-10-01" in f.message for f in findings)


def test_grant_expiry_expired_and_soon(tmp_path: Path) -> None:
    text = BASE.replace(
        "{person: mgr, role: editor}", "{person: mgr, role: editor, expires: 2026-11-21}"
    ).replace("{person: mgr2, role: editor}", "{person: mgr2, role: editor, expires: 2026-11-30}")
    findings = run_audit(tmp_path, text, rule="grant-expiry")
    assert [(f.location.line, f.severity, f.account) for f in findings] == [
        (20, Severity.ERROR, "fb"),
        (28, Severity.WARNING, "yt"),
    ]
    assert "expires in 8 days" in findings[1].message


def test_grant_expiry_last_day_is_still_valid(tmp_path: Path) -> None:
    text = BASE.replace(
        "{person: mgr, role: editor}", "{person: mgr, role: editor, expires: 2027-06-01}"
    )
    assert run_audit(tmp_path, text, rule="grant-expiry") == []
    text = BASE.replace(
        "{person: mgr, role: editor}", "{person: mgr, role: editor, expires: 2026-11-22}"
    )
    findings = run_audit(tmp_path, text, rule="grant-expiry")
    assert [f.severity for f in findings] == [Severity.WARNING]


def test_credential_declared_missing(tmp_path: Path) -> None:
    text = BASE.replace("    credential: {mfa: true, recovery_email: office@diocese.test}\n", "")
    findings = run_audit(tmp_path, text, rule="credential-declared")
    assert brief(findings) == [("credential-declared", *at(text, 29, "id: xacct"))]


@pytest.mark.parametrize(
    "note",
    [
        "pw is hunter2hunter2",
        "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "login https://admin:S3cr3t!@example.org/",
        "backup Xk9#mQ2$vLp8&wRz4!nT7",
    ],
)
def test_credential_declared_secret_in_note(tmp_path: Path, note: str) -> None:
    text = BASE.replace(
        "{person: mgr, role: editor}", f'{{person: mgr, role: editor, note: "{note}"}}'
    )
    findings = run_audit(tmp_path, text, rule="credential-declared")
    assert brief(findings) == [("credential-declared", *at(text, 20, '"'))]
    assert note not in findings[0].message
    assert not any(word in findings[0].message for word in note.split() if len(word) > 6)


def test_credential_declared_ordinary_notes_pass(tmp_path: Path) -> None:
    for note in [
        "livestreams Sunday Mass at 10:30",
        "https://www.facebook.com/StTestParishOfficialPage",
        "campaign agency contract until June",
    ]:
        text = BASE.replace(
            "{person: mgr, role: editor}", f'{{person: mgr, role: editor, note: "{note}"}}'
        )
        assert run_audit(tmp_path, text, rule="credential-declared") == [], note


def test_mfa_required(tmp_path: Path) -> None:
    text = BASE.replace("credential: {mfa: true,", "credential: {mfa: false,")
    assert brief(run_audit(tmp_path, text, rule="mfa-required")) == [
        ("mfa-required", *at(text, 36, "{mfa"))
    ]


def test_recovery_contact(tmp_path: Path) -> None:
    text = BASE.replace("office@diocese.test", "someone@gmail.example")
    findings = run_audit(tmp_path, text, rule="recovery-contact")
    assert brief(findings) == [("recovery-contact", *at(text, 36, "someone@"))]
    assert "gmail.example" in findings[0].message
    text = BASE.replace(", recovery_email: office@diocese.test", "")
    assert [f.rule for f in run_audit(tmp_path, text, rule="recovery-contact")] == [
        "recovery-contact"
    ]


def test_training_current(tmp_path: Path) -> None:
    text = BASE.replace(
        "mgr2@diocese.test, level: C, trained_on: 2026-06-01",
        "mgr2@diocese.test, level: C, trained_on: 2025-06-01",
    )
    findings = run_audit(tmp_path, text, rule="training-current")
    assert brief(findings) == [("training-current", *at(text, 28, "mgr2"))]
    assert findings[0].severity == Severity.WARNING
    text = BASE.replace(
        "mgr2@diocese.test, level: C, trained_on: 2026-06-01", "mgr2@diocese.test, level: C"
    )
    assert "no recorded" in run_audit(tmp_path, text, rule="training-current")[0].message


def test_min_admins(tmp_path: Path) -> None:
    text = BASE.replace(
        "{person: it, role: admin}\n      - {person: mgr, role: editor}",
        "{person: it, role: analyst}\n      - {person: mgr, role: editor}",
    )
    findings = run_audit(tmp_path, text, rule="min-admins")
    assert brief(findings) == [("min-admins", *at(text, 18, "- {person: head"))]
    assert findings[0].account == "fb"
    policies = {"rules.yaml": "rules:\n  min-admins:\n    params: {count: 1}\n"}
    assert run_audit(tmp_path, text, rule="min-admins", policies=policies) == []


def test_disabled_rule_and_severity_override(tmp_path: Path) -> None:
    text = BASE.replace("credential: {mfa: true,", "credential: {mfa: false,")
    off = {"rules.yaml": "rules:\n  mfa-required: {enabled: false}\n"}
    assert run_audit(tmp_path, text, policies=off) == []
    info = {"rules.yaml": "rules:\n  mfa-required: {severity: info}\n"}
    assert [f.severity for f in run_audit(tmp_path, text, policies=info)] == [Severity.INFO]


WAIVER = """\
waivers:
  - rule: mfa-required
    account: xacct
    reason: "Authenticator migration this week"
    approved_by: head
    expires: {expires}
"""


def test_waiver_marks_finding_waived(tmp_path: Path) -> None:
    text = BASE.replace("credential: {mfa: true,", "credential: {mfa: false,")
    findings = run_audit(
        tmp_path, text, policies={"waivers.yaml": WAIVER.format(expires="2027-01-01")}
    )
    assert [(f.rule, f.waived) for f in findings] == [("mfa-required", True)]
    assert findings[0].waiver_reason is not None and "approved by head" in findings[0].waiver_reason


def test_expired_waiver_is_a_finding_and_waives_nothing(tmp_path: Path) -> None:
    text = BASE.replace("credential: {mfa: true,", "credential: {mfa: false,")
    findings = run_audit(
        tmp_path, text, policies={"waivers.yaml": WAIVER.format(expires="2026-01-01")}
    )
    assert sorted((f.rule, f.waived) for f in findings) == [
        ("mfa-required", False),
        ("waiver-invalid", False),
    ]
    invalid = next(f for f in findings if f.rule == "waiver-invalid")
    assert invalid.location.path.endswith("waivers.yaml") and invalid.location.line == 2
    assert "expired on 2026-01-01" in invalid.message


def test_waiver_naming_unknown_rule_and_account(tmp_path: Path) -> None:
    waiver = (
        WAIVER.format(expires="2027-01-01")
        .replace("mfa-required", "mfa-requird")
        .replace("account: xacct", "account: nope")
    )
    findings = run_audit(tmp_path, BASE, policies={"waivers.yaml": waiver})
    messages = sorted(f.message for f in findings)
    assert len(messages) == 2 and all(f.rule == "waiver-invalid" for f in findings)
    assert "unknown rule 'mfa-requird' (did you mean 'mfa-required'?)" in messages[1]
    assert "unknown account 'nope'" in messages[0]


def test_waiver_for_one_person_does_not_waive_others(tmp_path: Path) -> None:
    text = BASE.replace("mgr2@diocese.test, level: C", "mgr2@diocese.test, level: B").replace(
        "mgr@diocese.test, level: C", "mgr@diocese.test, level: B"
    )
    waiver = (
        "waivers:\n  - {rule: manager-level, account: yt, person: mgr2, reason: r, "
        "approved_by: head, expires: 2027-01-01}\n"
    )
    findings = run_audit(tmp_path, text, rule="manager-level", policies={"w.yaml": waiver})
    assert sorted((f.account, f.person, f.waived) for f in findings) == [
        ("fb", "mgr", False),
        ("xacct", "mgr", False),
        ("yt", "mgr2", True),
    ]


def test_example_inventory_has_no_errors() -> None:
    from govern.audit import audit
    from govern.inventory.load import load_inventory
    from govern.policy import load_policy
    from tests.conftest import REPO, TODAY

    policy = load_policy(REPO / "policies", required=True)
    loaded = load_inventory(REPO / "inventory.yaml", policy.catalog)
    report = audit(loaded, policy, today=TODAY)
    assert report.failing(Severity.ERROR) == []
    assert report.summary()["waived"] >= 1


def test_secret_scan_texts_and_pointers_stay_aligned() -> None:
    """The fast strings-only pass and the pointer pass of credential-declared must list the
    same values in the same order, or a finding would point at the wrong node."""
    import datetime as dt

    from govern.inventory.load import load_inventory
    from govern.policy import load_policy
    from govern.rules import Context
    from govern.rules.credential_declared import _free_text, _texts
    from tests.conftest import REPO

    policy = load_policy(REPO / "policies")
    inventory = load_inventory(REPO / "inventory.yaml", policy.catalog).inventory
    ctx = Context(inventory=inventory, catalog=policy.catalog, today=dt.date(2026, 11, 22))
    assert _texts(ctx) == [text for _, text, _, _ in _free_text(ctx)]
    assert len(_texts(ctx)) > 50


def test_recovery_contact_message_names_the_domains(tmp_path: Path) -> None:
    text = BASE.replace("office@diocese.test", "a@gmail.example").replace(
        "  domains: [diocese.test]\n", "  domains: [diocese.test, '@Parish.Test']\n"
    )
    assert [f.message for f in run_audit(tmp_path, text, rule="recovery-contact")] == [
        "recovery email is on 'gmail.example', not on an organization domain "
        "(diocese.test, parish.test)"
    ]
    text = text.replace("a@gmail.example", "a@PARISH.test")
    assert run_audit(tmp_path, text, rule="recovery-contact") == []
    text = BASE.replace("  domains: [diocese.test]\n", "  domains: []\n")
    assert [f.message for f in run_audit(tmp_path, text, rule="recovery-contact")] == [
        "recovery email is on 'diocese.test', not on an organization domain "
        "(none declared in organization.domains)"
    ]
