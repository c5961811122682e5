"""credential-custody: every declared credential (and every shared login) is in the store,
under its `ref` or the account id; only when the store is consulted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from govern.rules import CustodyRecord
from tests.conftest import BASE, at, brief, run_audit

RULE = "credential-custody"
WHEN = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def store(*refs: str) -> dict[str, CustodyRecord]:
    return {ref: CustodyRecord(ref=ref, updated_at=WHEN) for ref in refs}


def test_a_declared_credential_in_the_store_passes(tmp_path: Path) -> None:
    assert run_audit(tmp_path, BASE, rule=RULE, custody=store("xacct")) == []
    # Not consulted (--offline): nothing to say.
    assert run_audit(tmp_path, BASE, rule=RULE) == []


def test_a_declared_credential_missing_from_the_store(tmp_path: Path) -> None:
    findings = run_audit(tmp_path, BASE, rule=RULE, custody=store("fb", "yt"))
    assert brief(findings) == [(RULE, *at(BASE, 36, "{mfa"))]
    assert findings[0].message == (
        "no credential 'xacct' in the credential store; store it with `govern creds set xacct`"
    )
    assert (findings[0].account, findings[0].entity) == ("xacct", "parish")


def test_the_ref_names_the_store_key(tmp_path: Path) -> None:
    text = BASE.replace("{mfa: true,", "{mfa: true, ref: parish-x,")
    assert run_audit(tmp_path, text, rule=RULE, custody=store("parish-x")) == []
    findings = run_audit(tmp_path, text, rule=RULE, custody=store("xacct"))
    assert [f.message.split(";")[0] for f in findings] == [
        "no credential 'parish-x' in the credential store"
    ]


def test_a_shared_login_without_credential_block_is_checked_at_the_account(
    tmp_path: Path,
) -> None:
    text = BASE.replace("    credential: {mfa: true, recovery_email: office@diocese.test}\n", "")
    findings = run_audit(tmp_path, text, rule=RULE, custody=store())
    assert brief(findings) == [(RULE, *at(text, 29, "id: xacct"))]


def test_a_personal_login_without_credential_is_skipped(tmp_path: Path) -> None:
    # fb and yt (personal logins) declare no credential: the store need not hold them.
    assert run_audit(tmp_path, BASE, rule=RULE, custody=store("xacct")) == []
    text = BASE.replace(
        "      - {person: mgr, role: editor}\n",
        "      - {person: mgr, role: editor}\n    credential: {mfa: true}\n",
        1,
    )
    findings = run_audit(tmp_path, text, rule=RULE, custody=store("xacct"))
    assert [f.account for f in findings] == ["fb"]
