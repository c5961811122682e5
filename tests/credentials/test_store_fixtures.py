"""The on-disk format is pinned: every committed fixture store (tests/credentials/fixtures/v*/,
one per format version) opens with this govern, by every key source, and with the independent
reading of the format in storeformat.py; and what this govern writes, that reading opens too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import FAST_KDF, PASSPHRASE
from filekeyring import FileKeyring
from storeformat import Forger, b64, canonical, data_key_from_passphrase

from govern.cli.creds import store as store_command
from govern.credentials import Secret
from govern.credentials.filestore import FORMAT_VERSION, FileStore

FIXTURES = Path(__file__).resolve().parent / "fixtures"
VERSIONS = sorted(p.name for p in FIXTURES.glob("v*") if p.is_dir())


def expected(version: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / version / "expected.json").read_text())
    return data


@pytest.fixture(params=VERSIONS)
def fixture_copy(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of one committed fixture (tests write to it; the committed bytes never change)."""
    path = tmp_path / "credentials.enc"
    shutil.copyfile(FIXTURES / request.param / "credentials.enc", path)
    return path, expected(request.param)


def test_the_current_format_has_a_fixture() -> None:
    """Raising FORMAT_VERSION without committing its fixture fails here (see fixtures/README)."""
    assert f"v{FORMAT_VERSION}" in VERSIONS
    for version in VERSIONS:
        assert expected(version)["format_version"] == int(version[1:])


def test_fixture_opens_with_the_passphrase(fixture_copy: tuple[Path, dict[str, Any]]) -> None:
    path, want = fixture_copy
    store = FileStore(path, env={"GOVERN_PASSPHRASE": want["passphrase"]}, prompt=None)
    assert store.verify() == len(want["entries"])
    assert store.public_key() == want["public_key"]
    listed = {m.ref: m for m in store.list()}
    assert sorted(listed) == sorted(want["entries"])
    for ref, versions in want["entries"].items():
        meta = listed[ref]
        assert meta.versions == meta.current_version == len(versions)
        assert meta.rotated_by == versions[-1]["rotated_by"]
        assert meta.reason == versions[-1]["reason"]
        assert dict(meta.meta) == versions[-1]["meta"]
        assert meta.created_at.isoformat().replace("+00:00", "Z") == versions[0]["created_at"]
        for rec in versions:
            assert store.get(ref, rec["version"]) == Secret.from_payload(rec["secret"])
        assert store.get(ref) == Secret.from_payload(versions[-1]["secret"])


def test_fixture_opens_with_the_keyring(
    fixture_copy: tuple[Path, dict[str, Any]], test_keyring: FileKeyring
) -> None:
    path, want = fixture_copy
    test_keyring.set_password(
        want["keyring"]["service"], want["keyring"]["username"], want["data_key"]
    )
    store = FileStore(path, env={}, prompt=None)
    assert store.verify() == len(want["entries"])
    ref, versions = next(iter(want["entries"].items()))
    assert store.get(ref, 1) == Secret.from_payload(versions[0]["secret"])


def test_fixture_metadata_signature_verifies_without_the_key(
    fixture_copy: tuple[Path, dict[str, Any]],
) -> None:
    path, want = fixture_copy
    store = FileStore(path, env={"GOVERN_STORE_PUBLIC_KEY": want["public_key"]}, prompt=None)
    assert store.verify_metadata() == len(want["entries"])
    assert sorted(m.ref for m in store.list()) == sorted(want["entries"])


def test_fixture_accepts_writes_and_keeps_its_history(
    fixture_copy: tuple[Path, dict[str, Any]],
) -> None:
    path, want = fixture_copy
    store = FileStore(path, env={"GOVERN_PASSPHRASE": want["passphrase"]}, prompt=None)
    ref, versions = next(iter(want["entries"].items()))
    store.put(ref, Secret(password="after-upgrade"), meta={}, rotated_by="t", reason="upgrade")
    store.put("new-entry", Secret(password="brand-new"), meta={}, rotated_by="t", reason="new")
    again = FileStore(path, env={"GOVERN_PASSPHRASE": want["passphrase"]}, prompt=None)
    assert again.verify() == len(want["entries"]) + 1
    for rec in versions:
        assert again.get(ref, rec["version"]) == Secret.from_payload(rec["secret"])
    assert again.get(ref).password == "after-upgrade"
    assert again.public_key() == want["public_key"]  # the key pair stays with the data key


def test_fixture_through_store_verify(fixture_copy: tuple[Path, dict[str, Any]]) -> None:
    path, want = fixture_copy
    result = CliRunner().invoke(
        store_command,
        ["verify", "--store", f"file:{path}"],
        env={"GOVERN_PASSPHRASE": want["passphrase"]},
    )
    assert result.exit_code == 0, result.output
    assert f"ok: {len(want['entries'])} credential(s) in file:{path}" in result.stdout
    assert f"GOVERN_STORE_PUBLIC_KEY={want['public_key']}" in result.stdout


def independent_read(path: Path, passphrase: str) -> dict[str, list[dict[str, str]]]:
    """Every version's payload, by the format's description alone (storeformat.py), after
    checking the key check value, the whole-file MAC and the metadata signature."""
    doc = json.loads(path.read_text())
    assert doc["format"] == "govern-credentials"
    forger = Forger(data_key_from_passphrase(doc, passphrase), doc["store_id"])
    assert doc["key_check"] == forger.key_check
    assert doc["mac"] == forger.mac(doc)
    assert doc["signing_key"] == forger.public_key
    assert doc["signature"] == forger.signature(doc)  # Ed25519 signatures are deterministic
    return {
        ref: [forger.open(ref, rec) for rec in entry["versions"]]
        for ref, entry in doc["entries"].items()
    }


def test_fixture_opens_by_the_format_description(
    fixture_copy: tuple[Path, dict[str, Any]],
) -> None:
    path, want = fixture_copy
    assert independent_read(path, want["passphrase"]) == {
        ref: [rec["secret"] for rec in versions] for ref, versions in want["entries"].items()
    }
    doc = json.loads(path.read_text())
    assert b64(Forger.of(path, want["passphrase"]).data_key) == want["data_key"]
    assert doc["keyring"] == want["keyring"]


def test_what_govern_writes_is_the_described_format(tmp_path: Path) -> None:
    path = tmp_path / "credentials.enc"
    FileStore.create(path, env={}, passphrase=PASSPHRASE, use_keyring=False, kdf=FAST_KDF)
    store = FileStore(path, env={"GOVERN_PASSPHRASE": PASSPHRASE}, prompt=None)
    store.put(
        "a", Secret(password="pw-1", username="u"), meta={"k": "v"}, rotated_by="x", reason="r"
    )
    store.put(
        "a", Secret(password="pw-2", fields={"totp": "T"}), meta={}, rotated_by="y", reason="s"
    )
    doc = json.loads(path.read_text())
    assert sorted(doc) == [
        "entries",
        "format",
        "format_version",
        "kdf",
        "key_check",
        "keyring",
        "mac",
        "passphrase_key",
        "signature",
        "signing_key",
        "store_id",
    ]
    assert doc["format_version"] == 1 and doc["keyring"] is None
    assert sorted(doc["kdf"]) == ["n", "name", "p", "r", "salt"]
    assert sorted(doc["entries"]["a"]["versions"][0]) == [
        "ciphertext",
        "created_at",
        "meta",
        "nonce",
        "reason",
        "rotated_by",
        "version",
    ]
    assert independent_read(path, PASSPHRASE) == {
        "a": [
            {"username": "u", "password": "pw-1"},
            {"totp": "T", "password": "pw-2"},
        ]
    }
    assert canonical({"b": 1, "a": "é"}) == b'{"a":"\\u00e9","b":1}'
