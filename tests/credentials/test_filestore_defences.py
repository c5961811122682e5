"""Each defence of the file store on its own. The whole-file MAC stops every edit made without
the key, so here most edits are re-sealed by someone holding it (storeformat.Forger: MAC and
signature recomputed); then the per-entry binding, the decryption, the entry checks or the
signature has to catch the edit by itself. And the MAC alone: a rolled-back entry in a file
without a signature (as written before signatures existed) is refused by `store verify`."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import PASSPHRASE, make_file_store
from filekeyring import FileKeyring
from storeformat import Forger, b64, canonical

from govern.cli.creds import store as store_command
from govern.credentials import Secret
from govern.credentials.filestore import FileStore
from govern.errors import StoreError

SECRET_A = Secret(username="user-a", password="alpha-secret-password")
SECRET_B = Secret(username="user-b", password="bravo-secret-password")
Doc = dict[str, Any]


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    """Two entries; acct-a has two versions."""
    made = make_file_store(tmp_path / "credentials.enc")
    made.put("acct-a", SECRET_A, meta={"platform": "x"}, rotated_by="alice", reason="set")
    made.put("acct-b", SECRET_B, meta={"platform": "x"}, rotated_by="alice", reason="set")
    made.put("acct-a", Secret(password="a-v2"), meta={}, rotated_by="bob", reason="jdoe left")
    return made


@pytest.fixture
def forger(store: FileStore) -> Forger:
    return Forger.of(store.path, PASSPHRASE)


def fresh(store: FileStore, **env: str) -> FileStore:
    """Another process's view of the file: no keys cached."""
    return FileStore(store.path, env={"GOVERN_PASSPHRASE": PASSPHRASE, **env}, prompt=None)


def edit_unsealed(path: Path, change: Callable[[Doc], None]) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=1, sort_keys=True))


def verify_cli(store: FileStore) -> tuple[int, str]:
    result = CliRunner().invoke(
        store_command,
        ["verify", "--store", f"file:{store.path}"],
        env={"GOVERN_PASSPHRASE": PASSPHRASE, "GOVERN_STORE_PUBLIC_KEY": ""},
    )
    return result.exit_code, result.stdout + result.stderr


def test_resealing_alone_is_accepted(store: FileStore, forger: Forger) -> None:
    """The forger's re-seal is faithful: an unchanged document re-sealed still verifies, so
    every refusal below comes from the edit, not from the re-seal."""
    forger.edit(store.path, lambda doc: None)
    assert fresh(store).verify() == 2
    assert fresh(store).get("acct-a", 1) == SECRET_A


# -- the whole-file MAC, on its own ------------------------------------------------------------


def roll_back_acct_a(store: FileStore, old: Doc) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        doc["entries"]["acct-a"] = old["entries"]["acct-a"]

    return change


def test_rolled_back_entry_in_an_unsigned_file_fails_store_verify(
    store: FileStore, forger: Forger
) -> None:
    """A file written before signatures existed (no `signature`) with one entry put back to
    an old copy from git history: only the MAC can tell, and `store verify` must say so."""
    forger.edit(store.path, lambda doc: [doc.pop("signature"), doc.pop("signing_key")])
    assert fresh(store).verify() == 2  # an unsigned file passes until its next write
    old = json.loads(store.path.read_text())
    unsigned = fresh(store)
    unsigned.put("acct-a", Secret(password="a-v3"), meta={}, rotated_by="c", reason="rotated")
    forger.edit(store.path, lambda doc: [doc.pop("signature"), doc.pop("signing_key")])
    edit_unsealed(store.path, roll_back_acct_a(store, old))  # no key: the MAC stays stale
    with pytest.raises(StoreError, match=r"integrity check.*rolled-back"):
        fresh(store).verify()
    code, output = verify_cli(store)
    assert code == 2 and "failed its integrity check" in output, output
    with pytest.raises(StoreError, match="integrity check"):
        fresh(store).get("acct-a")


def test_rolled_back_entry_in_a_signed_file_fails_on_the_mac_first(store: FileStore) -> None:
    old = json.loads(store.path.read_text())
    fresh(store).put("acct-a", Secret(password="a-v3"), meta={}, rotated_by="c", reason="r")
    edit_unsealed(store.path, roll_back_acct_a(store, old))
    with pytest.raises(StoreError, match="integrity check"):
        fresh(store).verify()
    code, output = verify_cli(store)
    assert code == 2 and "failed its integrity check" in output, output


def test_stale_mac_alone_is_refused(store: FileStore) -> None:
    """Nothing changed but the MAC: every keyed read and write refuses, nothing is written."""

    def stale(doc: Doc) -> None:
        doc["mac"] = b64(bytes(32))

    edit_unsealed(store.path, stale)
    before = store.path.read_bytes()
    for attempt in (
        lambda s: s.verify(),
        lambda s: s.get("acct-b"),
        lambda s: s.put("acct-c", SECRET_A, meta={}, rotated_by="a", reason="r"),
        lambda s: s.delete("acct-b"),
        lambda s: s.rotate_many(["acct-b"], lambda ref: "new-pw", rotated_by="a", reason="r"),
    ):
        with pytest.raises(StoreError, match="integrity check"):
            attempt(fresh(store))
    assert store.path.read_bytes() == before


# -- the per-entry binding, with the MAC and signature recomputed ------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_at", "2020-01-01T00:00:00.000000Z"),
        ("rotated_by", "mallory"),
        ("reason", "routine"),
        ("meta", {"account": "acct-a", "platform": "y"}),
    ],
)
def test_each_bound_field_is_bound(
    store: FileStore, forger: Forger, field: str, value: Any
) -> None:
    """Metadata edited and the file re-sealed: the version's ciphertext no longer opens."""

    def change(doc: Doc) -> None:
        doc["entries"]["acct-a"]["versions"][0][field] = value

    forger.edit(store.path, change)
    with pytest.raises(StoreError, match="integrity check"):
        fresh(store).get("acct-a", 1)
    with pytest.raises(StoreError, match="integrity check"):
        fresh(store).verify()
    assert fresh(store).get("acct-a", 2).password == "a-v2"  # the other version is intact


def test_ciphertext_moved_to_another_entry(store: FileStore, forger: Forger) -> None:
    def swap(doc: Doc) -> None:
        a = doc["entries"]["acct-a"]["versions"][0]
        b = doc["entries"]["acct-b"]["versions"][0]
        for key in ("nonce", "ciphertext"):
            a[key], b[key] = b[key], a[key]

    forger.edit(store.path, swap)
    for ref in ("acct-a", "acct-b"):
        with pytest.raises(StoreError, match="integrity check"):
            fresh(store).get(ref, 1)
    with pytest.raises(StoreError, match="integrity check"):
        fresh(store).verify()


def test_ciphertext_moved_to_another_version(store: FileStore, forger: Forger) -> None:
    """Version 1's secret offered as version 2 (an old password passed off as the current)."""

    def swap(doc: Doc) -> None:
        one, two = doc["entries"]["acct-a"]["versions"]
        for key in ("nonce", "ciphertext"):
            one[key], two[key] = two[key], one[key]

    forger.edit(store.path, swap)
    with pytest.raises(StoreError, match="integrity check"):
        fresh(store).get("acct-a")
    with pytest.raises(StoreError, match="integrity check"):
        fresh(store).verify()


def test_ciphertext_from_another_store(store: FileStore, tmp_path: Path) -> None:
    """Same passphrase, same ref, but another store id: the data keys differ."""
    other = make_file_store(tmp_path / "other.enc")
    other.put("acct-b", Secret(password="from-elsewhere"), meta={}, rotated_by="a", reason="r")
    foreign = json.loads(other.path.read_text())["entries"]["acct-b"]["versions"][0]

    def graft(doc: Doc) -> None:
        rec = doc["entries"]["acct-b"]["versions"][0]
        rec["nonce"], rec["ciphertext"] = foreign["nonce"], foreign["ciphertext"]

    Forger.of(store.path, PASSPHRASE).edit(store.path, graft)
    with pytest.raises(StoreError, match="integrity check"):
        fresh(store).get("acct-b")


# -- decryption and payload, with the MAC and signature recomputed ----------------------------


def test_flipped_ciphertext_byte_behind_a_valid_mac(store: FileStore, forger: Forger) -> None:
    def flip(doc: Doc) -> None:
        rec = doc["entries"]["acct-b"]["versions"][0]
        raw = bytearray(base64.b64decode(rec["ciphertext"]))
        raw[-1] ^= 0x80  # in the GCM tag
        rec["ciphertext"] = b64(bytes(raw))

    forger.edit(store.path, flip)
    with pytest.raises(StoreError, match="integrity check"):
        fresh(store).get("acct-b")
    with pytest.raises(StoreError, match="integrity check"):
        fresh(store).verify()
    assert fresh(store).get("acct-a", 1) == SECRET_A


@pytest.mark.parametrize(
    ("plain", "match"),
    [
        (b"not json at all", "integrity check"),
        (canonical(["a", "list"]), "integrity check"),
        (canonical({"password": 5}), "malformed.*expected text fields"),
        (canonical({"password": "p", "username": 7}), "malformed.*username is not text"),
    ],
)
def test_sealed_payload_that_is_not_a_secret(
    store: FileStore, forger: Forger, plain: bytes, match: str
) -> None:
    """Properly sealed under the right binding, but not a secret: refused, never half-read."""

    def replace(doc: Doc) -> None:
        forger.seal("acct-b", doc["entries"]["acct-b"]["versions"][0], plain, bytes(12))

    forger.edit(store.path, replace)
    with pytest.raises(StoreError, match=match):
        fresh(store).get("acct-b")
    assert fresh(store).verify() == 2  # verify checks each seal, not what is inside


def test_sealed_payload_is_read_back(store: FileStore, forger: Forger) -> None:
    """The converse of the test above: a payload the forger seals correctly opens, so the
    refusals there are about the payload."""

    def replace(doc: Doc) -> None:
        plain = canonical({"password": "forged", "totp": "T"}) + b"  "
        forger.seal("acct-b", doc["entries"]["acct-b"]["versions"][0], plain, bytes(12))

    forger.edit(store.path, replace)
    assert fresh(store).get("acct-b") == Secret(password="forged", fields={"totp": "T"})


@pytest.mark.parametrize("field", ["nonce", "ciphertext"])
def test_undecodable_nonce_or_ciphertext(store: FileStore, forger: Forger, field: str) -> None:
    def garble(doc: Doc) -> None:
        doc["entries"]["acct-b"]["versions"][0][field] = "not*base64"

    forger.edit(store.path, garble)
    with pytest.raises(StoreError, match=f"malformed credentials file: bad {field}"):
        fresh(store).get("acct-b")
    with pytest.raises(StoreError, match=f"malformed credentials file: bad {field}"):
        fresh(store).verify()


# -- malformed entries, with the MAC and signature recomputed ---------------------------------


def _set(path: list[Any], value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        target: Any = doc["entries"]
        for step in path[:-1]:
            target = target[step]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


_DELETE = object()


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (_set(["acct-b"], ["not", "an", "entry"]), "entry 'acct-b'"),
        (_set(["acct-b", "versions"], {}), "entry 'acct-b'"),
        (_set(["acct-b", "versions"], []), "entry 'acct-b'"),
        (_set(["acct-b", "versions", 0], "v1"), "entry 'acct-b' version 1"),
        (_set(["acct-b", "versions", 0, "version"], 2), "entry 'acct-b' version 1"),
        (_set(["acct-b", "versions", 0, "version"], "1"), "entry 'acct-b' version 1"),
        (_set(["acct-a", "versions", 1, "version"], 3), "entry 'acct-a' version 2"),
        (_set(["acct-b", "versions", 0, "reason"], _DELETE), "entry 'acct-b' version 1"),
        (_set(["acct-b", "versions", 0, "rotated_by"], None), "entry 'acct-b' version 1"),
        (_set(["acct-b", "versions", 0, "created_at"], 20261130), "entry 'acct-b' version 1"),
        (_set(["acct-b", "versions", 0, "nonce"], _DELETE), "entry 'acct-b' version 1"),
        (_set(["acct-b", "versions", 0, "ciphertext"], 0), "entry 'acct-b' version 1"),
        (_set(["acct-b", "versions", 0, "meta"], ["x"]), "entry 'acct-b' version 1"),
        (_set(["acct-b", "versions", 0, "meta", "platform"], 1), "entry 'acct-b' version 1"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_malformed_entry(
    store: FileStore, forger: Forger, change: Callable[[Doc], None], what: str
) -> None:
    """Caught by the entry checks (the MAC is valid): a clear message, never a traceback, for
    the keyless reads as for the keyed ones."""
    forger.edit(store.path, change)
    message = f"malformed credentials file: bad {what}"
    for attempt in (
        lambda s: s.verify(),
        lambda s: s.get(what.split("'")[1]),
        lambda s: s.list(),
        lambda s: s.metadata(what.split("'")[1]),
    ):
        with pytest.raises(StoreError, match=message):
            attempt(fresh(store))
    public = FileStore(store.path, env={"GOVERN_STORE_PUBLIC_KEY": forger.public_key}, prompt=None)
    with pytest.raises(StoreError, match=message):
        public.verify_metadata()


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc.update(store_id=5),
        lambda doc: doc.update(entries=[]),
        lambda doc: doc.update(key_check=None),
        lambda doc: doc.update(mac=None),
        lambda doc: doc.update(kdf="scrypt"),
        lambda doc: doc["kdf"].update(name="argon2id"),
        lambda doc: doc["kdf"].update(n="16384"),
        lambda doc: doc["kdf"].pop("p"),
    ],
)
def test_malformed_header(store: FileStore, change: Callable[[Doc], None]) -> None:
    edit_unsealed(store.path, change)
    for attempt in (lambda s: s.list(), lambda s: s.get("acct-a"), lambda s: s.verify()):
        with pytest.raises(StoreError, match="malformed credentials file: bad header"):
            attempt(fresh(store))


# -- the key check and the wrapped key ----------------------------------------------------------


def test_wrapped_key_altered(store: FileStore) -> None:
    def flip(doc: Doc) -> None:
        raw = bytearray(base64.b64decode(doc["passphrase_key"]["wrapped"]))
        raw[0] ^= 1
        doc["passphrase_key"]["wrapped"] = b64(bytes(raw))

    edit_unsealed(store.path, flip)
    with pytest.raises(StoreError, match=r"wrong passphrase .*key header was altered"):
        fresh(store).get("acct-a")


@pytest.mark.parametrize("wrapped", [None, "text", {"nonce": "AAAA"}, {"nonce": 1, "wrapped": 2}])
def test_wrapped_key_malformed(store: FileStore, wrapped: Any) -> None:
    edit_unsealed(store.path, lambda doc: doc.update(passphrase_key=wrapped))
    with pytest.raises(
        StoreError, match=r"no key to open|malformed credentials file: bad passphrase"
    ):
        fresh(store).get("acct-a")


def test_key_check_altered(store: FileStore, forger: Forger) -> None:
    """The data key unwraps, but the file's key check names another key: refused before use
    (even with the MAC recomputed under the real key)."""
    forger.edit(store.path, lambda doc: doc.update(key_check=b64(bytes(32))))
    with pytest.raises(StoreError, match="integrity check"):
        fresh(store).get("acct-a")


def test_keyring_key_that_does_not_open_the_file(
    store: FileStore, tmp_path: Path, test_keyring: FileKeyring, forger: Forger
) -> None:
    ring = {"service": "govern", "username": "credentials-file:test"}
    forger.edit(store.path, lambda doc: doc.update(keyring=ring))
    test_keyring.set_password(ring["service"], ring["username"], b64(bytes(32)))
    keyless = FileStore(store.path, env={}, prompt=None)
    with pytest.raises(StoreError, match="the key in the OS keyring does not open"):
        keyless.get("acct-a")
    test_keyring.set_password(ring["service"], ring["username"], "not base64!")
    with pytest.raises(StoreError, match="the key in the OS keyring does not open"):
        keyless.get("acct-a")
    test_keyring.set_password(ring["service"], ring["username"], b64(forger.data_key))
    assert keyless.get("acct-a", 1) == SECRET_A


# -- the metadata signature, on its own (the MAC recomputed) ----------------------------------


def test_stale_signature_fails_verify_but_not_reads(store: FileStore, forger: Forger) -> None:
    """Metadata re-MACed but not re-signed (entries added by hand): `verify` checks the
    signature against the store's own key even without GOVERN_STORE_PUBLIC_KEY."""

    def add_note(doc: Doc) -> None:
        doc["entries"]["acct-b"]["versions"][0]["reason"] = "edited"
        forger.seal(
            "acct-b",
            doc["entries"]["acct-b"]["versions"][0],
            canonical({"password": "p"}),
            bytes(12),
        )

    forger.edit(store.path, add_note, sign=False)
    with pytest.raises(StoreError, match="failed its signature check"):
        fresh(store).verify()
    assert fresh(store).get("acct-b").password == "p"  # the MAC holds: keyed reads go on
    code, output = verify_cli(store)
    assert code == 2 and "failed its signature check" in output


def test_trusted_key_of_another_store(store: FileStore, tmp_path: Path) -> None:
    """GOVERN_STORE_PUBLIC_KEY names another store: verify with the key refuses too."""
    other = Forger.of(make_file_store(tmp_path / "other.enc").path, PASSPHRASE)
    with pytest.raises(StoreError, match="failed its signature check"):
        fresh(store, GOVERN_STORE_PUBLIC_KEY=other.public_key).verify()
    mine = Forger.of(store.path, PASSPHRASE).public_key
    assert fresh(store, GOVERN_STORE_PUBLIC_KEY=mine).verify() == 2


@pytest.mark.parametrize("signature", [None, 7, "not*base64", b64(bytes(64))])
def test_keyless_read_with_a_bad_signature(store: FileStore, signature: Any) -> None:
    edit_unsealed(store.path, lambda doc: doc.update(signature=signature))
    mine = Forger.of(store.path, PASSPHRASE).public_key
    keyless = FileStore(store.path, env={"GOVERN_STORE_PUBLIC_KEY": mine}, prompt=None)
    for attempt in (lambda: keyless.list(), lambda: keyless.metadata("acct-a")):
        with pytest.raises(StoreError, match="failed its signature check"):
            attempt()
