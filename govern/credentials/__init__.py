"""Credential custody: one interface (`CredentialStore`), two stores (encrypted file, Vault).

A store keeps versions of a `Secret` per reference (an account id) and readable metadata about
them (`CredentialMetadata`). Metadata never contains a secret value and can be read without the
key, so CI can audit custody without any secret. Secret values never appear in `repr`, `str`,
exception messages or JSON output.
"""

from __future__ import annotations

import builtins
import getpass
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, Protocol, runtime_checkable

from govern.backends.keyring import keyring_get, keyring_set
from govern.errors import StoreError, UsageError
from govern.inventory.refs import REF_PATTERN

__all__ = [
    "RESERVED_META_KEYS",
    "CredentialMetadata",
    "CredentialNotFound",
    "CredentialStore",
    "NewCredential",
    "Rotation",
    "Secret",
    "actor",
    "keyring_get",  # re-exported: govern.backends.keyring
    "keyring_set",
    "open_store",
    "parse_time",
    "store_opener",
    "validate_ref",
]

# A file key and one Vault path segment (the inventory model checks the same pattern).
_REF = re.compile(REF_PATTERN)
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
# Keys a store writes itself next to the caller's meta (Vault custom_metadata).
RESERVED_META_KEYS = frozenset({"rotated_at", "rotated_by", "reason", "govern_version"})
MAX_META_VALUE = 512  # Vault's limit for a custom_metadata value.
MAX_META_KEYS = 32


class CredentialNotFound(StoreError):
    """No credential (or no such version) for a reference (exit 2)."""


def validate_ref(ref: str) -> str:
    """An account id usable as a file key and a Vault path segment: no slashes, no dots only."""
    if not isinstance(ref, str) or not _REF.fullmatch(ref):
        raise UsageError(
            f"invalid account id {ref!r}",
            hint="use letters, digits, '.', '_' or '-' (at most 128, starting with a letter "
            "or digit)",
        )
    return ref


def _validate_text(what: str, value: str) -> str:
    if not isinstance(value, str):
        raise UsageError(f"{what} must be text")
    if len(value) > MAX_META_VALUE:
        raise UsageError(f"{what} is longer than {MAX_META_VALUE} characters")
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise UsageError(f"{what} must be a single line without control characters")
    return value


def normalize_meta(ref: str, meta: Mapping[str, str]) -> dict[str, str]:
    """The meta a store records: the caller's keys plus `account` (the ref unless given)."""
    out: dict[str, str] = {"account": ref}
    for key, value in meta.items():
        if not isinstance(key, str) or not _NAME.fullmatch(key):
            raise UsageError(
                f"invalid metadata key {key!r}",
                hint="use lowercase letters, digits and '_', starting with a letter",
            )
        if key in RESERVED_META_KEYS:
            raise UsageError(f"metadata key {key!r} is reserved")
        out[key] = _validate_text(f"metadata {key!r}", value)
    if len(out) > MAX_META_KEYS:
        raise UsageError(f"at most {MAX_META_KEYS} metadata keys")
    return out


def refuse_duplicates(refs: Sequence[str]) -> None:
    """A batch names each credential once (before anything is written)."""
    if len(set(refs)) != len(refs):
        raise UsageError("the same credential is given twice; nothing was stored")


def checked_batch(refs: Sequence[str], rotated_by: str, reason: str) -> list[str]:
    """The refs of a batch rotation, each valid and named once, with a valid who/why;
    raises `UsageError` before anything is read or written."""
    validate_rotation(rotated_by, reason)
    checked = [validate_ref(ref) for ref in refs]
    refuse_duplicates(checked)
    return checked


def validate_rotation(rotated_by: str, reason: str) -> None:
    _validate_text("rotated_by", rotated_by)
    _validate_text("reason", reason)
    if not rotated_by.strip():
        raise UsageError("rotated_by must not be empty")


@dataclass(frozen=True, kw_only=True)
class Secret:
    """A login: password, optional username, further fields (TOTP seed, recovery codes, notes).

    `repr` and `str` never show values: only which fields are present.
    """

    username: str | None = None
    password: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.password, str) or not self.password:
            raise UsageError("the password must not be empty")
        if self.username is not None and not isinstance(self.username, str):
            raise UsageError("the username must be text")
        checked: dict[str, str] = {}
        for name, value in self.fields.items():
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise UsageError(
                    f"invalid field name {name!r}",
                    hint="use lowercase letters, digits and '_', starting with a letter",
                )
            if name in ("username", "password"):
                raise UsageError(f"field name {name!r} is reserved")
            if not isinstance(value, str):
                raise UsageError(f"field {name!r} must be text")
            checked[name] = value
        object.__setattr__(self, "fields", MappingProxyType(checked))

    def __repr__(self) -> str:
        user = "None" if self.username is None else "<hidden>"
        names = ", ".join(sorted(self.fields))
        return f"Secret(username={user}, password=<hidden>, fields=[{names}])"

    __str__ = __repr__

    def __hash__(self) -> int:
        return hash((self.username, self.password, tuple(sorted(self.fields.items()))))

    def to_payload(self) -> dict[str, str]:
        """The flat mapping stores persist (encrypted): username, password and the fields."""
        payload = dict(self.fields)
        payload["password"] = self.password
        if self.username is not None:
            payload["username"] = self.username
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Secret:
        rest = dict(payload)
        password = rest.pop("password", None)
        username = rest.pop("username", None)
        if not isinstance(password, str) or not all(isinstance(v, str) for v in rest.values()):
            raise StoreError("a stored credential is malformed (expected text fields)")
        if username is not None and not isinstance(username, str):
            raise StoreError("a stored credential is malformed (username is not text)")
        return cls(password=password, username=username, fields=rest)

    def replace_password(self, password: str) -> Secret:
        return Secret(password=password, username=self.username, fields=self.fields)


@dataclass(frozen=True)
class NewCredential:
    """One item of a batch write (`put_many`)."""

    ref: str
    secret: Secret
    meta: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rotation:
    """The outcome of one item of `rotate_many`: `status` is "rotated" (a new version was
    written), "already" (its current version was written with the same reason since the
    given time: a resumed run) or "missing" (no credential stored; `version` is None)."""

    ref: str
    status: Literal["rotated", "already", "missing"]
    version: int | None


def format_time(value: datetime, *, precise: bool = False) -> str:
    spec = "microseconds" if precise else "seconds"
    return value.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """ISO 8601 as written by govern or Vault (nanoseconds are cut to microseconds)."""
    match = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text)
    if not match:
        raise StoreError(f"malformed timestamp {text!r} in store metadata")
    base, frac, zone = match.groups()
    frac = (frac or "")[:7]
    try:
        parsed = datetime.fromisoformat(base + frac + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        raise StoreError(f"malformed timestamp {text!r} in store metadata") from None
    return parsed.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CredentialMetadata:
    """What a store knows about a credential, without its secret.

    `rotated_by`/`reason` are None when the current version was written outside govern.
    """

    ref: str
    current_version: int
    versions: int
    created_at: datetime
    updated_at: datetime
    rotated_by: str | None
    reason: str | None
    meta: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.ref,
            "current_version": self.current_version,
            "versions": self.versions,
            "created_at": format_time(self.created_at),
            "updated_at": format_time(self.updated_at),
            "rotated_by": self.rotated_by,
            "reason": self.reason,
            "meta": dict(sorted(self.meta.items())),
        }


@runtime_checkable
class CredentialStore(Protocol):
    """Where credentials live. Every method raises `govern.errors.GovernError` subclasses only."""

    def put(
        self, ref: str, secret: Secret, *, meta: Mapping[str, str], rotated_by: str, reason: str
    ) -> CredentialMetadata:
        """Store `secret` as the new current version of `ref`."""
        ...

    def put_many(
        self, items: builtins.list[NewCredential], *, rotated_by: str, reason: str
    ) -> builtins.list[CredentialMetadata]:
        """Store several credentials (the file store does it in one atomic write)."""
        ...

    def get(self, ref: str, version: int | None = None) -> Secret:
        """The current (or the given older) version; `CredentialNotFound` if there is none."""
        ...

    def metadata(self, ref: str) -> CredentialMetadata | None:
        """Metadata without the secret; needs no key. None if `ref` has no credential."""
        ...

    def rotate_many(
        self,
        refs: Sequence[str],
        new_password: Callable[[str], str],
        *,
        rotated_by: str,
        reason: str,
        unless_since: datetime | None = None,
    ) -> builtins.list[Rotation]:
        """A new version of each ref: its current secret with the password
        `new_password(ref)`, username, fields and meta kept; results in the order of `refs`.
        A ref with no credential is reported ("missing"), not an error. With `unless_since`,
        a ref whose current version govern wrote with this `reason` at or after that time is
        left alone ("already"): a resumed run rotates nothing twice. The file store does it
        in one atomic write; Vault reads and writes each ref with bounded concurrency, and a
        version written by someone else between the read and the write fails the item
        (check-and-set) instead of being overwritten."""
        ...

    def list(self) -> builtins.list[CredentialMetadata]:
        """Metadata of every credential, sorted by ref; needs no key."""
        ...

    def delete(self, ref: str) -> None:
        """Remove `ref` and all its versions; `CredentialNotFound` if there is none."""
        ...

    def describe(self) -> str:
        """Where the store is, for messages: `file:/path` or `vault:https://addr (mount m)`."""
        ...


def actor(env: Mapping[str, str]) -> str:
    """Who is making a change: `GOVERN_ACTOR`, else the OS user."""
    name = env.get("GOVERN_ACTOR", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def tty_prompt(label: str) -> str | None:
    """A no-echo prompt when standard input is a terminal; None otherwise."""
    if not sys.stdin.isatty():
        return None
    import click

    value: str = click.prompt(label, hide_input=True, err=True)
    return value


Prompt = Callable[[str], "str | None"]


def store_opener(
    spec: str | None, *, inventory_dir: Path, env: Mapping[str, str]
) -> Callable[[], CredentialStore]:
    """`open_store`, deferred: the store is opened on the first call (a command that ends
    before needing it never asks for its key), and once."""
    opened: builtins.list[CredentialStore] = []

    def open_once() -> CredentialStore:
        if not opened:
            opened.append(open_store(spec, inventory_dir=inventory_dir, env=env))
        return opened[0]

    return open_once


def open_store(
    spec: str | None,
    *,
    inventory_dir: Path,
    env: Mapping[str, str],
    prompt: Prompt | None = tty_prompt,
) -> CredentialStore:
    """The store named by `spec` (`file:PATH`, `vault`, `vault:MOUNT`), else `GOVERN_STORE`,
    else Vault when `VAULT_ADDR` is set, else `file:<inventory_dir>/credentials.enc`."""
    if not spec:
        spec = env.get("GOVERN_STORE", "").strip() or None
    if not spec:
        spec = "vault" if env.get("VAULT_ADDR") else None
    if spec is None:
        from govern.credentials.filestore import FileStore

        return FileStore(inventory_dir / "credentials.enc", env=env, prompt=prompt)
    kind, _, arg = spec.partition(":")
    if kind == "file":
        if not arg:
            raise UsageError("--store file: needs a path, e.g. file:credentials.enc")
        from govern.credentials.filestore import FileStore

        return FileStore(Path(os.path.expanduser(arg)), env=env, prompt=prompt)
    if kind == "vault":
        from govern.credentials.vaultstore import DEFAULT_MOUNT, VaultStore

        source = "--store vault:MOUNT" if arg else "the Vault mount"
        return VaultStore.from_env(env, mount=arg or DEFAULT_MOUNT, mount_source=source)
    raise UsageError(
        f"unknown store {spec!r}", hint="use file:PATH, vault or vault:MOUNT (or GOVERN_STORE)"
    )
