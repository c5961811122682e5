"""The file store's on-disk format (version 1), written out a second time from its description
in govern/credentials/filestore.py, with nothing but `cryptography` and the standard library.

It is a test's independent reading of the format, not a copy of govern's: a committed fixture
that this module and govern both open pins the format from two sides, and `Forger` lets a
tamper test re-seal an edited file (recomputed MAC and signature) so that the defence behind
the whole-file MAC is the one that has to catch the edit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = "govern-credentials"


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def data_key_from_passphrase(doc: Mapping[str, Any], passphrase: str) -> bytes:
    """scrypt(passphrase) unwraps the data key (AES-256-GCM, bound to format, store and kdf)."""
    kdf = doc["kdf"]
    kek = Scrypt(salt=unb64(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(
        passphrase.encode("utf-8")
    )
    wrap_ad = canonical({"format": FORMAT, "store_id": doc["store_id"], "kdf": kdf})
    wrapped = doc["passphrase_key"]
    return AESGCM(kek).decrypt(unb64(wrapped["nonce"]), unb64(wrapped["wrapped"]), wrap_ad)


def subkey(data_key: bytes, store_id: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=store_id.encode(),
        info=f"govern-credentials {purpose} v1".encode(),
    ).derive(data_key)


def entry_ad(store_id: str, ref: str, rec: Mapping[str, Any]) -> bytes:
    bound = {k: rec[k] for k in ("version", "created_at", "rotated_by", "reason", "meta")}
    return canonical({"format": FORMAT, "store_id": store_id, "ref": ref, **bound})


@dataclass(frozen=True)
class Forger:
    """Someone holding the data key: reads every version, and re-seals an edited document."""

    data_key: bytes
    store_id: str

    @classmethod
    def of(cls, path: Path, passphrase: str) -> Forger:
        doc = json.loads(path.read_text())
        return cls(data_key_from_passphrase(doc, passphrase), doc["store_id"])

    def _key(self, purpose: str) -> bytes:
        return subkey(self.data_key, self.store_id, purpose)

    @property
    def key_check(self) -> str:
        return b64(hmac.new(self._key("check"), b"key check", hashlib.sha256).digest())

    @property
    def signer(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self._key("sign"))

    @property
    def public_key(self) -> str:
        raw = self.signer.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return "ed25519:" + b64(raw)

    def mac(self, doc: Mapping[str, Any]) -> str:
        body = {k: v for k, v in doc.items() if k != "mac"}
        return b64(hmac.new(self._key("mac"), canonical(body), hashlib.sha256).digest())

    def signature(self, doc: Mapping[str, Any]) -> str:
        body = {k: v for k, v in doc.items() if k not in ("mac", "signature")}
        signed = canonical(
            {"purpose": "govern-credentials metadata signature v1", "document": body}
        )
        return b64(self.signer.sign(signed))

    def open(self, ref: str, rec: Mapping[str, Any]) -> dict[str, str]:
        """One version's payload; the plaintext is canonical JSON padded with spaces to 64."""
        plain = AESGCM(self._key("entries")).decrypt(
            unb64(rec["nonce"]), unb64(rec["ciphertext"]), entry_ad(self.store_id, ref, rec)
        )
        assert len(plain) % 64 == 0
        payload: dict[str, str] = json.loads(plain)
        assert canonical(payload) == plain.rstrip(b" ")
        return payload

    def seal(self, ref: str, rec: dict[str, Any], plain: bytes, nonce: bytes) -> None:
        """Put `plain` into `rec`, sealed under `rec`'s current metadata."""
        sealed = AESGCM(self._key("entries")).encrypt(
            nonce, plain, entry_ad(self.store_id, ref, rec)
        )
        rec["nonce"], rec["ciphertext"] = b64(nonce), b64(sealed)

    def reseal(self, doc: dict[str, Any], *, sign: bool = True) -> None:
        """A new signature (unless `sign` is false) and MAC over the edited document."""
        if sign and "signature" in doc:
            doc["signature"] = self.signature(doc)
        doc["mac"] = self.mac(doc)

    def edit(self, path: Path, change: Any, *, sign: bool = True) -> None:
        doc = json.loads(path.read_text())
        change(doc)
        self.reseal(doc, sign=sign)
        path.write_text(json.dumps(doc, indent=1, sort_keys=True))
