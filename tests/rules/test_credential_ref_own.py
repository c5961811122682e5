"""credential-ref-own: an account's `credential.ref` is its own store key, not another
entity's (a youth-ministry manager must not read the chancery's X password after apply)."""

from __future__ import annotations

from pathlib import Path

from govern.findings import Severity
from govern.rules import REGISTRY, explanation
from tests.conftest import BASE, at, brief, run_audit

# A second entity with its own X account; the parish's X account borrows its login.
TWO_ENTITIES = (
    BASE.replace(
        "  - {id: parish, name: St Test Parish, head: head, it: [it]}\n",
        "  - {id: parish, name: St Test Parish, head: head, it: [it]}\n"
        "  - {id: chancery, name: Chancery, head: it, it: [head]}\n",
    )
    + """\
  - id: chancery-x
    entity: chancery
    platform: x
    handle: "@chancery"
    access:
      - {person: it, role: admin}
    credential: {mfa: true, recovery_email: office@diocese.test}
"""
)


def test_own_refs_pass(tmp_path: Path) -> None:
    assert run_audit(tmp_path, TWO_ENTITIES, rule="credential-ref-own") == []
    text = TWO_ENTITIES.replace(
        "credential: {mfa: true, recovery_email: office@diocese.test}\n  - id: chancery-x",
        "credential: {ref: parish-x-login, mfa: true, recovery_email: office@diocese.test}\n"
        "  - id: chancery-x",
    )
    assert run_audit(tmp_path, text, rule="credential-ref-own") == []


def test_ref_to_another_entitys_account_is_an_error(tmp_path: Path) -> None:
    text = TWO_ENTITIES.replace(
        "credential: {mfa: true, recovery_email: office@diocese.test}\n  - id: chancery-x",
        "credential: {ref: chancery-x, mfa: true, recovery_email: office@diocese.test}\n"
        "  - id: chancery-x",
    )
    findings = run_audit(tmp_path, text, rule="credential-ref-own")
    assert brief(findings) == [("credential-ref-own", *at(text, 37, "chancery-x"))]
    finding = findings[0]
    assert finding.severity == Severity.ERROR and finding.account == "xacct"
    assert "chancery" in finding.message and "mgr" in finding.message


def test_ref_shared_with_another_entitys_explicit_ref(tmp_path: Path) -> None:
    text = TWO_ENTITIES.replace(
        "credential: {mfa: true, recovery_email: office@diocese.test}\n  - id: chancery-x",
        "credential: {ref: diocese-x, mfa: true, recovery_email: office@diocese.test}\n"
        "  - id: chancery-x",
    ).replace(
        "      - {person: it, role: admin}\n    credential: {mfa: true,",
        "      - {person: it, role: admin}\n    credential: {ref: diocese-x, mfa: true,",
    )
    findings = run_audit(tmp_path, text, rule="credential-ref-own")
    assert sorted(f.account for f in findings) == ["chancery-x", "xacct"]


def test_waivable_with_a_reason(tmp_path: Path) -> None:
    text = TWO_ENTITIES.replace(
        "credential: {mfa: true, recovery_email: office@diocese.test}\n  - id: chancery-x",
        "credential: {ref: chancery-x, mfa: true, recovery_email: office@diocese.test}\n"
        "  - id: chancery-x",
    )
    waiver = """\
        waivers:
          - rule: credential-ref-own
            account: xacct
            reason: the parish posts for the chancery during the synod
            approved_by: head
            expires: 2027-01-01
        """
    findings = run_audit(
        tmp_path, text, rule="credential-ref-own", policies={"waivers.yaml": waiver}
    )
    assert [(f.rule, f.waived) for f in findings] == [("credential-ref-own", True)]


def test_explain_has_examples() -> None:
    doc = explanation(REGISTRY["credential-ref-own"])
    assert "Passes" in doc and "Fails" in doc


def with_refs(xacct: str | None, chancery: str | None) -> str:
    text = TWO_ENTITIES
    if xacct:
        text = text.replace(
            "credential: {mfa: true, recovery_email: office@diocese.test}\n  - id: chancery-x",
            f"credential: {{ref: {xacct}, mfa: true, recovery_email: office@diocese.test}}\n"
            "  - id: chancery-x",
        )
    if chancery:
        text = text.replace(
            "      - {person: it, role: admin}\n    credential: {mfa: true,",
            f"      - {{person: it, role: admin}}\n    credential: {{ref: {chancery}, mfa: true,",
        )
    return text


def messages(tmp_path: Path, text: str) -> list[tuple[str | None, str]]:
    return [(f.account, f.message) for f in run_audit(tmp_path, text, rule="credential-ref-own")]


def test_the_message_names_whose_key_it_is_and_who_would_gain(tmp_path: Path) -> None:
    assert messages(tmp_path, with_refs("chancery-x", None)) == [
        (
            "xacct",
            "credential.ref 'chancery-x' is the store key of chancery-x (entity chancery), "
            "not this account's own; mgr would read it",
        )
    ]
    # One explicit ref on both: each is told whose key it is; only the parish side gains.
    assert messages(tmp_path, with_refs("diocese-x", "diocese-x")) == [
        (
            "xacct",
            "credential.ref 'diocese-x' is the store key of chancery-x (entity chancery), "
            "not this account's own; mgr would read it",
        ),
        (
            "chancery-x",
            "credential.ref 'diocese-x' is the store key of xacct (entity parish), "
            "not this account's own",
        ),
    ]


def test_a_ref_naming_another_accounts_id_is_refused(tmp_path: Path) -> None:
    # xacct keeps its password under its own ref; the chancery names xacct's id: that id is
    # xacct's default key, and would be again the day xacct drops its ref.
    assert messages(tmp_path, with_refs("parish-x-login", "xacct")) == [
        (
            "chancery-x",
            "credential.ref 'xacct' is the store key of xacct (entity parish), "
            "not this account's own",
        )
    ]
