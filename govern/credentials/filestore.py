"""The encrypted-file store: one JSON file, safe to commit, readable metadata, sealed secrets.

Layout (format version 1)::

    {"format": "govern-credentials", "format_version": 1, "store_id": "<hex>",
     "kdf": {"name": "scrypt", "n": 131072, "r": 8, "p": 1, "salt": "<b64>"},
     "passphrase_key": {"nonce": "<b64>", "wrapped": "<b64>"} | null,
     "keyring": {"service": "govern", "username": "credentials-file:<store_id>"} | null,
     "key_check": "<b64>",
     "entries": {"<ref>": {"versions": [{"version": 1, "created_at": ..., "rotated_by": ...,
                                         "reason": ..., "meta": {...},
                                         "nonce": "<b64>", "ciphertext": "<b64>"}, ...]}},
     "mac": "<b64>"}

A random 256-bit data key is wrapped (AES-256-GCM) by a key derived from the passphrase with
scrypt, and/or kept in the OS keyring. Two subkeys are derived from it with HKDF: one seals each
version (AES-256-GCM; the associated data binds store id, ref, version and the version's
metadata, so a ciphertext moved to another entry or version does not open), the other
authenticates the whole document (HMAC-SHA256 over its canonical JSON), so an edited, dropped,
swapped or rolled-back entry is detected before anything is read or written.

Metadata reads need no key. So that a keyless reader (the audit in CI) can still trust them, a
third subkey seeds an Ed25519 key pair: every write signs the document (all but `mac` and
`signature`), and a reader given the public key from outside the file (`GOVERN_STORE_PUBLIC_KEY`,
a CI variable a pull request cannot change) refuses a file whose signature does not verify.
Without that variable, keyless metadata reads are unauthenticated.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from filelock import FileLock, Timeout

from govern.credentials import (
    CredentialMetadata,
    CredentialNotFound,
    NewCredential,
    Prompt,
    Rotation,
    Secret,
    checked_batch,
    format_time,
    keyring_get,
    keyring_set,
    normalize_meta,
    parse_time,
    refuse_duplicates,
    tty_prompt,
    utc_now,
    validate_ref,
    validate_rotation,
)
from govern.errors import StoreError, UsageError
from govern.fsutil import MiB, atomic_write_bytes, read_regular, resolved

FORMAT = "govern-credentials"
FORMAT_VERSION = 1
KEYRING_SERVICE = "govern"
PASSPHRASE_ENV = "GOVERN_PASSPHRASE"
PUBLIC_KEY_ENV = "GOVERN_STORE_PUBLIC_KEY"
PUBLIC_KEY_PREFIX = "ed25519:"
FILE_MODE = 0o600
MAX_FILE_BYTES = 64 * MiB  # some 100,000 versions


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost; the default needs 128 MiB and about 0.4 s (OWASP's minimum for scrypt)."""

    n: int = 2**17
    r: int = 8
    p: int = 1

    @property
    def memory(self) -> int:
        return 128 * self.n * self.r

    @property
    def work(self) -> int:
        return self.n * self.r * self.p

    def problem(self) -> str | None:
        """Why these parameters are out of bounds, or None. The bounds keep a tampered header
        from asking for absurd memory or time: at most twice the default's memory (256 MiB)
        and four times its work (about 1.6 s)."""
        if not (self.n >= 2**14 and self.n & (self.n - 1) == 0):
            return f"n={self.n} is not a power of two of at least 2^14"
        if not (self.r >= 1 and self.p >= 1):
            return f"r={self.r}, p={self.p} must be positive"
        if self.memory > MAX_SCRYPT_MEMORY:
            return (
                f"n={self.n}, r={self.r} need {self.memory // MiB} MiB (at most "
                f"{MAX_SCRYPT_MEMORY // MiB} MiB)"
            )
        if self.work > MAX_SCRYPT_WORK:
            return (
                f"n={self.n}, r={self.r}, p={self.p} are {self.work / _DEFAULT_WORK:g} times "
                f"the default work (at most {MAX_SCRYPT_WORK // _DEFAULT_WORK})"
            )
        return None

    def check(self) -> None:
        """For a new store: out-of-bounds parameters are a usage error."""
        problem = self.problem()
        if problem:
            raise StoreError(f"unsupported scrypt parameters: {problem}")


_DEFAULT_WORK = 2**17 * 8
MAX_SCRYPT_MEMORY = 256 * MiB
MAX_SCRYPT_WORK = 4 * _DEFAULT_WORK


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise _malformed(what)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _malformed(what) from None


def _malformed(what: str) -> StoreError:
    return StoreError(
        f"malformed credentials file: bad {what}", hint="restore the file from version control"
    )


def _subkey(data_key: bytes, store_id: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=store_id.encode(),
        info=f"govern-credentials {purpose} v1".encode(),
    ).derive(data_key)


@dataclass(frozen=True)
class _Keys:
    store_id: str
    seal: AESGCM
    mac_key: bytes
    check: str
    signer: Ed25519PrivateKey

    @classmethod
    def derive(cls, data_key: bytes, store_id: str) -> _Keys:
        check = hmac.new(_subkey(data_key, store_id, "check"), b"key check", hashlib.sha256)
        return cls(
            store_id=store_id,
            seal=AESGCM(_subkey(data_key, store_id, "entries")),
            mac_key=_subkey(data_key, store_id, "mac"),
            check=_b64(check.digest()),
            signer=Ed25519PrivateKey.from_private_bytes(_subkey(data_key, store_id, "sign")),
        )

    @property
    def public_key(self) -> str:
        """The metadata verification key, as `ed25519:<base64>` (the GOVERN_STORE_PUBLIC_KEY)."""
        raw = self.signer.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return PUBLIC_KEY_PREFIX + _b64(raw)

    def sign(self, doc: Mapping[str, Any]) -> str:
        return _b64(self.signer.sign(_signed_body(doc)))

    def __repr__(self) -> str:
        return f"_Keys(store_id={self.store_id}, <hidden>)"

    def mac(self, doc: Mapping[str, Any]) -> str:
        body = {k: v for k, v in doc.items() if k != "mac"}
        return _b64(hmac.new(self.mac_key, canonical(body), hashlib.sha256).digest())


def _signed_body(doc: Mapping[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k not in ("mac", "signature")}
    return canonical({"purpose": "govern-credentials metadata signature v1", "document": body})


def parse_public_key(text: str) -> Ed25519PublicKey:
    """`ed25519:<base64 of 32 bytes>` (as printed by `govern store verify`)."""
    bad = UsageError(
        f"{PUBLIC_KEY_ENV} is not an Ed25519 public key",
        hint="copy the `GOVERN_STORE_PUBLIC_KEY=ed25519:...` line that "
        "`govern store verify` prints (with the key)",
    )
    if not text.startswith(PUBLIC_KEY_PREFIX):
        raise bad
    try:
        raw = base64.b64decode(text[len(PUBLIC_KEY_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise bad from None
    if len(raw) != 32:
        raise bad
    return Ed25519PublicKey.from_public_bytes(raw)


def _wrap_ad(store_id: str, kdf: Mapping[str, Any]) -> bytes:
    return canonical({"format": FORMAT, "store_id": store_id, "kdf": kdf})


def _kek(passphrase: str, kdf: Mapping[str, Any], path: Path | None = None) -> bytes:
    params = ScryptParams(n=kdf["n"], r=kdf["r"], p=kdf["p"])
    problem = params.problem()
    if problem and path is not None:  # read from a file: govern never writes such a header
        raise StoreError(
            f"{path} has a tampered header: its scrypt parameters are out of bounds ({problem}); "
            "no key was derived, nothing was read or changed",
            hint=f"restore it from version control (git log -- {path.name})",
        )
    if problem:
        params.check()
    salt = _unb64(kdf["salt"], "kdf salt")
    return Scrypt(salt=salt, length=32, n=params.n, r=params.r, p=params.p).derive(
        passphrase.encode("utf-8")
    )


def _entry_ad(store_id: str, ref: str, rec: Mapping[str, Any]) -> bytes:
    bound = {k: rec[k] for k in ("version", "created_at", "rotated_by", "reason", "meta")}
    return canonical({"format": FORMAT, "store_id": store_id, "ref": ref, **bound})


def _padded(plain: bytes, block: int = 64) -> bytes:
    """JSON plus trailing spaces to a multiple of `block`, so lengths leak little."""
    return plain + b" " * (-len(plain) % block)


def _check_document(doc: Any, path: Path) -> dict[str, Any]:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise StoreError(
            f"{path} is not a govern credentials file",
            hint="check --store / GOVERN_STORE, or create one with `govern store init`",
        )
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise StoreError(
            f"{path} has format version {version!r}; this govern reads version {FORMAT_VERSION}",
            hint="upgrade govern",
        )
    kdf = doc.get("kdf")
    if (
        not isinstance(doc.get("store_id"), str)
        or not isinstance(doc.get("entries"), dict)
        or not isinstance(doc.get("key_check"), str)
        or not isinstance(kdf, dict)
        or kdf.get("name") != "scrypt"
        or not all(isinstance(kdf.get(k), int) for k in ("n", "r", "p"))
        or not isinstance(doc.get("mac"), str)
    ):
        raise _malformed("header")
    return doc


class FileStore:
    """Credentials in one encrypted file (default `credentials.enc` beside the inventory)."""

    def __init__(
        self,
        path: Path,
        *,
        env: Mapping[str, str],
        prompt: Prompt | None = tty_prompt,
        lock_timeout: float = 10.0,
    ) -> None:
        self.path = Path(path).absolute()
        self._env = env
        self._prompt = prompt
        self._lock_timeout = lock_timeout
        self._keys: _Keys | None = None

    def __repr__(self) -> str:
        return f"FileStore({self.describe()})"

    def describe(self) -> str:
        return f"file:{self.path}"

    # -- creating -----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        *,
        env: Mapping[str, str],
        passphrase: str | None,
        use_keyring: bool,
        kdf: ScryptParams | None = None,
        prompt: Prompt | None = tty_prompt,
        lock_timeout: float = 10.0,
    ) -> FileStore:
        """Create a new, empty store; refuses to overwrite an existing file."""
        if not passphrase and not use_keyring:
            raise UsageError(
                "a new credentials file needs a passphrase or the OS keyring",
                hint=f"set {PASSPHRASE_ENV}, run in a terminal to be prompted, or use --keyring",
            )
        store = cls(path, env=env, prompt=prompt, lock_timeout=lock_timeout)
        params = kdf or ScryptParams()
        params.check()
        store_id = secrets.token_hex(16)
        data_key = AESGCM.generate_key(bit_length=256)
        kdf_doc: dict[str, Any] = {
            "name": "scrypt",
            "n": params.n,
            "r": params.r,
            "p": params.p,
            "salt": _b64(os.urandom(16)),
        }
        wrapped: dict[str, str] | None = None
        if passphrase:
            nonce = os.urandom(12)
            sealed = AESGCM(_kek(passphrase, kdf_doc)).encrypt(
                nonce, data_key, _wrap_ad(store_id, kdf_doc)
            )
            wrapped = {"nonce": _b64(nonce), "wrapped": _b64(sealed)}
        keys = _Keys.derive(data_key, store_id)
        keyring_ref = None
        if use_keyring:
            keyring_ref = {"service": KEYRING_SERVICE, "username": f"credentials-file:{store_id}"}
        doc: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "store_id": store_id,
            "kdf": kdf_doc,
            "passphrase_key": wrapped,
            "keyring": keyring_ref,
            "key_check": keys.check,
            "entries": {},
            "mac": "",
        }
        with store._locked():
            if store.path.exists():
                raise StoreError(f"{store.path} already exists; nothing was changed")
            if keyring_ref:
                keyring_set(keyring_ref["service"], keyring_ref["username"], _b64(data_key))
            store._write(doc, keys)
        store._keys = keys
        return store

    # -- reading ------------------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        try:
            raw = read_regular(self.path, limit=MAX_FILE_BYTES)
        except FileNotFoundError:
            raise StoreError(
                f"{self.path} does not exist", hint="create it with `govern store init`"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror}") from None
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError):
            raise StoreError(
                f"{self.path} is not valid JSON (truncated or corrupt); "
                "nothing was read or changed",
                hint="restore it from version control",
            ) from None
        return _check_document(doc, self.path)

    @property
    def trusted_key(self) -> Ed25519PublicKey | None:
        """The metadata verification key given from outside the file, if any."""
        text = self._env.get(PUBLIC_KEY_ENV, "").strip()
        return parse_public_key(text) if text else None

    def _load_keyless(self) -> dict[str, Any]:
        """The document for a read without the key: signature-checked when a key is trusted."""
        doc = self._load()
        trusted = self.trusted_key
        if trusted is not None:
            self._check_signature(doc, trusted)
        return doc

    def _check_signature(self, doc: Mapping[str, Any], key: Ed25519PublicKey) -> None:
        signature = doc.get("signature")
        try:
            if not isinstance(signature, str):
                raise InvalidSignature
            key.verify(base64.b64decode(signature, validate=True), _signed_body(doc))
        except (InvalidSignature, binascii.Error, ValueError):
            raise StoreError(
                f"{self.path} failed its signature check against {PUBLIC_KEY_ENV}: its "
                "metadata (versions, dates, who rotated) was changed outside govern, its "
                "signature is missing, or it is another store; nothing was read",
                hint=f"restore it from version control (git log -- {self.path.name}); if the "
                f"store was re-created on purpose, update {PUBLIC_KEY_ENV}",
            ) from None

    def verify_metadata(self) -> int:
        """Keyless check: the signature against GOVERN_STORE_PUBLIC_KEY; returns entries."""
        if self.trusted_key is None:
            raise UsageError(
                f"no key and no {PUBLIC_KEY_ENV} to verify {self.path} with",
                hint=f"set {PASSPHRASE_ENV} (full check) or {PUBLIC_KEY_ENV} "
                "(metadata signature only)",
            )
        doc = self._load_keyless()
        for ref in doc["entries"]:
            self._versions(doc, ref)
        return len(doc["entries"])

    def public_key(self) -> str:
        """The store's metadata verification key (needs the key to unlock)."""
        doc = self._load()
        return self._unlock(doc).public_key

    def _versions(self, doc: Mapping[str, Any], ref: str) -> builtins.list[dict[str, Any]]:
        entry = doc["entries"].get(ref)
        if entry is None:
            raise CredentialNotFound(f"no credential for {ref!r} in {self.describe()}")
        versions = entry.get("versions") if isinstance(entry, dict) else None
        if not isinstance(versions, builtins.list) or not versions:
            raise _malformed(f"entry {ref!r}")
        for number, rec in enumerate(versions, start=1):
            if (
                not isinstance(rec, dict)
                or rec.get("version") != number
                or not all(
                    isinstance(rec.get(k), str)
                    for k in ("created_at", "rotated_by", "reason", "nonce", "ciphertext")
                )
                or not isinstance(rec.get("meta"), dict)
                or not all(isinstance(v, str) for v in rec["meta"].values())
            ):
                raise _malformed(f"entry {ref!r} version {number}")
        return versions

    def _metadata(self, ref: str, versions: builtins.list[dict[str, Any]]) -> CredentialMetadata:
        current = versions[-1]
        return CredentialMetadata(
            ref=ref,
            current_version=current["version"],
            versions=len(versions),
            created_at=parse_time(versions[0]["created_at"]),
            updated_at=parse_time(current["created_at"]),
            rotated_by=current["rotated_by"],
            reason=current["reason"],
            meta=dict(current["meta"]),
        )

    def metadata(self, ref: str) -> CredentialMetadata | None:
        validate_ref(ref)
        doc = self._load_keyless()
        if ref not in doc["entries"]:
            return None
        return self._metadata(ref, self._versions(doc, ref))

    def list(self) -> builtins.list[CredentialMetadata]:
        doc = self._load_keyless()
        return [self._metadata(ref, self._versions(doc, ref)) for ref in sorted(doc["entries"])]

    def get(self, ref: str, version: int | None = None) -> Secret:
        validate_ref(ref)
        return self._decrypt(self._load(), ref, version)

    def _decrypt(self, doc: dict[str, Any], ref: str, version: int | None) -> Secret:
        versions = self._versions(doc, ref)
        if version is None:
            rec = versions[-1]
        elif 1 <= version <= len(versions):
            rec = versions[version - 1]
        else:
            raise CredentialNotFound(
                f"{ref!r} has no version {version} (versions 1 to {len(versions)})"
            )
        keys = self._unlock(doc)
        self._verify(doc, keys)
        return self._open(keys, ref, rec)

    def _open(self, keys: _Keys, ref: str, rec: dict[str, Any]) -> Secret:
        """One version's secret, with the keys of an unlocked and verified document."""
        try:
            plain = keys.seal.decrypt(
                _unb64(rec["nonce"], "nonce"),
                _unb64(rec["ciphertext"], "ciphertext"),
                _entry_ad(keys.store_id, ref, rec),
            )
            payload = json.loads(plain)
        except (InvalidTag, ValueError):
            raise self._tampered() from None
        if not isinstance(payload, dict):
            raise self._tampered()
        return Secret.from_payload(payload)

    # -- writing ------------------------------------------------------------------------------

    def put(
        self, ref: str, secret: Secret, *, meta: Mapping[str, str], rotated_by: str, reason: str
    ) -> CredentialMetadata:
        item = NewCredential(ref=ref, secret=secret, meta=meta)
        return self.put_many([item], rotated_by=rotated_by, reason=reason)[0]

    def put_many(
        self, items: builtins.list[NewCredential], *, rotated_by: str, reason: str
    ) -> builtins.list[CredentialMetadata]:
        """Add a version to each item's ref in one atomic write (all or nothing)."""
        validate_rotation(rotated_by, reason)
        prepared = [(validate_ref(i.ref), i.secret, normalize_meta(i.ref, i.meta)) for i in items]
        refuse_duplicates([ref for ref, _, _ in prepared])
        with self._locked():
            doc = self._load()
            keys = self._unlock(doc)
            self._verify(doc, keys)
            touched = self._add_versions(doc, keys, prepared, rotated_by, reason)
            self._write(doc, keys)
        return [self._metadata(ref, touched[ref]) for ref, _, _ in prepared]

    def _add_versions(
        self,
        doc: dict[str, Any],
        keys: _Keys,
        prepared: builtins.list[tuple[str, Secret, dict[str, str]]],
        rotated_by: str,
        reason: str,
    ) -> dict[str, builtins.list[dict[str, Any]]]:
        now = format_time(utc_now(), precise=True)
        touched: dict[str, builtins.list[dict[str, Any]]] = {}
        for ref, secret, meta in prepared:
            versions = self._versions(doc, ref) if ref in doc["entries"] else []
            rec: dict[str, Any] = {
                "version": len(versions) + 1,
                "created_at": now,
                "rotated_by": rotated_by,
                "reason": reason,
                "meta": meta,
            }
            nonce = os.urandom(12)
            sealed = keys.seal.encrypt(
                nonce, _padded(canonical(secret.to_payload())), _entry_ad(keys.store_id, ref, rec)
            )
            rec["nonce"], rec["ciphertext"] = _b64(nonce), _b64(sealed)
            versions.append(rec)
            doc["entries"][ref] = {"versions": versions}
            touched[ref] = versions
        return touched

    def rotate_many(
        self,
        refs: Sequence[str],
        new_password: Callable[[str], str],
        *,
        rotated_by: str,
        reason: str,
        unless_since: datetime | None = None,
    ) -> builtins.list[Rotation]:
        """Read, decide and write under one lock, in one atomic write (all or nothing)."""
        refs = checked_batch(refs, rotated_by, reason)
        with self._locked():
            doc = self._load()
            keys = self._unlock(doc)
            self._verify(doc, keys)
            outcome: dict[str, Rotation] = {}
            prepared: builtins.list[tuple[str, Secret, dict[str, str]]] = []
            for ref in refs:
                if ref not in doc["entries"]:
                    outcome[ref] = Rotation(ref, "missing", None)
                    continue
                versions = self._versions(doc, ref)
                current = versions[-1]
                if (
                    unless_since is not None
                    and current["reason"] == reason
                    and parse_time(current["created_at"]) >= unless_since
                ):
                    outcome[ref] = Rotation(ref, "already", current["version"])
                    continue
                secret = self._open(keys, ref, current).replace_password(new_password(ref))
                prepared.append((ref, secret, dict(current["meta"])))
            if prepared:
                touched = self._add_versions(doc, keys, prepared, rotated_by, reason)
                self._write(doc, keys)
                for ref, versions in touched.items():
                    outcome[ref] = Rotation(ref, "rotated", versions[-1]["version"])
        return [outcome[ref] for ref in refs]

    def delete(self, ref: str) -> None:
        validate_ref(ref)
        with self._locked():
            doc = self._load()
            self._versions(doc, ref)
            keys = self._unlock(doc)
            self._verify(doc, keys)
            del doc["entries"][ref]
            self._write(doc, keys)

    def verify(self) -> int:
        """Check the whole file with the key (integrity, signature, every version); returns
        entries. A file written before signatures existed passes until its next write."""
        doc = self._load()
        keys = self._unlock(doc)
        self._verify(doc, keys)
        if "signature" in doc:
            self._check_signature(doc, keys.signer.public_key())
        trusted = self.trusted_key
        if trusted is not None:
            self._check_signature(doc, trusted)
        for ref in doc["entries"]:
            for rec in self._versions(doc, ref):
                try:
                    keys.seal.decrypt(
                        _unb64(rec["nonce"], "nonce"),
                        _unb64(rec["ciphertext"], "ciphertext"),
                        _entry_ad(keys.store_id, ref, rec),
                    )
                except InvalidTag:
                    raise self._tampered() from None
        return len(doc["entries"])

    # -- internals ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # Beside the real file: two symlinks to one shared store take the same lock.
        real = resolved(self.path)
        lock_path = real.with_name(f".{real.name}.lock")
        lock = FileLock(lock_path, timeout=self._lock_timeout, mode=FILE_MODE)
        try:
            lock.acquire()
        except Timeout:
            raise StoreError(
                f"{self.path} is being changed by another govern process (waited "
                f"{self._lock_timeout:g} s for {lock_path}); nothing was changed",
                hint="retry when the other command has finished",
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot lock {lock_path}: {exc.strerror}") from None
        try:
            yield
        finally:
            lock.release()

    def _write(self, doc: dict[str, Any], keys: _Keys) -> None:
        doc["signing_key"] = keys.public_key
        doc["signature"] = keys.sign(doc)
        doc["mac"] = keys.mac(doc)
        data = json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=True).encode() + b"\n"
        try:
            atomic_write_bytes(self.path, data, mode=FILE_MODE)
        except OSError as exc:
            raise StoreError(
                f"cannot write {self.path}: {exc.strerror}; nothing was changed"
            ) from None

    def _tampered(self) -> StoreError:
        return StoreError(
            f"{self.path} failed its integrity check: it was changed outside govern (an "
            "edited, swapped or rolled-back entry) or is corrupt; nothing was read or changed",
            hint=f"restore it from version control (git log -- {self.path.name})",
        )

    def _verify(self, doc: Mapping[str, Any], keys: _Keys) -> None:
        if not hmac.compare_digest(keys.mac(doc), str(doc["mac"])):
            raise self._tampered()

    def _unlock(self, doc: Mapping[str, Any]) -> _Keys:
        """The keys for this file: GOVERN_PASSPHRASE, else the OS keyring, else a prompt."""
        store_id = doc["store_id"]
        if self._keys and self._keys.store_id == store_id and self._keys.check == doc["key_check"]:
            return self._keys
        wrapped = doc.get("passphrase_key")
        ring = doc.get("keyring")
        tried: builtins.list[str] = []
        passphrase = self._env.get(PASSPHRASE_ENV)
        if passphrase:
            if wrapped:
                return self._accept(doc, self._unwrap(doc, passphrase, PASSPHRASE_ENV))
            tried.append(f"{PASSPHRASE_ENV} is set but this file has no passphrase key")
        if isinstance(ring, dict):
            value, why = keyring_get(str(ring.get("service")), str(ring.get("username")))
            if value is not None:
                try:
                    data_key = base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    data_key = b""
                keys = _Keys.derive(data_key, store_id) if len(data_key) == 32 else None
                if keys is None or not hmac.compare_digest(keys.check, doc["key_check"]):
                    raise StoreError(
                        f"the key in the OS keyring does not open {self.path}",
                        hint=f"set {PASSPHRASE_ENV} instead",
                    )
                self._keys = keys
                return keys
            tried.append(f"OS keyring: {why}")
        if wrapped:
            text = self._prompt(f"Passphrase for {self.path}") if self._prompt else None
            if text:
                return self._accept(doc, self._unwrap(doc, text, "the passphrase"))
            tried.append("no terminal to prompt for the passphrase")
        raise StoreError(
            f"no key to open {self.path} ({'; '.join(tried)})",
            hint=f"set {PASSPHRASE_ENV}, or keep the key in the OS keyring (a store created "
            "with `govern store init --keyring`), or run in a terminal to be prompted",
        )

    def _unwrap(self, doc: Mapping[str, Any], passphrase: str, source: str) -> bytes:
        wrapped = doc["passphrase_key"]
        if not isinstance(wrapped, dict):
            raise _malformed("passphrase key")
        try:
            return AESGCM(_kek(passphrase, doc["kdf"], self.path)).decrypt(
                _unb64(wrapped.get("nonce"), "passphrase key"),
                _unb64(wrapped.get("wrapped"), "passphrase key"),
                _wrap_ad(doc["store_id"], doc["kdf"]),
            )
        except InvalidTag:
            raise StoreError(
                f"wrong passphrase for {self.path} (from {source}), or its "
                "key header was altered; nothing was read or changed"
            ) from None

    def _accept(self, doc: Mapping[str, Any], data_key: bytes) -> _Keys:
        keys = _Keys.derive(data_key, doc["store_id"])
        if not hmac.compare_digest(keys.check, doc["key_check"]):
            raise self._tampered()
        self._keys = keys
        return keys
