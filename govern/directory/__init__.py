"""The organization's directory of people (HR roster, Google Workspace, Entra ID), for
`govern people sync`.

One small interface: a source lists `DirectoryPerson`s (an email, whether the person is
active, the day they left when the directory knows it). One module per source:
`csvsource` (an HR export), `google` (Admin SDK Directory API), `entra` (Microsoft Graph).
`open_directory` turns the command line's SOURCE into one of them; `sync.compare` decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from govern.errors import UsageError

if TYPE_CHECKING:
    from govern.credentials import CredentialStore

StoreOpener = Callable[[], "CredentialStore"]

SOURCES_HINT = "use csv:PATH, google-workspace or entra"


@dataclass(frozen=True)
class DirectoryPerson:
    """One person as the directory sees them. `email` is the matching key (lowercased);
    `aliases` are further addresses of the same person; `where` says where the record came
    from (`roster.csv:7`, a user id) for messages."""

    email: str
    active: bool
    left_on: dt.date | None = None
    aliases: tuple[str, ...] = ()
    where: str = ""


class Directory(Protocol):
    """A source of directory people."""

    name: str  # for messages: "roster.csv", "Google Workspace", "Entra ID"

    def people(self) -> list[DirectoryPerson]:
        """Everyone in the directory. Raises `DirectoryUnavailable` (exit 3) when it cannot
        be read, `InputError`/`UsageError` (exit 2) for bad input or configuration."""
        ...


def normalize_email(value: str) -> str:
    return value.strip().casefold()


def token_from_store(open_store: StoreOpener, key: str, what: str, env_var: str) -> str:
    """The bearer token stored under `key` (its password field) in the credential store."""
    from govern.credentials import CredentialNotFound

    try:
        secret = open_store().get(key)
    except CredentialNotFound:
        raise UsageError(
            f"no credentials for {what}",
            hint=f"set {env_var}, or store a token with `govern creds set {key} "
            "--password-stdin` (see docs/people-sync.md)",
        ) from None
    token: str = secret.password
    return token


def open_directory(
    source: str,
    *,
    env: Mapping[str, str],
    today: dt.date,
    columns: Mapping[str, str],
    subject: str | None,
    open_store: StoreOpener,
) -> Directory:
    """The directory named by SOURCE: `csv:PATH`, `google-workspace` or `entra`."""
    kind, sep, arg = source.partition(":")
    if columns and kind != "csv":
        raise UsageError("--column applies to csv:PATH sources only")
    if kind == "csv" and sep:
        if not arg:
            raise UsageError("csv: needs a path, e.g. csv:roster.csv")
        from govern.directory.csvsource import CsvRoster

        return CsvRoster(arg, columns=columns, today=today)
    if source == "google-workspace":
        from govern.directory.google import GoogleWorkspace

        return GoogleWorkspace(env=env, subject=subject, open_store=open_store)
    if source == "entra":
        from govern.directory.entra import EntraDirectory

        return EntraDirectory(env=env, open_store=open_store)
    raise UsageError(f"unknown directory source {source!r}", hint=SOURCES_HINT)
