"""The Vault/OpenBao store: KV version 2, through the one Vault connection
(`govern.backends.vault.VaultClient`, hvac on a pooled session).

Secrets live at `<mount>/data/accounts/<ref>` as a flat mapping (username, password, fields);
each secret's custom_metadata carries account, entity, platform, rotated_at, rotated_by, reason
and `govern_version` (the version those describe, so a version written outside govern is not
credited to the last govern rotation). Works the same on HashiCorp Vault and OpenBao.

Errors arrive converted by the connection: unreachable, sealed or refusing servers are
`BackendUnavailable` (exit 3) with one line naming the address and why; a 404 or a refused
check-and-set is a `NotFound` / `Rejected` this module turns into its own message. No message
contains a secret or a token.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from govern.backends.keyring import keyring_set
from govern.backends.vault import (
    LIST_CONCURRENCY,
    NotFound,
    Refused,
    Rejected,
    VaultClient,
    check_mount,
    check_token,
    parallel,
    vault_address,
)
from govern.backends.vault.auth import KEYRING_SERVICE
from govern.credentials import (
    RESERVED_META_KEYS,
    CredentialMetadata,
    CredentialNotFound,
    NewCredential,
    Rotation,
    Secret,
    checked_batch,
    format_time,
    normalize_meta,
    parse_time,
    refuse_duplicates,
    utc_now,
    validate_ref,
    validate_rotation,
)
from govern.errors import BackendUnavailable, GovernError, StoreError

DEFAULT_MOUNT = "govern"
T = TypeVar("T")
__all__ = ["DEFAULT_MOUNT", "LIST_CONCURRENCY", "VaultStore", "login", "vault_address"]


class VaultStore:
    """Credentials in a KV v2 mount of Vault or OpenBao."""

    def __init__(
        self,
        addr: str,
        *,
        mount: str = DEFAULT_MOUNT,
        env: Mapping[str, str],
        token: str | None = None,
        client: VaultClient | None = None,
        mount_source: str = "the Vault mount",
    ) -> None:
        self.mount = check_mount(mount, source=mount_source)
        self.client = client or VaultClient(addr, env=env, token=token)
        self.addr = self.client.addr
        self.namespace = self.client.namespace
        self._mount_ok = False
        self.skipped: builtins.list[str] = []  # keys in the mount that are not govern refs

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        *,
        mount: str = DEFAULT_MOUNT,
        mount_source: str = "the Vault mount",
    ) -> VaultStore:
        return cls(vault_address(env), mount=mount, env=env, mount_source=mount_source)

    @classmethod
    def on(
        cls,
        client: VaultClient,
        *,
        mount: str = DEFAULT_MOUNT,
        mount_source: str = "the Vault mount",
    ) -> VaultStore:
        """The store on an existing connection (its pool and token)."""
        return cls(
            client.addr, mount=mount, env=client.env, client=client, mount_source=mount_source
        )

    def __repr__(self) -> str:
        return f"VaultStore({self.describe()})"

    def describe(self) -> str:
        where = f"vault:{self.addr} (mount {self.mount}"
        return where + (f", namespace {self.namespace})" if self.namespace else ")")

    def _resolve_token(self) -> str:
        return self.client.resolve_token()

    def _request(
        self,
        method: str,
        path: str,
        *,
        action: str,
        capability: str,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        passthrough: tuple[type[Exception], ...] = (),
    ) -> dict[str, Any] | None:
        return self.client.request(
            method,
            path,
            action=action,
            capability=capability,
            json=json,
            params=params,
            passthrough=passthrough,  # type: ignore[arg-type]
        )

    def _missing_mount(self, exc: NotFound) -> GovernError | None:
        if "no handler for route" in exc.detail:
            return StoreError(
                f"Vault at {self.addr} has no secrets engine at {self.mount}/",
                hint=f"create it with `govern store init --store vault:{self.mount}`",
            )
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
            info = self._request(
                "GET", path, action="look up the mount", capability="read", passthrough=(Refused,)
            )
        except (NotFound, Refused):
            info = None  # a missing mount answers 403 ("preflight capability check") or 404
        if info is not None:
            data = info.get("data") or {}
            options = data.get("options") or {}
            if data.get("type") != "kv" or str(options.get("version")) != "2":
                raise StoreError(
                    f"the mount {self.mount}/ at {self.addr} is not a KV version 2 "
                    f"secrets engine (type {data.get('type')!r}, options "
                    f"{options!r})",
                    hint="choose another mount with --store vault:MOUNT",
                )
            self._mount_ok = True
            return False
        if not create:
            raise StoreError(
                f"Vault at {self.addr} has no KV v2 secrets engine at "
                f"{self.mount}/ (or this token cannot see it)",
                hint=f"create it with `govern store init --store vault:{self.mount}`",
            )
        body = {
            "type": "kv",
            "options": {"version": "2"},
            "description": "govern: credentials of social media accounts",
        }
        path = f"sys/mounts/{self.mount}"
        try:
            self.client.call(
                "create the mount",
                path,
                "create",
                lambda h: h.sys.enable_secrets_engine(
                    "kv", path=self.mount, options={"version": "2"}, description=body["description"]
                ),
                passthrough=(Rejected,),
            )
        except Rejected as exc:
            if "already in use" in exc.detail:
                raise StoreError(
                    f"a secrets engine exists at {self.mount}/ on {self.addr} but "
                    "this token cannot read it",
                    hint=f"ask for a policy with access to {self.mount}/data/accounts/*",
                ) from None
            raise StoreError(
                f"Vault at {self.addr} refused to create the mount "
                f"{self.mount}/ (400: {exc.detail})"
            ) from None
        except NotFound:
            raise BackendUnavailable(
                f"Vault at {self.addr} answered 404 to create the mount at {path}"
            ) from None
        self._await_upgrade()
        self._mount_ok = True
        return True

    def _await_upgrade(self, timeout: float = 30.0) -> None:
        """A new KV v2 mount upgrades its storage for a moment and meanwhile refuses every
        request with 400 "Upgrading from non-versioned to versioned data": wait until it
        answers, so the first write after `store init` does not fail."""
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            try:
                self.client.call(
                    "read the mount's configuration",
                    f"{self.mount}/config",
                    "read",
                    lambda h: h.secrets.kv.v2.read_configuration(mount_point=self.mount),
                    passthrough=(Rejected,),
                )
                return
            except Rejected as exc:
                if "upgrading" not in exc.detail.lower() or time.monotonic() > deadline:
                    raise StoreError(
                        f"the new mount {self.mount}/ at {self.addr} is not ready ({exc.detail})",
                        hint="run the command again in a few seconds",
                    ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    # -- reading ------------------------------------------------------------------------------

    def _lookup(
        self, path: str, *, action: str, capability: str, work: Callable[[Any], Any]
    ) -> dict[str, Any] | None:
        """A read (hvac's `work`) that may find nothing: None for a 404, unless the mount
        itself is missing."""
        try:
            return self.client.call(action, path, capability, work) or {}
        except NotFound as exc:
            missing = self._missing_mount(exc)
            if missing:
                raise missing from None
            return None

    def _read_metadata(self, ref: str) -> dict[str, Any] | None:
        path = self._meta_path(ref)
        body = self._lookup(
            path,
            action="read metadata of",
            capability="read",
            work=lambda h: h.secrets.kv.v2.read_secret_metadata(
                f"accounts/{ref}", mount_point=self.mount
            ),
        )
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
                ref=ref,
                current_version=current,
                versions=len(versions),
                created_at=parse_time(data["created_time"]),
                updated_at=parse_time(updated),
                rotated_by=custom.get("rotated_by") if own else None,
                reason=custom.get("reason") if own else None,
                meta={k: str(v) for k, v in custom.items() if k not in RESERVED_META_KEYS},
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise StoreError(
                f"malformed metadata for {self._meta_path(ref)} at {self.addr}"
            ) from None

    def metadata(self, ref: str) -> CredentialMetadata | None:
        data = self._read_metadata(ref)
        return None if data is None else self._to_metadata(ref, data)

    def _list_refs(self) -> builtins.list[str]:
        """The refs under accounts/. Keys govern does not manage (a folder, a name that is
        not a valid ref) are left out and recorded in `self.skipped`."""
        path = f"{self.mount}/metadata/accounts"
        body = (
            self._lookup(
                path,
                action="list",
                capability="list",
                work=lambda h: h.secrets.kv.v2.list_secrets("accounts", mount_point=self.mount),
            )
            or {}
        )
        keys = (body.get("data") or {}).get("keys") or []
        refs, skipped = [], []
        for key in sorted(str(k) for k in keys):
            try:
                refs.append(validate_ref(key))
            except GovernError:
                skipped.append(key)
        self.skipped = skipped
        return refs

    def list(self) -> builtins.list[CredentialMetadata]:
        """LIST, then the metadata of each secret with bounded concurrency. A key whose
        metadata govern cannot read as its own is skipped and recorded in `self.skipped`."""
        refs = self._list_refs()
        if not refs:
            return []
        self._resolve_token()  # once, before the threads
        found = self._parallel(self._read_metadata, refs)
        out: builtins.list[CredentialMetadata] = []
        for ref, data in zip(refs, found, strict=True):
            if data is None:
                continue
            try:
                out.append(self._to_metadata(ref, data))
            except StoreError:
                self.skipped.append(ref)
        return out

    def _parallel(self, work: Callable[[str], T], refs: builtins.list[str]) -> builtins.list[T]:
        return parallel(work, refs, limit=LIST_CONCURRENCY)

    def get(self, ref: str, version: int | None = None) -> Secret:
        path = self._data_path(ref)
        wanted = int(version) if version is not None else None
        try:
            body = self.client.call(
                "read",
                path,
                "read",
                lambda h: h.secrets.kv.v2.read_secret_version(
                    f"accounts/{ref}",
                    version=wanted,
                    mount_point=self.mount,
                    raise_on_deleted_version=True,
                ),
            )
        except NotFound as exc:
            missing = self._missing_mount(exc)
            if missing:
                raise missing from None
            meta = (exc.body or {}).get("data") if isinstance(exc.body, dict) else None
            if isinstance(meta, dict) and (meta.get("metadata") or {}).get("deletion_time"):
                raise CredentialNotFound(
                    f"version {version or 'current'} of {ref!r} was deleted in {self.describe()}"
                ) from None
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
            return CredentialMetadata(
                ref=ref,
                current_version=1,
                versions=1,
                created_at=created,
                updated_at=created,
                rotated_by=rotated_by,
                reason=reason,
                meta=full_meta,
            )
        found = self.metadata(ref)
        if found is None:
            raise StoreError(f"{ref!r} disappeared from {self.describe()} while being written")
        return found

    def _write_version(
        self,
        ref: str,
        secret: Secret,
        meta: Mapping[str, str],
        rotated_by: str,
        reason: str,
        cas: int | None = None,
        before: Mapping[str, str] | None = None,
    ) -> tuple[int, datetime]:
        """Write a new version and who wrote it and why; (version, its creation time).

        With `cas` (a rotation of version `cas`, whose custom metadata is `before`), the who/why
        is written first, naming version cas+1, then the data with check-and-set: a crash or
        a lost answer between the two leaves either no new version (the metadata names one
        that does not exist, so the next run rotates again) or the new version already
        credited to this rotation (the next run finds it done): never two new versions for
        one rotation. If another writer got in first, the metadata is put back."""

        def custom(version: int) -> dict[str, str]:
            return {
                **meta,
                "rotated_at": format_time(utc_now()),
                "rotated_by": rotated_by,
                "reason": reason,
                "govern_version": str(version),
            }

        if cas is not None:
            self._write_custom(ref, custom(cas + 1), None)
        path = self._data_path(ref)
        payload = secret.to_payload()
        try:
            answer = self.client.call(
                "write",
                path,
                "create",
                lambda h: h.secrets.kv.v2.create_or_update_secret(
                    f"accounts/{ref}", secret=payload, cas=cas, mount_point=self.mount
                ),
                passthrough=(Rejected,),
            )
        except NotFound as exc:
            raise self._missing_mount(exc) or BackendUnavailable(
                f"Vault at {self.addr} answered 404 to write {path}"
            ) from None
        except Rejected as exc:
            if cas is not None and "check-and-set" in exc.detail:
                self._write_custom(ref, dict(before or {}), None)
                raise StoreError(
                    f"{ref!r} got a new version in {self.describe()} while govern "
                    "was rotating it; nothing was overwritten",
                    hint="run the command again",
                ) from None
            raise StoreError(
                f"Vault at {self.addr} rejected the request to write {path} (400: {exc.detail})"
            ) from None
        info = (answer or {}).get("data") or {}
        try:
            version = int(info["version"])
            created = parse_time(str(info["created_time"]))
        except (KeyError, TypeError, ValueError):
            raise BackendUnavailable(
                f"Vault at {self.addr} did not confirm the write of {path}"
            ) from None
        if cas is None or version != cas + 1:
            self._write_custom(ref, custom(version), version)
        return version, created

    def _write_custom(self, ref: str, custom: Mapping[str, str], version: int | None) -> None:
        """Replace the custom metadata of `ref` (only that: hvac's update_metadata would
        also reset delete_version_after, a setting that is the administrator's)."""
        try:
            self._request(
                "POST",
                self._meta_path(ref),
                json={"custom_metadata": dict(custom)},
                action="update metadata of",
                capability="update",
            )
        except GovernError as exc:
            if version is not None:
                exc.message = (
                    f"stored version {version} of {ref!r}, but not its metadata: " + exc.message
                )
                exc.args = (exc.message,)
            raise

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
            return self.put(ref, item.secret, meta=item.meta, rotated_by=rotated_by, reason=reason)

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
        version (KV v2 returns its custom_metadata with it), write the who/why metadata
        naming the next version, write the new version with check-and-set on the one read
        (see `_write_version`: an interrupted batch run again rotates each ref once)."""
        refs = checked_batch(refs, rotated_by, reason)
        if not refs:
            return []
        if not self._mount_ok:
            self.ensure_mount(create=False)
        self._resolve_token()

        def rotate(ref: str) -> Rotation:
            path = self._data_path(ref)
            body = self._lookup(
                path,
                action="read",
                capability="read",
                work=lambda h: h.secrets.kv.v2.read_secret_version(
                    f"accounts/{ref}", mount_point=self.mount, raise_on_deleted_version=True
                ),
            )
            if body is None:
                return Rotation(ref, "missing", None)
            data = body.get("data") or {}
            info, payload = data.get("metadata"), data.get("data")
            if not isinstance(info, dict) or not isinstance(payload, dict):
                # A 200 without data: the current version was deleted or destroyed.
                raise CredentialNotFound(
                    f"the current version of {ref!r} was deleted in "
                    f"{self.describe()}; restore it or store a new one "
                    "with `govern creds set`"
                )
            try:
                version = int(info["version"])
                written = parse_time(str(info["created_time"]))
            except (KeyError, TypeError, ValueError):
                raise StoreError(f"malformed metadata for {path} at {self.addr}") from None
            custom: dict[str, str] = info.get("custom_metadata") or {}
            own = custom.get("govern_version") == str(version)
            if (
                unless_since is not None
                and own
                and custom.get("reason") == reason
                and written >= unless_since
            ):
                return Rotation(ref, "already", version)
            secret = Secret.from_payload(payload).replace_password(new_password(ref))
            meta = {k: str(v) for k, v in custom.items() if k not in RESERVED_META_KEYS}
            new_version, _ = self._write_version(
                ref, secret, meta, rotated_by, reason, cas=version, before=custom
            )
            return Rotation(ref, "rotated", new_version)

        return self._parallel(rotate, refs)

    def delete(self, ref: str) -> None:
        if self._read_metadata(ref) is None:
            raise CredentialNotFound(f"no credential for {ref!r} in {self.describe()}")
        path = self._meta_path(ref)
        try:
            self.client.call(
                "delete",
                path,
                "delete",
                lambda h: h.secrets.kv.v2.delete_metadata_and_all_versions(
                    f"accounts/{ref}", mount_point=self.mount
                ),
            )
        except NotFound:
            raise CredentialNotFound(f"no credential for {ref!r} in {self.describe()}") from None


def login(env: Mapping[str, str], token: str, *, addr: str | None = None) -> str:
    """Check `token` against the server and save it in the OS keyring (service `govern`,
    username = the address). Returns the address."""
    address = (addr or "").rstrip("/") or vault_address(env)
    check_token(VaultClient(address, env=env, token=token))
    keyring_set(KEYRING_SERVICE, address, token)
    return address
