"""`govern creds confirm`: record in the audit log that a rotated password was changed on the
platform too (until then the old one still opens the account). Needs no key: only the
store's metadata is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govern import auditlog
from govern.credentials import CredentialStore, format_time
from govern.errors import UsageError

CONFIRM_ACTION = "rotation-confirmed"


def confirm_rotation(
    store: CredentialStore,
    account: str,
    ref: str,
    *,
    version: int | None,
    log_path: Path,
    actor: str,
    key: bytes | None = None,
) -> dict[str, Any]:
    """Append the confirmation that version `version` (default: the current one) of the
    credential `ref` (account `account`) is in use on the platform; returns the log record.
    UsageError when there is no such credential or version."""
    meta = store.metadata(ref)
    if meta is None:
        raise UsageError(
            f"no credential for {account} in {store.describe()}",
            hint=f"govern creds set {account}",
        )
    number = meta.current_version if version is None else version
    if not 1 <= number <= meta.current_version:
        raise UsageError(f"--version {number}: {account} has versions 1 to {meta.current_version}")
    details: dict[str, Any] = {
        "account": account,
        "ref": ref,
        "version": number,
        "store": store.describe(),
    }
    if number == meta.current_version:
        details["rotated_at"] = format_time(meta.updated_at)
        details["rotated_by"] = meta.rotated_by
    return auditlog.append(log_path, CONFIRM_ACTION, actor=actor, details=details, key=key)
