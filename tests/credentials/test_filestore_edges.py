"""The file store's limits and less travelled paths: the scrypt bounds a header may declare,
the size cap, the public-key syntax, a lock or a write the OS refuses, the key asked once."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import pytest
from conftest import FAST_KDF, PASSPHRASE, make_file_store
from filekeyring import FileKeyring

from govern.credentials import Secret
from govern.credentials.filestore import (
    MAX_FILE_BYTES,
    FileStore,
    ScryptParams,
    parse_public_key,
)
from govern.errors import InputError, StoreError, UsageError
from govern.fsutil import MiB


def test_the_default_cost_is_owasps_minimum() -> None:
    default = ScryptParams()
    assert (default.n, default.r, default.p) == (2**17, 8, 1)
    assert default.memory == 128 * MiB
    assert default.problem() is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        default.n = 2**14  # type: ignore[misc]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        (ScryptParams(n=2**14, r=1), None),  # the cheapest a file may declare
        (ScryptParams(n=2**18, r=8), None),  # 256 MiB, the memory cap itself
        (ScryptParams(n=2**14, r=8, p=32), None),  # 4x the default's work, the cap itself
        (ScryptParams(n=2**13), "n=8192 is not a power of two of at least 2^14"),
        (ScryptParams(n=2**14 + 2**13), "n=24576 is not a power of two"),
        (ScryptParams(n=2**14, r=0), "r=0, p=1 must be positive"),
        (ScryptParams(n=2**14, p=0), "r=8, p=0 must be positive"),
        (ScryptParams(n=2**19, r=8), "n=524288, r=8 need 512 MiB (at most 256 MiB)"),
        (ScryptParams(n=2**14, r=8, p=33), "are 4.125 times the default work (at most 4)"),
    ],
)
def test_scrypt_bounds(params: ScryptParams, problem: str | None) -> None:
    found = params.problem()
    if problem is None:
        assert found is None
        params.check()
    else:
        assert found is not None and problem in found
        with pytest.raises(StoreError, match="unsupported scrypt parameters"):
            params.check()


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    store = make_file_store(tmp_path / "credentials.enc")
    with store.path.open("r+b") as sparse:
        sparse.truncate(MAX_FILE_BYTES + 1)  # sparse: no 64 MiB written
    with pytest.raises(InputError, match=r"file is too large \(over 64 MiB\)"):
        store.list()
    assert 64 * MiB == MAX_FILE_BYTES


@pytest.mark.parametrize(
    "text",
    [
        "ed25519:" + base64.b64encode(bytes(31)).decode(),
        "ed25519:" + base64.b64encode(bytes(33)).decode(),
        "ed25519:AAAA*AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "ssh-ed25519 " + base64.b64encode(bytes(32)).decode(),
    ],
)
def test_public_key_syntax(text: str) -> None:
    with pytest.raises(UsageError, match="GOVERN_STORE_PUBLIC_KEY is not an Ed25519 public key"):
        parse_public_key(text)


def test_what_is_written_uses_the_documented_sizes(tmp_path: Path) -> None:
    store = make_file_store(tmp_path / "credentials.enc")
    store.put("a", Secret(password="pw"), meta={}, rotated_by="x", reason="r")
    doc = json.loads(store.path.read_text())
    assert len(base64.b64decode(doc["kdf"]["salt"])) == 16
    assert len(base64.b64decode(doc["passphrase_key"]["nonce"])) == 12
    assert len(base64.b64decode(doc["passphrase_key"]["wrapped"])) == 32 + 16  # key + tag
    rec = doc["entries"]["a"]["versions"][0]
    assert len(base64.b64decode(rec["nonce"])) == 12
    assert len(rec["created_at"]) == len("2026-11-30T07:13:05.293430Z")  # microseconds
    assert len(doc["store_id"]) == 32
    assert store.path.read_text().endswith("}\n")


def test_a_lock_the_os_refuses(tmp_path: Path) -> None:
    store = make_file_store(tmp_path / "credentials.enc")
    lock = tmp_path / ".credentials.enc.lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()  # the lock file's name is taken by a directory
    before = store.path.read_bytes()
    with pytest.raises(StoreError, match=r"cannot lock .*\.credentials\.enc\.lock: "):
        store.put("a", Secret(password="pw"), meta={}, rotated_by="x", reason="r")
    assert store.path.read_bytes() == before


def test_a_write_the_os_refuses(tmp_path: Path) -> None:
    """A store whose name is as long as a name may be: the temporary file beside it (a longer
    name) cannot be created, so the write fails cleanly and the file is unchanged."""
    path = tmp_path / ("c" * 240 + ".enc")
    make_file_store(tmp_path / "credentials.enc").path.rename(path)
    store = FileStore(path, env={"GOVERN_PASSPHRASE": PASSPHRASE}, prompt=None)
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"cannot write .*: File name too long; nothing was"):
        store.put("a", Secret(password="pw"), meta={}, rotated_by="x", reason="r")
    assert path.read_bytes() == before


def test_the_passphrase_is_asked_once_per_store_object(tmp_path: Path) -> None:
    path = make_file_store(tmp_path / "credentials.enc").path
    asked: list[str] = []

    def answer(label: str) -> str:
        asked.append(label)
        return PASSPHRASE

    store = FileStore(path, env={}, prompt=answer)
    store.put("a", Secret(password="pw-1"), meta={}, rotated_by="x", reason="r")
    store.put("a", Secret(password="pw-2"), meta={}, rotated_by="x", reason="r")
    assert store.get("a", 1).password == "pw-1"
    assert store.verify() == 1
    assert len(asked) == 1


def test_a_passphrase_for_a_keyring_only_store_is_named_in_the_refusal(
    tmp_path: Path, test_keyring: FileKeyring
) -> None:
    path = tmp_path / "credentials.enc"
    FileStore.create(path, env={}, passphrase=None, use_keyring=True, kdf=FAST_KDF, prompt=None)
    test_keyring.path.unlink()  # the key is gone from this machine's keyring
    store = FileStore(path, env={"GOVERN_PASSPHRASE": PASSPHRASE}, prompt=None)
    with pytest.raises(StoreError) as caught:
        store.verify()
    message = str(caught.value)
    assert message.startswith(f"no key to open {path} (")
    assert "GOVERN_PASSPHRASE is set but this file has no passphrase key" in message
    assert "OS keyring: " in message


def test_create_returns_the_open_store(tmp_path: Path) -> None:
    made = FileStore.create(
        tmp_path / "c.enc", env={}, passphrase=PASSPHRASE, use_keyring=False, kdf=FAST_KDF
    )
    assert isinstance(made, FileStore) and made.describe() == f"file:{tmp_path / 'c.enc'}"
    made.put("a", Secret(password="pw"), meta={}, rotated_by="x", reason="r")  # key kept
    assert made.get("a").password == "pw"


def test_an_unreadable_store_is_a_store_error() -> None:
    """/proc/self/mem is a regular file whose read fails (EIO)."""
    if not Path("/proc/self/mem").exists():
        pytest.skip("needs Linux /proc")
    store = FileStore(Path("/proc/self/mem"), env={}, prompt=None)
    with pytest.raises(StoreError, match=r"cannot read /proc/self/mem: Input/output error"):
        store.list()


def test_verify_without_key_or_public_key_is_a_usage_error(tmp_path: Path) -> None:
    path = make_file_store(tmp_path / "credentials.enc").path
    with pytest.raises(UsageError, match="no key and no GOVERN_STORE_PUBLIC_KEY to verify"):
        FileStore(path, env={}, prompt=None).verify_metadata()


@pytest.mark.parametrize(("rotated_by", "reason"), [("", "r"), ("  ", "r"), ("x", "bad\x00")])
def test_a_write_needs_who_and_why(tmp_path: Path, rotated_by: str, reason: str) -> None:
    store = make_file_store(tmp_path / "credentials.enc")
    before = store.path.read_bytes()
    with pytest.raises(UsageError):
        store.put("a", Secret(password="pw"), meta={}, rotated_by=rotated_by, reason=reason)
    assert store.path.read_bytes() == before


def test_a_signature_with_a_stray_character_is_refused(tmp_path: Path) -> None:
    """Base64 is decoded strictly: a valid signature with one character that is not base64
    inserted does not pass as that signature."""
    store = make_file_store(tmp_path / "credentials.enc")
    store.put("a", Secret(password="pw"), meta={}, rotated_by="x", reason="r")
    doc = json.loads(store.path.read_text())
    doc["signature"] = doc["signature"][:10] + "*" + doc["signature"][10:]
    store.path.write_text(json.dumps(doc))
    public = FileStore(store.path, env={"GOVERN_STORE_PUBLIC_KEY": store.public_key()}, prompt=None)
    with pytest.raises(StoreError, match="failed its signature check"):
        public.list()
