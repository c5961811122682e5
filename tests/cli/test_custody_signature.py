"""Keyless custody reads are authenticated: an Ed25519 signature over the store's metadata,
checked against a public key that lives outside the file (GOVERN_STORE_PUBLIC_KEY)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.test_cli import invoke
from tests.cli.test_custody import ENV, audit_json, org, rules, store_credential

__all__ = ["org"]


def public_key(org: Path) -> str:
    code, out, err = invoke(["store", "verify"], org, env=ENV)
    assert code == 0, err
    match = re.search(r"GOVERN_STORE_PUBLIC_KEY=(ed25519:\S+)", out)
    assert match, out
    return match.group(1)


def keyless(key: str) -> dict[str, str]:
    return {**ENV, "GOVERN_PASSPHRASE": "", "GOVERN_STORE_PUBLIC_KEY": key}


def edit_store(org: Path, change: object) -> None:
    path = org / "credentials.enc"
    doc = json.loads(path.read_text())
    change(doc)  # type: ignore[operator]
    path.write_text(json.dumps(doc))


def backdate_departure(org: Path) -> None:
    path = org / "inventory.yaml"
    path.write_text(
        path.read_text().replace(
            "mgr@diocese.test, level: C, trained_on: 2026-06-01}",
            "mgr@diocese.test, level: C, trained_on: 2026-06-01, status: departed, "
            "left_on: 2099-01-01}",
        )
    )


def test_untampered_store_audits_keyless_with_the_public_key(org: Path) -> None:
    store_credential(org)
    key = public_key(org)
    backdate_departure(org)
    _, report = audit_json(org, "--today", "2099-01-02", env=keyless(key))
    assert "credential-after-departure" in rules(report)
    code, out, err = invoke(["store", "verify"], org, env=keyless(key))
    assert code == 0, err
    assert "signature" in out


@pytest.mark.parametrize("tamper", ["created_at", "rotated_by", "drop-version", "strip-signature"])
def test_edited_metadata_is_detected_without_the_key(org: Path, tamper: str) -> None:
    store_credential(org)
    code, _, err = invoke(["creds", "rotate", "xacct", "--generate", "--reason", "r"], org, env=ENV)
    assert code == 0, err
    key = public_key(org)
    backdate_departure(org)

    def change(doc: dict) -> None:  # type: ignore[type-arg]
        versions = doc["entries"]["xacct"]["versions"]
        if tamper == "created_at":  # pretend a rotation after the departure
            versions[-1]["created_at"] = "2099-06-01T00:00:00.000000Z"
        elif tamper == "rotated_by":
            versions[-1]["rotated_by"] = "someone-else"
        elif tamper == "drop-version":
            del versions[-1]
        else:
            doc.pop("signature", None)

    edit_store(org, change)
    code, out, err = invoke(["audit", "--today", "2099-07-01"], org, env=keyless(key))
    assert code == 2, (out, err)
    assert "signature" in err and "GOVERN_STORE_PUBLIC_KEY" in err
    code, out, err = invoke(["store", "verify"], org, env=keyless(key))
    assert code == 2 and "signature" in err
    # With the key, the MAC catches it as before.
    code, out, err = invoke(["store", "verify"], org, env=ENV)
    assert code == 2


def test_a_store_signed_by_another_key_is_refused(org: Path) -> None:
    store_credential(org)
    key = public_key(org)
    (org / "credentials.enc").unlink()
    store_credential(org)  # a whole new store, signed by its own key
    code, _, err = invoke(["audit"], org, env=keyless(key))
    assert code == 2 and "signature" in err


def test_malformed_public_key_is_a_usage_error(org: Path) -> None:
    store_credential(org)
    code, _, err = invoke(["audit"], org, env=keyless("ed25519:not-base64!"))
    assert code == 2 and "GOVERN_STORE_PUBLIC_KEY" in err


def test_without_a_public_key_the_audit_warns_metadata_is_unauthenticated(org: Path) -> None:
    store_credential(org)
    code, _, err = invoke(["audit"], org, env={**ENV, "GOVERN_PASSPHRASE": ""})
    assert code in (0, 1)
    assert "not authenticated" in err and "GOVERN_STORE_PUBLIC_KEY" in err
