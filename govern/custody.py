"""What the credential store says about custody, for the audit: metadata only, never a secret.

File-store metadata is readable without the key, so CI can audit custody with no secret at
all; the Vault store needs a token that may read metadata (see docs/credentials.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from govern.credentials import open_store
from govern.rules import CustodyRecord


def read_custody(
    spec: str | None,
    *,
    inventory_dir: Path,
    env: Mapping[str, str],
    skipped: list[str] | None = None,
) -> tuple[dict[str, CustodyRecord], str]:
    """(credential ref -> record, store description). A file store whose file does not exist
    yet holds nothing. Keys the store holds but govern does not manage are added to
    `skipped`. Raises `BackendUnavailable` (exit 3) when Vault cannot be reached."""
    store = open_store(spec, inventory_dir=inventory_dir, env=env, prompt=None)
    path = getattr(store, "path", None)
    if isinstance(path, Path) and not path.exists():
        return {}, f"{store.describe()} (not created yet: `govern store init`)"
    records = {
        m.ref: CustodyRecord(ref=m.ref, updated_at=m.updated_at, rotated_by=m.rotated_by)
        for m in store.list()
    }
    if skipped is not None:
        skipped.extend(getattr(store, "skipped", ()))
    return records, store.describe()


def unauthenticated_note(source: str, *, env: Mapping[str, str]) -> str | None:
    """A warning when keyless custody reads of a file store are not signature-checked.
    `source` is the description `read_custody` returned (a file store's starts `file:`)."""
    from govern.credentials.filestore import PUBLIC_KEY_ENV

    if not source.startswith("file:") or "(not created yet" in source or env.get(PUBLIC_KEY_ENV):
        return None
    return (
        f"warning: custody metadata in {source} is not authenticated (anyone "
        f"who can edit the file can change dates and versions); set {PUBLIC_KEY_ENV} "
        "to the key `govern store verify` prints"
    )
