"""`govern audit` reads custody from a real credential store: the encrypted file and OpenBao."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.cli.test_cli import invoke
from tests.conftest import BASE, WITHOUT_REVIEWS

PASSWORD = "Zq8#vX2!mPa9-unique-test-secret"
ENV = {
    "GOVERN_PASSPHRASE": "test passphrase for the audit",
    "GOVERN_STORE": "",
    "VAULT_ADDR": "",
    "GOVERN_ACTOR": "tester",
    "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
}


@pytest.fixture
def org(tmp_path: Path) -> Path:
    (tmp_path / "inventory.yaml").write_text(BASE)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "rules.yaml").write_text(WITHOUT_REVIEWS)
    return tmp_path


def audit_json(org: Path, *args: str, env: dict[str, str] = ENV) -> tuple[int, dict]:  # type: ignore[type-arg]
    code, out, err = invoke(["audit", "-f", "json", "--fail-on", "never", *args], org, env=env)
    assert code == 0, err
    return code, json.loads(out)


def store_credential(org: Path) -> None:
    assert invoke(["store", "init"], org, env=ENV)[0] == 0
    code, _, err = invoke(
        ["creds", "set", "xacct", "--password-stdin", "--username", "sttest"],
        org,
        env=ENV,
        stdin=PASSWORD,
    )
    assert code == 0, err


def rules(report: dict) -> list[str]:  # type: ignore[type-arg]
    return [f["rule"] for f in report["findings"]]


def test_missing_store_means_no_custody(org: Path) -> None:
    _, report = audit_json(org, "--today", "2026-11-22")
    assert rules(report) == ["credential-custody"]
    message = report["findings"][0]["message"]
    assert "credentials.enc" in message and "govern creds set xacct" in message
    # --offline checks declarations only.
    _, report = audit_json(org, "--today", "2026-11-22", "--offline")
    assert rules(report) == []


def test_stored_credential_satisfies_custody_without_the_key(org: Path) -> None:
    store_credential(org)
    no_key = {**ENV, "GOVERN_PASSPHRASE": ""}
    today = __import__("datetime").date.today().isoformat()
    code, out, _ = invoke(["audit", "--today", today], org, env=no_key)
    assert code == 0, out
    assert PASSWORD not in out


def test_credential_age(org: Path) -> None:
    store_credential(org)
    _, report = audit_json(org, "--today", "2099-01-01")
    assert "credential-age" in rules(report)
    policies = org / "policies" / "rules.yaml"
    policies.write_text("rules:\n  credential-age: {params: {max_age_days: 100000}}\n")
    _, report = audit_json(org, "--today", "2099-01-01")
    assert "credential-age" not in rules(report)


def test_credential_after_departure(org: Path) -> None:
    store_credential(org)
    text = (
        (org / "inventory.yaml")
        .read_text()
        .replace(
            "mgr@diocese.test, level: C, trained_on: 2026-06-01}",
            "mgr@diocese.test, level: C, trained_on: 2026-06-01, status: departed, "
            "left_on: 2099-01-01}",
        )
    )
    (org / "inventory.yaml").write_text(text)
    _, report = audit_json(org, "--today", "2099-01-02")
    after = [f for f in report["findings"] if f["rule"] == "credential-after-departure"]
    assert [(f["account"], f["person"]) for f in after] == [("xacct", "mgr")]
    # Rotating after the departure clears it (the store records today's date).
    code, _, err = invoke(
        ["creds", "rotate", "xacct", "--generate", "--reason", "mgr left"], org, env=ENV
    )
    assert code == 0, err
    text = text.replace("left_on: 2099-01-01", "left_on: 2020-01-01")
    (org / "inventory.yaml").write_text(text)
    _, report = audit_json(org, "--today", "2099-01-02")
    assert "credential-after-departure" not in rules(report)


def test_unreachable_vault_exits_3_with_one_line(org: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**ENV, "VAULT_ADDR": f"http://127.0.0.1:{port}", "VAULT_TOKEN": "not-a-real-token"}
    code, out, err = invoke(["audit"], org, env=env)
    # The inventory's own findings are still reported; the custody rules are named as not
    # checked; then the one-line error (and its hint), exit 3.
    assert code == 3 and out == "No findings in inventory.yaml\n"
    lines = err.strip().splitlines()
    assert lines[0].startswith("warning: not checked (the credential store could not be read)")
    assert f"127.0.0.1:{port}" in lines[1] and len(lines) <= 3
    assert "not-a-real-token" not in err
