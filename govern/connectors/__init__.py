"""Platform connectors: who really holds each account, read from the platforms' admin APIs.

One module per platform (`github`, `meta`, `google_business`) behind one protocol:

    connector = open_connector("github", settings)        # None: no token configured
    holders = connector.holders(account)                  # observed holders, or raises
    connector.remove(account, holder)                     # where the API allows

A connector reports what it observed (platform ids, the platform's role names, emails,
pending invitations); it never decides policy. Matching holders to people (`People`) and
judging the difference (govern.drift) happen above it.

Errors: `Unverifiable` for one account (no `platform_id`, not found on the platform);
`ConnectorUnavailable` (exit 3) when the platform refused the token, could not be reached, or
kept throttling us. Neither ever carries the token.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from govern.errors import BackendUnavailable
from govern.inventory.model import Account, Connectors, Inventory, Person

DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True)
class Holder:
    """One holder of one account, as the platform's admin API reports them."""

    id: str  # the platform's id: GitHub login, Meta business-scoped user id, Google admin id
    roles: tuple[str, ...]  # the platform's own role names (GitHub "admin"; Meta tasks; "OWNER")
    name: str | None = None  # display name, for people reading the report; never for matching
    email: str | None = None  # when the platform returns one
    pending: bool = False  # an invitation not yet accepted: not access
    handle: str | None = None  # what `remove` needs when it is not `id` (a resource name)

    def describe(self) -> str:
        parts = [self.id]
        if self.name and self.name != self.id:
            parts.append(f"'{self.name}'")
        if self.email and self.email != self.id:
            parts.append(f"<{self.email}>")
        return " ".join(parts)


class Unverifiable(Exception):
    """This account cannot be observed, for a reason the report states (no token problem)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConnectorUnavailable(BackendUnavailable):
    """The platform refused the token, could not be reached or kept throttling (exit 3).
    `kind` is one of: refused, forbidden, unreachable, throttled, bad-response."""

    def __init__(self, message: str, *, kind: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind


@dataclass(frozen=True)
class Settings:
    """What a connector needs: its token, API root and the organization's settings."""

    token: str = field(repr=False)
    api_url: str
    connectors: Connectors
    concurrency: int = DEFAULT_CONCURRENCY


class Connector(Protocol):
    """The one interface every platform module implements."""

    #: the identity namespace of `people[].identities` and of tokens (github, meta, google)
    namespace: str
    #: the platform's name for messages
    title: str

    def holders(self, account: Account) -> Sequence[Holder]:
        """Every current holder and pending invitation of `account`."""
        ...

    def remove(self, account: Account, holder: Holder) -> None:
        """Remove `holder` from `account` (one request; the caller re-reads to confirm)."""
        ...


@dataclass(frozen=True)
class Spec:
    namespace: str  # identity and token namespace
    module: str
    default_url: str
    title: str
    removes: bool = True  # False: the documented API offers no removal (manual checklist)


# catalog platform key -> connector. Platforms not listed have no admin API (YouTube, X,
# Threads).
META_GRAPH_VERSION = "v21.0"
SPECS: dict[str, Spec] = {
    "github": Spec("github", "govern.connectors.github", "https://api.github.com", "GitHub"),
    "facebook": Spec(
        "meta", "govern.connectors.meta", f"https://graph.facebook.com/{META_GRAPH_VERSION}", "Meta"
    ),
    "instagram": Spec(
        "meta", "govern.connectors.meta", f"https://graph.facebook.com/{META_GRAPH_VERSION}", "Meta"
    ),
    "linkedin": Spec(
        "linkedin",
        "govern.connectors.linkedin",
        "https://api.linkedin.com",
        "LinkedIn",
        removes=False,
    ),
    "tiktok": Spec(
        "tiktok", "govern.connectors.tiktok", "https://business-api.tiktok.com", "TikTok"
    ),
    "google-business": Spec(
        "google",
        "govern.connectors.google_business",
        "https://mybusinessaccountmanagement.googleapis.com",
        "Google Business Profile",
    ),
}


def token_env(namespace: str) -> str:
    return f"GOVERN_{namespace.upper()}_TOKEN"


def url_env(namespace: str) -> str:
    return f"GOVERN_{namespace.upper()}_API_URL"


def store_key(namespace: str) -> str:
    return f"connector-{namespace}"


TokenLookup = Callable[[str], "str | None"]


def resolve_token(namespace: str, env: Mapping[str, str], store: TokenLookup | None) -> str | None:
    """The token from `GOVERN_<NS>_TOKEN`; for Google, else one obtained with a service-account
    key (GOVERN_GOOGLE_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS, through google-auth);
    else the credential store's `connector-<ns>`. A bad key file raises `InputError` (exit 2),
    a refused key exchange `ConnectorUnavailable` (exit 3)."""
    token = env.get(token_env(namespace), "").strip()
    if token:
        return token
    if namespace == "google":
        from govern.connectors.google_business import service_account_token

        token = service_account_token(env) or ""
        if token:
            return token
    return store(store_key(namespace)) if store is not None else None


def api_url(spec: Spec, env: Mapping[str, str], connectors: Connectors) -> str:
    url = env.get(url_env(spec.namespace), "").strip()
    if not url and spec.namespace == "github" and connectors.github is not None:
        url = connectors.github.api_url or ""
    return (url or spec.default_url).rstrip("/")


def build(platform: str, settings: Settings) -> Connector:
    """The connector of catalog platform `platform` (a key of `SPECS`)."""
    spec = SPECS[platform]
    module = importlib.import_module(spec.module)
    factory: Callable[[Settings], Connector] = module.connector
    return factory(settings)


def open_connector(
    platform: str,
    *,
    env: Mapping[str, str],
    store: TokenLookup | None,
    connectors: Connectors,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Connector | None:
    """The connector of catalog platform `platform` with its token and API root resolved, or
    None when no token is configured (raises as `resolve_token` does)."""
    spec = SPECS[platform]
    token = resolve_token(spec.namespace, env, store)
    if not token:
        return None
    settings = Settings(
        token=token,
        api_url=api_url(spec, env, connectors),
        connectors=connectors,
        concurrency=concurrency,
    )
    return build(platform, settings)


class People:
    """Matches platform holders to inventory people: by identity, else by email; never by
    display name alone."""

    def __init__(self, inventory: Inventory) -> None:
        self._by_identity: dict[str, dict[str, str]] = {}
        self._by_email: dict[str, str] = {}
        self._by_name: dict[str, Person] = {}  # normalized name -> the first person with it
        for person in reversed(inventory.people):
            self._by_name[_name_key(person.name)] = person
        for person in inventory.people:
            for namespace, value in person.identities.model_dump().items():
                if value:
                    self._by_identity.setdefault(namespace, {})[_key(namespace, value)] = person.id
            self._by_email.setdefault(person.email.lower(), person.id)

    def match(self, namespace: str, holder: Holder) -> str | None:
        found = self._by_identity.get(namespace, {}).get(_key(namespace, holder.id))
        if found is None and holder.email:
            found = self._by_email.get(holder.email.strip().lower())
        return found

    def identity(self, namespace: str, person: Person) -> str | None:
        value = getattr(person.identities, namespace, None)
        return value if isinstance(value, str) else None

    def find(self, namespace: str, person: Person, holders: Sequence[Holder]) -> list[Holder]:
        """The holders (current or pending) that are `person`."""
        return [h for h in holders if self.match(namespace, h) == person.id]

    def lookalike(self, holder: Holder) -> Person | None:
        """A person whose name equals the holder's display name: only for hints."""
        return self._by_name.get(_name_key(holder.name)) if holder.name else None


def _name_key(name: str) -> str:
    return " ".join(name.lower().split())


def _key(namespace: str, value: str) -> str:
    # GitHub logins are case-insensitive; the other ids are numeric or opaque.
    value = value.strip()
    if namespace == "github":
        return value.lower()
    if namespace == "google":
        return value.rsplit("/", 1)[-1]
    return value


def account_path(account: Account, prefix: str) -> str:
    """`platform_id` normalized to `prefix/ID` (Google accepts `123` or `accounts/123`)."""
    if not account.platform_id:
        raise Unverifiable("platform_id missing: add the platform's account id to the inventory")
    value = account.platform_id.strip().strip("/")
    return value if value.startswith(prefix + "/") else f"{prefix}/{value}"


__all__ = [
    "DEFAULT_CONCURRENCY",
    "SPECS",
    "Connector",
    "ConnectorUnavailable",
    "Holder",
    "People",
    "Settings",
    "Spec",
    "Unverifiable",
    "api_url",
    "build",
    "open_connector",
    "resolve_token",
    "store_key",
    "token_env",
    "url_env",
]
