"""The Vault/OpenBao store: KV version 2, over the `vaulthttp` transport.

Secrets live at `<mount>/data/accounts/<ref>` as a flat mapping (username, password, fields);
each secret's custom_metadata carries account, entity, platform, rotated_at, rotated_by, reason
and `govern_version` (the version those describe, so a version written outside govern is not
credited to the last govern rotation). Works the same on HashiCorp Vault and OpenBao.

Every transport error (`vaulthttp`) is converted here: unreachable, sealed or refusing servers
become `BackendUnavailable` (exit 3) with one line naming the address and why; nothing from
the transport escapes, and no message contains a secret or a token.
"""

from __future__ import annotations

import builtins
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from govern.credentials import (
    RESERVED_META_KEYS,
    CredentialMetadata,
    CredentialNotFound,
    NewCredential,
    Rotation,
    Secret,
    checked_batch,
    format_time,
    keyring_get,
    keyring_set,
    normalize_meta,
    parse_time,
    refuse_duplicates,
    utc_now,
    validate_ref,
    validate_rotation,
    vaulthttp,
)
from govern.errors import BackendUnavailable, GovernError, StoreError, UsageError

DEFAULT_MOUNT = "govern"
KEYRING_SERVICE = "govern"
LIST_CONCURRENCY = 8
_MOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")
T = TypeVar("T")
_WRAPPED = re.compile(r"\d+ errors? occurred:\s*\*\s*")


def _short(exc: vaulthttp.VaultHTTPError) -> str:
    text = "; ".join(str(e) for e in exc.errors if e) or f"HTTP {exc.status}"
    # One line: Vault wraps messages as "1 error occurred:\n\t* permission denied\n\n".
    text = " ".join(_WRAPPED.sub("", text).split())
    return text if len(text) <= 200 else text[:197] + "..."


def vault_address(env: Mapping[str, str]) -> str:
    addr = env.get("VAULT_ADDR", "").strip().rstrip("/")
    if not addr:
        raise UsageError("VAULT_ADDR is not set", hint="export VAULT_ADDR=https://vault.example:8200")
    if not addr.startswith(("http://", "https://")):
        raise UsageError(f"VAULT_ADDR must start with http:// or https:// (got {addr!r})")
    return addr


class VaultConnection:
    """One server and one token: the connections (`vaulthttp.Transport`, thread-safe), the
    token sources (VAULT_TOKEN, keyring, AppRole) and the conversion of every
    transport error. Shared by the credential store and access enforcement
    (`govern.vault`)."""

    def __init__(self, addr: str, *, env: Mapping[str, str], token: str | None = None) -> None:
        self.addr = addr.rstrip("/")
        self._env = env
        self.namespace = env.get("VAULT_NAMESPACE") or None
        self._verify: bool | str = env.get("VAULT_CACERT") or True
        try:
            self._timeout = float(env.get("VAULT_CLIENT_TIMEOUT") or 15)
        except ValueError:
            raise UsageError("VAULT_CLIENT_TIMEOUT must be a number of seconds") from None
        self._token = token
        self._token_lock = threading.Lock()
        self._transport = vaulthttp.Transport(self.addr, namespace=self.namespace,
                                              verify=self._verify, timeout=self._timeout)

    def describe(self) -> str:
        return f"vault:{self.addr}" + (f" (namespace {self.namespace})" if self.namespace else "")

    def _resolve_token(self) -> str:
        """VAULT_TOKEN, else the token `govern login` saved in the keyring, else AppRole."""
        with self._token_lock:
            if self._token:
                return self._token
            token = self._env.get("VAULT_TOKEN", "").strip()
            why = "VAULT_TOKEN is not set"
            if not token:
                saved, why_keyring = keyring_get(KEYRING_SERVICE, self.addr)
                token = saved or ""
                why += f"; keyring: {why_keyring}"
            if not token:
                role_id = self._env.get("VAULT_ROLE_ID", "").strip()
                secret_id = self._env.get("VAULT_SECRET_ID", "").strip()
                if role_id and secret_id:
                    token = self._approle_login(role_id, secret_id)
                else:
                    why += "; VAULT_ROLE_ID/VAULT_SECRET_ID are not set"
            if not token:
                raise StoreError(
                    f"no Vault token for {self.addr} ({why})",
                    hint="set VAULT_TOKEN, run `govern login`, or set VAULT_ROLE_ID and "
                         "VAULT_SECRET_ID (AppRole)")
            self._token = token
            return token

    def _approle_login(self, role_id: str, secret_id: str) -> str:
        mount = self._env.get("VAULT_APPROLE_MOUNT", "approle").strip("/")
        path = f"auth/{mount}/login"
        with self._boundary("log in with AppRole at", path, "update"):
            response = self._transport.send("POST", path, token=None,
                                            json={"role_id": role_id, "secret_id": secret_id})
        try:
            return str((response or {})["auth"]["client_token"])
        except (KeyError, TypeError):
            raise BackendUnavailable(
                f"Vault at {self.addr}: AppRole login at {path} returned no token") from None

    @contextmanager
    def _boundary(self, action: str, path: str, capability: str,
                  passthrough: tuple[type[Exception], ...] = ()) -> Iterator[None]:
        """Convert transport errors; 404 (InvalidPath) and `passthrough` are left to
        the caller, which converts them in turn."""
        where = f"Vault at {self.addr}"
        left: tuple[type[Exception], ...] = (vaulthttp.InvalidPath, *passthrough)
        try:
            yield
        except left:
            raise
        except vaulthttp.Forbidden as exc:
            raise BackendUnavailable(
                f"{where} refused to {action} {path} ({_short(exc)}): the token needs the "
                f"{capability!r} capability on {path}",
                hint="or the token is invalid or expired: check VAULT_TOKEN / `govern login`"
                ) from None
        except vaulthttp.Unavailable as exc:
            why = "is sealed" if "sealed" in _short(exc).lower() else "is unavailable"
            raise BackendUnavailable(f"{where} {why} (503: {_short(exc)})",
                                     hint="unseal it or try another node") from None
        except vaulthttp.NotInitialized:
            raise BackendUnavailable(f"{where} is not initialized (501)") from None
        except vaulthttp.RateLimited:
            raise BackendUnavailable(f"{where} rate-limited the request to {action} "
                                     f"{path} (429)", hint="retry later") from None
        except vaulthttp.InvalidRequest as exc:
            raise StoreError(f"{where} rejected the request to {action} {path} "
                             f"(400: {_short(exc)})") from None
        except vaulthttp.VaultHTTPError as exc:
            detail = f"HTTP {exc.status}" + (f": {_short(exc)}" if exc.errors else "")
            raise BackendUnavailable(f"{where} failed to {action} {path} ({detail})") from None
        except vaulthttp.TransportError as exc:
            raise BackendUnavailable(f"cannot reach {where}: {exc.reason}",
                                     hint="check VAULT_ADDR, the network, and that the server "
                                          "is running") from None
        except ValueError:
            raise BackendUnavailable(f"{where} sent a response that is not JSON "
                                     f"(to {action} {path})") from None

    def _request(self, method: str, path: str, *, action: str, capability: str,
                 json: Mapping[str, Any] | None = None,
                 params: Mapping[str, Any] | None = None,
                 passthrough: tuple[type[Exception], ...] = ()) -> dict[str, Any] | None:
        """One API call; the JSON body, None for 204, or `InvalidPath` for a 404."""
        token = self._resolve_token()
        with self._boundary(action, path, capability, passthrough):
            return self._transport.send(method, path, token=token, json=json, params=params)

    resolve_token = _resolve_token
    request = _request


class VaultStore(VaultConnection):
    """Credentials in a KV v2 mount of Vault or OpenBao."""

    def __init__(
        self,
        addr: str,
        *,
        mount: str = DEFAULT_MOUNT,
        env: Mapping[str, str],
        token: str | None = None,
    ) -> None:
        mount = mount.strip("/")
        if not _MOUNT.fullmatch(mount) or ".." in mount.split("/"):
            raise UsageError(f"invalid Vault mount {mount!r}")
        super().__init__(addr, env=env, token=token)
        self.mount = mount
        self._mount_ok = False

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, mount: str = DEFAULT_MOUNT) -> VaultStore:
        return cls(vault_address(env), mount=mount, env=env)

    def __repr__(self) -> str:
        return f"VaultStore({self.describe()})"

    def describe(self) -> str:
        where = f"vault:{self.addr} (mount {self.mount}"
        return where + (f", namespace {self.namespace})" if self.namespace else ")")

    def _missing_mount(self, exc: vaulthttp.InvalidPath) -> GovernError | None:
        if "no handler for route" in _short(exc):
            return StoreError(
                f"Vault at {self.addr} has no secrets engine at {self.mount}/",
                hint=f"create it with `govern store init --store vault:{self.mount}`")
        return None

    def _data_path(self, ref: str) -> str:
        return f"{self.mount}/data/accounts/{validate_ref(ref)}"

    def _meta_path(self, ref: str) -> str:
        return f"{self.mount}/metadata/accounts/{validate_ref(ref)}"

    # -- mount --------------------------------------------------------------------------------

    def ensure_mount(self, create: bool) -> bool:
        """Check the KV v2 mount; create it when `create` (consent). True if it was created."""
        path = f"sys/internal/ui/mounts/{self.mount}"
        try:
            info = self._request("GET", path, action="look up the mount", capability="read",
                                 passthrough=(vaulthttp.Forbidden,))
        except (vaulthttp.InvalidPath, vaulthttp.Forbidden):
            info = None  # a missing mount answers 403 ("preflight capability check") or 404
        if info is not None:
            data = info.get("data") or {}
            options = data.get("options") or {}
            if data.get("type") != "kv" or str(options.get("version")) != "2":
                raise StoreError(f"the mount {self.mount}/ at {self.addr} is not a KV version 2 "
                                 f"secrets engine (type {data.get('type')!r}, options "
                                 f"{options!r})", hint="choose another mount with --store "
                                                       "vault:MOUNT")
            self._mount_ok = True
            return False
        if not create:
            raise StoreError(f"Vault at {self.addr} has no KV v2 secrets engine at "
                             f"{self.mount}/ (or this token cannot see it)",
                             hint=f"create it with `govern store init --store "
                                  f"vault:{self.mount}`")
        body = {"type": "kv", "options": {"version": "2"},
                "description": "govern: credentials of social media accounts"}
        path = f"sys/mounts/{self.mount}"
        try:
            self._request("POST", path, json=body, action="create the mount",
                          capability="create", passthrough=(vaulthttp.InvalidRequest,))
        except vaulthttp.InvalidRequest as exc:
            if "already in use" in _short(exc):
                raise StoreError(f"a secrets engine exists at {self.mount}/ on {self.addr} but "
                                 "this token cannot read it", hint="ask for a policy with "
                                 f"access to {self.mount}/data/accounts/*") from None
            raise StoreError(f"Vault at {self.addr} refused to create the mount "
                             f"{self.mount}/ (400: {_short(exc)})") from None
        except vaulthttp.InvalidPath:
            raise BackendUnavailable(f"Vault at {self.addr} answered 404 to create the mount "
                                     f"at {path}") from None
        self._mount_ok = True
        return True

    # -- reading ------------------------------------------------------------------------------

    def _lookup(self, method: str, path: str, *, action: str,
                capability: str) -> dict[str, Any] | None:
        """A read that may find nothing: None for a 404, unless the mount itself is missing."""
        try:
            return self._request(method, path, action=action, capability=capability) or {}
        except vaulthttp.InvalidPath as exc:
            missing = self._missing_mount(exc)
            if missing:
                raise missing from None
            return None

    def _read_metadata(self, ref: str) -> dict[str, Any] | None:
        path = self._meta_path(ref)
        body = self._lookup("GET", path, action="read metadata of", capability="read")
        if body is None:
            return None
        data = body.get("data")
        if not isinstance(data, dict):
            raise BackendUnavailable(f"Vault at {self.addr} sent no metadata for {path}")
        return data

    def _to_metadata(self, ref: str, data: Mapping[str, Any]) -> CredentialMetadata:
        try:
            current = int(data["current_version"])
            versions: dict[str, Any] = data.get("versions") or {}
            custom: dict[str, str] = data.get("custom_metadata") or {}
            own = custom.get("govern_version") == str(current)
            current_info = versions.get(str(current)) or {}
            updated = current_info.get("created_time") or data["updated_time"]
            return CredentialMetadata(
                ref=ref, current_version=current, versions=len(versions),
                created_at=parse_time(data["created_time"]), updated_at=parse_time(updated),
                rotated_by=custom.get("rotated_by") if own else None,
                reason=custom.get("reason") if own else None,
                meta={k: str(v) for k, v in custom.items() if k not in RESERVED_META_KEYS},
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise StoreError(f"malformed metadata for {self._meta_path(ref)} at "
                             f"{self.addr}") from None

    def metadata(self, ref: str) -> CredentialMetadata | None:
        data = self._read_metadata(ref)
        return None if data is None else self._to_metadata(ref, data)

    def _list_refs(self) -> builtins.list[str]:
        path = f"{self.mount}/metadata/accounts"
        body = self._lookup("LIST", path, action="list", capability="list") or {}
        keys = (body.get("data") or {}).get("keys") or []
        return sorted(str(k) for k in keys if not str(k).endswith("/"))

    def list(self) -> builtins.list[CredentialMetadata]:
        """LIST, then the metadata of each secret with bounded concurrency (one client each)."""
        refs = self._list_refs()
        if not refs:
            return []
        self._resolve_token()  # once, before the threads
        found = self._parallel(self._read_metadata, refs)
        return [self._to_metadata(ref, data) for ref, data in zip(refs, found, strict=True)
                if data is not None]

    def _parallel(self, work: Callable[[str], T], refs: builtins.list[str]) -> builtins.list[T]:
        if len(refs) == 1:
            return [work(refs[0])]
        with ThreadPoolExecutor(max_workers=min(LIST_CONCURRENCY, len(refs)),
                                thread_name_prefix="govern-vault") as pool:
            return builtins.list(pool.map(work, refs))

    def get(self, ref: str, version: int | None = None) -> Secret:
        path = self._data_path(ref)
        params = {"version": int(version)} if version is not None else None
        try:
            body = self._request("GET", path, params=params, action="read", capability="read")
        except vaulthttp.InvalidPath as exc:
            missing = self._missing_mount(exc)
            if missing:
                raise missing from None
            meta = (exc.json or {}).get("data") if isinstance(exc.json, dict) else None
            if isinstance(meta, dict) and (meta.get("metadata") or {}).get("deletion_time"):
                raise CredentialNotFound(f"version {version or 'current'} of {ref!r} was "
                                         f"deleted in {self.describe()}") from None
            what = f"version {version} of {ref!r}" if version else f"{ref!r}"
            raise CredentialNotFound(f"no credential for {what} in {self.describe()}") from None
        data = ((body or {}).get("data") or {}).get("data")
        if not isinstance(data, dict):
            raise StoreError(f"{path} at {self.addr} holds no data")
        return Secret.from_payload(data)

    # -- writing ------------------------------------------------------------------------------

    def put(
        self, ref: str, secret: Secret, *, meta: Mapping[str, str], rotated_by: str, reason: str
    ) -> CredentialMetadata:
        validate_rotation(rotated_by, reason)
        full_meta = normalize_meta(validate_ref(ref), meta)
        if not self._mount_ok:
            self.ensure_mount(create=False)
        version, created = self._write_version(ref, secret, full_meta, rotated_by, reason)
        if version == 1:
            return CredentialMetadata(ref=ref, current_version=1, versions=1, created_at=created,
                                      updated_at=created, rotated_by=rotated_by, reason=reason,
                                      meta=full_meta)
        found = self.metadata(ref)
        if found is None:
            raise StoreError(f"{ref!r} disappeared from {self.describe()} while being written")
        return found

    def _write_version(self, ref: str, secret: Secret, meta: Mapping[str, str],
                       rotated_by: str, reason: str,
                       cas: int | None = None) -> tuple[int, datetime]:
        """Write a new version, then who wrote it and why; (version, its creation time).
        With `cas`, Vault refuses the write unless `cas` is still the current version."""
        path = self._data_path(ref)
        body: dict[str, Any] = {"data": secret.to_payload()}
        if cas is not None:
            body["options"] = {"cas": cas}
        try:
            answer = self._request("POST", path, json=body, action="write", capability="create",
                                   passthrough=(vaulthttp.InvalidRequest,))
        except vaulthttp.InvalidPath as exc:
            raise self._missing_mount(exc) or BackendUnavailable(
                f"Vault at {self.addr} answered 404 to write {path}") from None
        except vaulthttp.InvalidRequest as exc:
            if cas is not None and "check-and-set" in _short(exc):
                raise StoreError(f"{ref!r} got a new version in {self.describe()} while govern "
                                 "was rotating it; nothing was overwritten",
                                 hint="run the command again") from None
            raise StoreError(f"Vault at {self.addr} rejected the request to write {path} "
                             f"(400: {_short(exc)})") from None
        info = (answer or {}).get("data") or {}
        try:
            version = int(info["version"])
            created = parse_time(str(info["created_time"]))
        except (KeyError, TypeError, ValueError):
            raise BackendUnavailable(f"Vault at {self.addr} did not confirm the write of "
                                     f"{path}") from None
        custom = {**meta, "rotated_at": format_time(utc_now()), "rotated_by": rotated_by,
                  "reason": reason, "govern_version": str(version)}
        try:
            self._request("POST", self._meta_path(ref), json={"custom_metadata": custom},
                          action="update metadata of", capability="update")
        except GovernError as exc:
            exc.message = f"stored version {version} of {ref!r}, but not its metadata: " \
                          + exc.message
            exc.args = (exc.message,)
            raise
        return version, created

    def put_many(
        self, items: builtins.list[NewCredential], *, rotated_by: str, reason: str
    ) -> builtins.list[CredentialMetadata]:
        """One put per item, with bounded concurrency (Vault has no multi-secret
        transaction); results in the order of `items`."""
        for item in items:  # validate everything before the first write
            validate_ref(item.ref)
            normalize_meta(item.ref, item.meta)
        validate_rotation(rotated_by, reason)
        if not items:
            return []
        refuse_duplicates([item.ref for item in items])
        self._resolve_token()
        by_ref = {item.ref: item for item in items}

        def put_one(ref: str) -> CredentialMetadata:
            item = by_ref[ref]
            return self.put(ref, item.secret, meta=item.meta, rotated_by=rotated_by,
                            reason=reason)

        return self._parallel(put_one, [item.ref for item in items])

    def rotate_many(
        self,
        refs: Sequence[str],
        new_password: Callable[[str], str],
        *,
        rotated_by: str,
        reason: str,
        unless_since: datetime | None = None,
    ) -> builtins.list[Rotation]:
        """Three requests per ref, in one worker each (8 at a time): read the current
        version (KV v2 returns its custom_metadata with it), write the new version with
        check-and-set on the one read, write the who/why metadata."""
        refs = checked_batch(refs, rotated_by, reason)
        if not refs:
            return []
        if not self._mount_ok:
            self.ensure_mount(create=False)
        self._resolve_token()

        def rotate(ref: str) -> Rotation:
            path = self._data_path(ref)
            body = self._lookup("GET", path, action="read", capability="read")
            if body is None:
                return Rotation(ref, "missing", None)
            data = body.get("data") or {}
            info, payload = data.get("metadata"), data.get("data")
            if not isinstance(info, dict) or not isinstance(payload, dict):
                # A 200 without data: the current version was deleted or destroyed.
                raise CredentialNotFound(f"the current version of {ref!r} was deleted in "
                                         f"{self.describe()}; restore it or store a new one "
                                         "with `govern creds set`")
            try:
                version = int(info["version"])
                written = parse_time(str(info["created_time"]))
            except (KeyError, TypeError, ValueError):
                raise StoreError(f"malformed metadata for {path} at {self.addr}") from None
            custom: dict[str, str] = info.get("custom_metadata") or {}
            own = custom.get("govern_version") == str(version)
            if (unless_since is not None and own and custom.get("reason") == reason
                    and written >= unless_since):
                return Rotation(ref, "already", version)
            secret = Secret.from_payload(payload).replace_password(new_password(ref))
            meta = {k: str(v) for k, v in custom.items() if k not in RESERVED_META_KEYS}
            new_version, _ = self._write_version(ref, secret, meta, rotated_by, reason,
                                                 cas=version)
            return Rotation(ref, "rotated", new_version)

        return self._parallel(rotate, refs)

    def delete(self, ref: str) -> None:
        if self._read_metadata(ref) is None:
            raise CredentialNotFound(f"no credential for {ref!r} in {self.describe()}")
        path = self._meta_path(ref)
        try:
            self._request("DELETE", path, action="delete", capability="delete")
        except vaulthttp.InvalidPath:
            raise CredentialNotFound(f"no credential for {ref!r} in "
                                     f"{self.describe()}") from None


def login(env: Mapping[str, str], token: str, *, addr: str | None = None) -> str:
    """Check `token` against the server and save it in the OS keyring (service `govern`,
    username = the address). Returns the address."""
    address = (addr or "").rstrip("/") or vault_address(env)
    store = VaultStore(address, env=env, token=token)
    body = store._request("GET", "auth/token/lookup-self", action="look up the token at",
                          capability="read")
    if not isinstance((body or {}).get("data"), dict):
        raise BackendUnavailable(f"Vault at {address} did not describe the token")
    keyring_set(KEYRING_SERVICE, address, token)
    return address

