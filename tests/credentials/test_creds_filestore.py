"""The encrypted-file store: key sources, tampering, atomicity, locking, file mode."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest
from conftest import FAST_KDF, PASSPHRASE, make_file_store
from filekeyring import BrokenKeyring, FileKeyring

from govern.credentials import CredentialNotFound, NewCredential, Secret
from govern.credentials.filestore import FileStore
from govern.errors import StoreError, UsageError

SECRET_A = Secret(username="user-a", password="alpha-secret-password")
SECRET_B = Secret(username="user-b", password="bravo-secret-password")


def fill(store: FileStore) -> None:
    store.put("acct-a", SECRET_A, meta={"platform": "x"}, rotated_by="alice", reason="set")
    store.put("acct-b", SECRET_B, meta={"platform": "x"}, rotated_by="alice", reason="set")


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=1, sort_keys=True))


def assert_refused_without_change(store: FileStore, match: str) -> None:
    """Reading the secret and writing both fail with `match`, and the file stays as it was."""
    before = store.path.read_bytes()
    with pytest.raises(StoreError, match=match):
        store.get("acct-a")
    with pytest.raises(StoreError, match=match):
        store.put("acct-c", SECRET_A, meta={}, rotated_by="alice", reason="set")
    with pytest.raises(StoreError, match=match):
        store.delete("acct-a")
    assert store.path.read_bytes() == before


def no_key_store(path: Path) -> FileStore:
    return FileStore(path, env={}, prompt=None)


# -- key sources ------------------------------------------------------------------------------


def test_metadata_and_list_need_no_key(file_store: FileStore) -> None:
    fill(file_store)
    keyless = no_key_store(file_store.path)
    assert [m.ref for m in keyless.list()] == ["acct-a", "acct-b"]
    meta = keyless.metadata("acct-a")
    assert meta is not None and meta.rotated_by == "alice" and meta.meta["platform"] == "x"
    with pytest.raises(StoreError, match="no key to open"):
        keyless.get("acct-a")


def test_no_key_source_says_what_to_set(file_store: FileStore) -> None:
    fill(file_store)
    with pytest.raises(StoreError) as info:
        no_key_store(file_store.path).get("acct-a")
    text = info.value.diagnostics()
    assert "GOVERN_PASSPHRASE" in text and "no terminal to prompt" in text
    assert PASSPHRASE not in text


def test_wrong_passphrase_changes_nothing(file_store: FileStore) -> None:
    fill(file_store)
    wrong = FileStore(file_store.path, env={"GOVERN_PASSPHRASE": "not the passphrase"}, prompt=None)
    assert_refused_without_change(wrong, "wrong passphrase")


def test_prompt_is_the_last_key_source(file_store: FileStore) -> None:
    fill(file_store)
    asked: list[str] = []

    def answer(label: str) -> str:
        asked.append(label)
        return PASSPHRASE

    assert FileStore(file_store.path, env={}, prompt=answer).get("acct-a") == SECRET_A
    assert asked == [f"Passphrase for {file_store.path}"]
    wrong = FileStore(file_store.path, env={}, prompt=lambda _: "a wrong guess")
    with pytest.raises(StoreError, match=r"wrong passphrase .*from the passphrase"):
        wrong.get("acct-a")


def test_keyring_only_store(tmp_path: Path, test_keyring: FileKeyring) -> None:
    path = tmp_path / "credentials.enc"
    FileStore.create(path, env={}, passphrase=None, use_keyring=True, kdf=FAST_KDF, prompt=None)
    store = no_key_store(path)
    fill(store)
    assert no_key_store(path).get("acct-b") == SECRET_B
    doc = json.loads(path.read_text())
    assert doc["passphrase_key"] is None
    assert doc["keyring"]["service"] == "govern"
    # The data key in the keyring is not in the file.
    stored_key = test_keyring.get_password("govern", doc["keyring"]["username"])
    assert stored_key and stored_key not in path.read_text()
    # A different key under that name (another machine's store) is refused clearly.
    test_keyring.set_password("govern", doc["keyring"]["username"], "A" * 44)
    with pytest.raises(StoreError, match="key in the OS keyring does not open"):
        no_key_store(path).get("acct-a")


def test_passphrase_and_keyring_both_open_the_file(
    tmp_path: Path, test_keyring: FileKeyring
) -> None:
    path = tmp_path / "credentials.enc"
    FileStore.create(
        path, env={}, passphrase=PASSPHRASE, use_keyring=True, kdf=FAST_KDF, prompt=None
    )
    fill(no_key_store(path))
    assert FileStore(path, env={"GOVERN_PASSPHRASE": PASSPHRASE}).get("acct-a") == SECRET_A
    keyring.set_keyring(keyring.backends.fail.Keyring())  # the keyring goes away
    with pytest.raises(StoreError, match="no OS keyring backend is available"):
        no_key_store(path).get("acct-a")
    assert FileStore(path, env={"GOVERN_PASSPHRASE": PASSPHRASE}).get("acct-a") == SECRET_A


def test_broken_keyring_backend_is_reported_not_raised(
    tmp_path: Path, test_keyring: FileKeyring
) -> None:
    path = tmp_path / "credentials.enc"
    FileStore.create(
        path, env={}, passphrase=PASSPHRASE, use_keyring=True, kdf=FAST_KDF, prompt=None
    )
    keyring.set_keyring(BrokenKeyring())
    assert no_key_store(path).list() == []  # metadata never touches the keyring
    with pytest.raises(StoreError, match=r"the OS keyring failed \(RuntimeError\)") as info:
        no_key_store(path).put("acct-a", SECRET_A, meta={}, rotated_by="a", reason="set")
    assert "DBus" not in info.value.diagnostics()  # the backend's own text is not relayed
    FileStore(path, env={"GOVERN_PASSPHRASE": PASSPHRASE}).put(
        "acct-a", SECRET_A, meta={}, rotated_by="a", reason="set"
    )
    with pytest.raises(StoreError, match="OS keyring failed"):
        FileStore.create(
            tmp_path / "other.enc",
            env={},
            passphrase=None,
            use_keyring=True,
            kdf=FAST_KDF,
            prompt=None,
        )
    assert not (tmp_path / "other.enc").exists()


def test_create_refuses_to_overwrite_and_needs_a_key_source(file_store: FileStore) -> None:
    before = file_store.path.read_bytes()
    with pytest.raises(StoreError, match="already exists"):
        FileStore.create(
            file_store.path, env={}, passphrase=PASSPHRASE, use_keyring=False, kdf=FAST_KDF
        )
    assert file_store.path.read_bytes() == before
    with pytest.raises(UsageError, match="passphrase or the OS keyring"):
        FileStore.create(
            file_store.path.with_name("x.enc"), env={}, passphrase=None, use_keyring=False
        )


# -- damaged and tampered files ---------------------------------------------------------------


def test_truncated_file(file_store: FileStore) -> None:
    fill(file_store)
    data = file_store.path.read_bytes()
    file_store.path.write_bytes(data[: len(data) // 2])
    assert_refused_without_change(file_store, "not valid JSON")
    with pytest.raises(StoreError, match="truncated or corrupt"):
        file_store.list()


def test_flipped_ciphertext_byte(file_store: FileStore) -> None:
    fill(file_store)

    def flip(doc: dict[str, Any]) -> None:
        rec = doc["entries"]["acct-b"]["versions"][0]
        raw = bytearray(base64.b64decode(rec["ciphertext"]))
        raw[3] ^= 0x01
        rec["ciphertext"] = base64.b64encode(bytes(raw)).decode()

    edit(file_store.path, flip)
    assert_refused_without_change(file_store, "integrity check")


def test_swapped_entries(file_store: FileStore) -> None:
    fill(file_store)

    def swap(doc: dict[str, Any]) -> None:
        a, b = doc["entries"]["acct-a"], doc["entries"]["acct-b"]
        doc["entries"]["acct-a"], doc["entries"]["acct-b"] = b, a

    edit(file_store.path, swap)
    assert_refused_without_change(file_store, "integrity check")


def test_swapped_ciphertexts_only(file_store: FileStore) -> None:
    fill(file_store)

    def swap(doc: dict[str, Any]) -> None:
        a = doc["entries"]["acct-a"]["versions"][0]
        b = doc["entries"]["acct-b"]["versions"][0]
        for key in ("nonce", "ciphertext"):
            a[key], b[key] = b[key], a[key]

    edit(file_store.path, swap)
    assert_refused_without_change(file_store, "integrity check")


def test_rolled_back_entry(file_store: FileStore) -> None:
    """An old copy of one entry (from git history) put back into the current file."""
    fill(file_store)
    old = json.loads(file_store.path.read_text())
    file_store.put(
        "acct-a", Secret(password="after-rotation"), meta={}, rotated_by="bob", reason="jdoe left"
    )

    def roll_back(doc: dict[str, Any]) -> None:
        doc["entries"]["acct-a"] = old["entries"]["acct-a"]

    edit(file_store.path, roll_back)
    assert_refused_without_change(file_store, "rolled-back")


def test_dropped_latest_version(file_store: FileStore) -> None:
    fill(file_store)
    file_store.put(
        "acct-a", Secret(password="after-rotation"), meta={}, rotated_by="bob", reason="rotation"
    )
    edit(file_store.path, lambda doc: doc["entries"]["acct-a"]["versions"].pop())
    assert_refused_without_change(file_store, "integrity check")


def test_edited_metadata(file_store: FileStore) -> None:
    fill(file_store)

    def forge(doc: dict[str, Any]) -> None:
        doc["entries"]["acct-a"]["versions"][0]["rotated_by"] = "mallory"

    edit(file_store.path, forge)
    assert_refused_without_change(file_store, "integrity check")


@pytest.mark.parametrize(
    "content", [b"", b"accounts: []\n", b'{"format": "sops"}', b"[1, 2]", b"\x00\xff\x00garbage"]
)
def test_not_a_govern_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "credentials.enc"
    path.write_bytes(content)
    store = FileStore(path, env={"GOVERN_PASSPHRASE": PASSPHRASE}, prompt=None)
    with pytest.raises(StoreError, match=r"not valid JSON|not a govern credentials file"):
        store.list()
    with pytest.raises(StoreError, match=r"not valid JSON|not a govern credentials file"):
        store.put("acct-a", SECRET_A, meta={}, rotated_by="a", reason="set")
    assert path.read_bytes() == content


def test_newer_format_and_hostile_kdf_parameters(file_store: FileStore) -> None:
    fill(file_store)
    edit(file_store.path, lambda doc: doc["kdf"].update(n=2**30))
    with pytest.raises(StoreError, match="tampered header"):
        file_store_fresh(file_store).get("acct-a")
    edit(file_store.path, lambda doc: doc.update(format_version=2))
    with pytest.raises(StoreError, match="format version 2"):
        file_store.list()


def file_store_fresh(store: FileStore) -> FileStore:
    return FileStore(store.path, env={"GOVERN_PASSPHRASE": PASSPHRASE}, prompt=None)


def test_missing_file(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "nothing.enc", env={}, prompt=None)
    with pytest.raises(StoreError, match="does not exist") as info:
        store.list()
    assert "govern store init" in info.value.diagnostics()


# -- writes -----------------------------------------------------------------------------------


def test_file_is_0600_and_no_temp_files_remain(file_store: FileStore) -> None:
    assert stat.S_IMODE(file_store.path.stat().st_mode) == 0o600
    os.chmod(file_store.path, 0o644)  # as a git checkout leaves it
    fill(file_store)
    assert stat.S_IMODE(file_store.path.stat().st_mode) == 0o600
    leftovers = [p.name for p in file_store.path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_refused_batch_writes_nothing(file_store: FileStore) -> None:
    """put_many is all or nothing: one bad item and no item is stored."""
    fill(file_store)
    before = file_store.path.read_bytes()
    items = [
        NewCredential(ref="acct-c", secret=SECRET_A),
        NewCredential(ref="../escape", secret=SECRET_B),
    ]
    with pytest.raises(UsageError, match="invalid account id"):
        file_store.put_many(items, rotated_by="a", reason="import")
    assert file_store.path.read_bytes() == before
    assert file_store.metadata("acct-c") is None


def test_every_version_is_kept_and_readable(file_store: FileStore) -> None:
    for i in range(1, 6):
        file_store.put(
            "acct-a",
            Secret(password=f"password-{i}"),
            meta={},
            rotated_by="a",
            reason=f"rotation {i}",
        )
    assert [file_store.get("acct-a", i).password for i in range(1, 6)] == [
        f"password-{i}" for i in range(1, 6)
    ]
    with pytest.raises(CredentialNotFound, match="versions 1 to 5"):
        file_store.get("acct-a", 6)
    assert file_store.verify() == 1


def test_ciphertext_does_not_reveal_password_length_exactly(file_store: FileStore) -> None:
    file_store.put("short", Secret(password="a"), meta={}, rotated_by="a", reason="set")
    file_store.put("longer", Secret(password="a" * 20), meta={}, rotated_by="a", reason="set")
    doc = json.loads(file_store.path.read_text())
    sizes = {ref: len(e["versions"][0]["ciphertext"]) for ref, e in doc["entries"].items()}
    assert sizes["short"] == sizes["longer"]
    assert "a" * 20 not in file_store.path.read_text()


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from govern.credentials import Secret
    from govern.credentials.filestore import FileStore
    path, prefix, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = FileStore(path, env={"GOVERN_PASSPHRASE": sys.argv[4]}, prompt=None,
                      lock_timeout=60)
    for i in range(count):
        store.put(f"{prefix}-{i}", Secret(password=f"{prefix}-pw-{i}"), meta={},
                  rotated_by=prefix, reason="concurrency test")
""")


def test_concurrent_writers_in_two_processes_are_serialized(file_store: FileStore) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(file_store.path), name, "25", PASSPHRASE],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    refs = [m.ref for m in file_store.list()]
    assert len(refs) == 50
    assert file_store.get("one-24").password == "one-pw-24"
    assert file_store.get("two-0").password == "two-pw-0"
    assert file_store.verify() == 50


HOLDER = textwrap.dedent("""
    import sys, time
    from filelock import FileLock
    with FileLock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def test_second_writer_times_out_clearly(file_store: FileStore) -> None:
    fill(file_store)
    before = file_store.path.read_bytes()
    lock = file_store.path.with_name(f".{file_store.path.name}.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), "5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        waiting = FileStore(
            file_store.path, env={"GOVERN_PASSPHRASE": PASSPHRASE}, prompt=None, lock_timeout=0.3
        )
        with pytest.raises(StoreError, match="being changed by another govern process"):
            waiting.put("acct-c", SECRET_A, meta={}, rotated_by="a", reason="set")
        assert waiting.get("acct-a") == SECRET_A  # reads do not wait for writers
    finally:
        holder.kill()
        holder.wait()
    assert file_store.path.read_bytes() == before


def test_messages_never_contain_secrets(file_store: FileStore) -> None:
    fill(file_store)
    messages: list[str] = []
    for attempt in (
        lambda: FileStore(
            file_store.path, env={"GOVERN_PASSPHRASE": "wrong-passphrase-x"}, prompt=None
        ).get("acct-a"),
        lambda: file_store.get("acct-a", 9),
        lambda: file_store.put("bad/ref", SECRET_A, meta={}, rotated_by="a", reason="r"),
        lambda: Secret(password="alpha-secret-password", fields={"Bad": "bravo-secret"}),
    ):
        with pytest.raises((StoreError, UsageError)) as info:
            attempt()
        messages.append(info.value.diagnostics() + repr(info.value) + str(info.value))
    text = "\n".join(messages)
    for value in (
        PASSPHRASE,
        "wrong-passphrase-x",
        "alpha-secret-password",
        "bravo-secret",
        "user-a",
    ):
        assert value not in text
    assert "alpha-secret-password" not in repr(file_store) + repr(file_store._keys)


def test_make_file_store_uses_a_low_but_valid_cost(tmp_path: Path) -> None:
    store = make_file_store(tmp_path / "c.enc")
    assert json.loads(store.path.read_text())["kdf"]["n"] == FAST_KDF.n
