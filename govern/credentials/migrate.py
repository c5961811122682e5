"""`govern store migrate`: copy every credential, every version, to another store, and check
the copy. Secrets are only read and written, never shown.

Everything is read from the source before anything is written (a wrong key stops it before
the target changes). The target must hold none of the credentials (a half copy merged into
existing history would not be a copy). Versions are written oldest first, so version numbers
match; each keeps its metadata (`meta`), the current version its who (`rotated_by`) and why
(`reason`), older ones a reason naming their source version. The stores give every write
the time of the write: the time of the last change in the source is kept in the reason, and
counts for `credential-age` start again at the migration (docs/credentials.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from govern.credentials import (
    CredentialMetadata,
    CredentialNotFound,
    CredentialStore,
    Secret,
    format_time,
    open_store,
)
from govern.errors import StoreError, UsageError


@dataclass(frozen=True)
class Copied:
    ref: str
    versions: int  # copied
    missing: tuple[int, ...]  # source versions that could not be read (destroyed or deleted)

    def to_json(self) -> dict[str, object]:
        return {"account": self.ref, "versions": self.versions, "missing": list(self.missing)}


def open_target(spec: str, *, inventory_dir: Path, env: Mapping[str, str]) -> CredentialStore:
    """The store `--to SPEC` names, ready to receive: a Vault target's mount is created if
    missing; a file target must exist (`govern store init`), so a typo never creates one."""
    from govern.credentials.vaultstore import VaultStore

    if spec.partition(":")[0] not in ("vault", "file"):
        raise UsageError(f"--to {spec!r}: not a store", hint="vault, vault:MOUNT or file:PATH")
    target = open_store(spec, inventory_dir=inventory_dir, env=env)
    if isinstance(target, VaultStore):
        target.ensure_mount(create=True)
    elif not getattr(target, "path", Path(".")).exists():
        raise UsageError(
            f"{target.describe()} does not exist; nothing was copied",
            hint=f"create it first: govern store init --store {spec}",
        )
    return target


def migrate(
    source: CredentialStore,
    target: CredentialStore,
    *,
    actor: str,
    progress: Callable[[str], None] = lambda _: None,
) -> list[Copied]:
    if source.describe() == target.describe():
        raise UsageError(f"--to names the store being migrated ({source.describe()})")
    credentials = source.list()
    clash = sorted({m.ref for m in credentials} & {m.ref for m in target.list()})
    if clash:
        raise UsageError(
            f"{target.describe()} already holds {', '.join(clash)}; nothing was copied",
            hint="migrate into an empty store (a new file, a new mount)",
        )
    read: list[tuple[CredentialMetadata, list[tuple[int, Secret]], list[int]]] = []
    for meta in credentials:
        versions, missing = [], []
        for number in range(1, meta.current_version + 1):
            try:
                versions.append((number, source.get(meta.ref, number)))
            except CredentialNotFound:
                missing.append(number)
        if not versions or versions[-1][0] != meta.current_version:
            raise StoreError(
                f"the current version of {meta.ref} cannot be read in "
                f"{source.describe()}; nothing was copied"
            )
        read.append((meta, versions, missing))
    progress(f"read {len(read)} credential(s) from {source.describe()}")
    copied = []
    for meta, versions, missing in read:
        for number, secret in versions:
            current = number == meta.current_version
            origin = f"version {number} in {source.describe()}"
            if current:
                reason = (
                    f"{meta.reason or 'written outside govern'} (migrated: {origin}, "
                    f"last changed {format_time(meta.updated_at)})"
                )
                who = meta.rotated_by or actor
            else:
                reason, who = f"migrated: {origin}", actor
            target.put(meta.ref, secret, meta=dict(meta.meta), rotated_by=who, reason=reason)
        copied.append(Copied(meta.ref, len(versions), tuple(missing)))
        progress(f"copied {meta.ref}: {len(versions)} version(s)")
    verify(read, target)
    return copied


def verify(
    read: list[tuple[CredentialMetadata, list[tuple[int, Secret]], list[int]]],
    target: CredentialStore,
) -> None:
    """Every credential in the target has the versions, secrets and metadata that were read
    (compared in memory; a difference names the credential and version, never a value)."""
    problems = []
    for meta, versions, _ in read:
        copy = target.metadata(meta.ref)
        if copy is None or copy.versions != len(versions):
            problems.append(
                f"{meta.ref}: {copy.versions if copy else 0} version(s) in the "
                f"target, {len(versions)} copied"
            )
            continue
        if dict(copy.meta) != dict(meta.meta):
            problems.append(f"{meta.ref}: metadata differs")
        for position, (number, secret) in enumerate(versions, 1):
            if target.get(meta.ref, copy.current_version - len(versions) + position) != secret:
                problems.append(f"{meta.ref}: version {number} differs")
    if problems:
        raise StoreError(
            f"the copy in {target.describe()} does not match: " + "; ".join(problems),
            hint="the source is unchanged; remove the copy and run the migration again",
        )


__all__ = ["Copied", "migrate", "verify"]
