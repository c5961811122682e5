"""Where the Vault/OpenBao server is, and which names govern accepts for its mounts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from govern.errors import UsageError

# A mount path: segments of letters, digits, '.', '_' and '-', none of them '.' or '..'.
# Nothing that could close a quoted string or a block in an ACL policy (", }, newline, *, +).
_MOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}(/[A-Za-z0-9][A-Za-z0-9._-]{0,63}){0,7}")


def vault_address(env: Mapping[str, str]) -> str:
    """VAULT_ADDR, checked: an http(s) URL with a host, without its trailing slash."""
    addr = env.get("VAULT_ADDR", "").strip().rstrip("/")
    if not addr:
        raise UsageError(
            "VAULT_ADDR is not set", hint="export VAULT_ADDR=https://vault.example:8200"
        )
    if not addr.startswith(("http://", "https://")):
        raise UsageError(f"VAULT_ADDR must start with http:// or https:// (got {addr!r})")
    try:
        host = urlsplit(addr).hostname
    except ValueError:
        host = None
    if not host:
        raise UsageError(f"VAULT_ADDR has no host (got {addr!r})")
    return addr


def check_mount(mount: str, *, source: str = "the Vault mount") -> str:
    """`mount` without surrounding slashes, or UsageError (exit 2) naming `source` (the option
    or variable it came from). The name ends up inside ACL policy text, so anything beyond
    a plain path is refused rather than escaped."""
    name = mount.strip().strip("/")
    if not _MOUNT.fullmatch(name) or any(part in (".", "..") for part in name.split("/")):
        raise UsageError(
            f"{source}: invalid Vault mount {mount!r}",
            hint="letters, digits, '.', '_' and '-' in '/'-separated segments, e.g. govern "
            "or teams/comms",
        )
    return name
