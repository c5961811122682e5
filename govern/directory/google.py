"""Google Workspace as a directory: the Admin SDK Directory API, `users.list`.

`GET {base}/admin/directory/v1/users?customer=my_customer&maxResults=500[&pageToken=...]`
answers `{"users": [...], "nextPageToken": "..."}`; the last page has no `nextPageToken`.
A user with `suspended` or `archived` true is not active. The API has no leaving date: a
departure found here is dated today. Deleted users are not listed at all (they are
"missing", see `--missing-means-departed`).

Credentials, first found wins: a bearer token in GOVERN_GOOGLE_DIRECTORY_TOKEN; a
service-account key (GOOGLE_APPLICATION_CREDENTIALS) with domain-wide delegation, acting
as the admin named by GOVERN_GOOGLE_DIRECTORY_SUBJECT (`--subject`), through google-auth;
a token stored under `connector-google-directory` in the credential store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govern.directory import DirectoryPerson, StoreOpener, normalize_email, token_from_store
from govern.directory._http import DirectoryUnavailable, HttpClient, host_of
from govern.errors import UsageError

DEFAULT_BASE = "https://admin.googleapis.com"
SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"
STORE_KEY = "connector-google-directory"
TOKEN_ENV = "GOVERN_GOOGLE_DIRECTORY_TOKEN"
SUBJECT_ENV = "GOVERN_GOOGLE_DIRECTORY_SUBJECT"
PAGE_SIZE = "500"  # the API's maximum for maxResults
MAX_PAGES = 10_000  # 5 million users: a server repeating its token loops no further


class GoogleWorkspace:
    name = "Google Workspace"

    def __init__(
        self, *, env: Mapping[str, str], subject: str | None, open_store: StoreOpener
    ) -> None:
        self.env = env
        self.base = (env.get("GOVERN_GOOGLE_DIRECTORY_API_URL") or DEFAULT_BASE).rstrip("/")
        self.subject = subject or env.get(SUBJECT_ENV) or None
        self.open_store = open_store
        self.http = HttpClient(f"the {self.name} directory")

    def people(self) -> list[DirectoryPerson]:
        headers = {"Authorization": f"Bearer {self._token()}"}
        url = f"{self.base}/admin/directory/v1/users"
        people: list[DirectoryPerson] = []
        page_token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            params = {"customer": "my_customer", "maxResults": PAGE_SIZE}
            if page_token:
                params["pageToken"] = page_token
            body = self.http.get_json(url, params=params, headers=headers)
            users = body.get("users", [])
            if not isinstance(users, list):
                raise self._malformed("`users` is not a list")
            people.extend(self._person(user) for user in users)
            next_token = body.get("nextPageToken")
            if not next_token:
                return people
            if not isinstance(next_token, str) or next_token in seen:
                raise self._malformed("a repeated or invalid nextPageToken")
            seen.add(next_token)
            page_token = next_token
        raise self._malformed(f"more than {MAX_PAGES} pages")

    def _person(self, user: Any) -> DirectoryPerson:
        email = user.get("primaryEmail") if isinstance(user, dict) else None
        if not isinstance(email, str) or "@" not in email:
            raise self._malformed("a user without primaryEmail")
        aliases = user.get("aliases")
        aliases = aliases if isinstance(aliases, list) else []
        return DirectoryPerson(
            email=normalize_email(email),
            active=not (user.get("suspended") is True or user.get("archived") is True),
            aliases=tuple(normalize_email(a) for a in aliases if isinstance(a, str)),
            where=f"Google Workspace user {user.get('id') or email}",
        )

    def _malformed(self, what: str) -> DirectoryUnavailable:
        return DirectoryUnavailable(
            f"the {self.name} directory at {host_of(self.base)} answered unexpectedly: {what}"
        )

    def _token(self) -> str:
        token = self.env.get(TOKEN_ENV, "").strip()
        if token:
            return token
        key_file = self.env.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
        if key_file:
            return self._service_account_token(key_file)
        return token_from_store(self.open_store, STORE_KEY, self.name, TOKEN_ENV)

    def _service_account_token(self, key_file: str) -> str:
        """An access token for the service account acting as the admin `subject`."""
        import google.auth.exceptions
        from google.auth.transport.requests import Request
        from google.oauth2 import service_account

        if not self.subject:
            raise UsageError(
                "a service account reads the directory only on behalf of an admin",
                hint=f"name one with --subject or {SUBJECT_ENV} (domain-wide delegation)",
            )
        try:
            credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                key_file, scopes=[SCOPE], subject=self.subject
            )
        except FileNotFoundError:
            raise UsageError(f"GOOGLE_APPLICATION_CREDENTIALS: no file {key_file}") from None
        except (ValueError, KeyError, OSError) as exc:
            detail = exc.strerror if isinstance(exc, OSError) else type(exc).__name__
            raise UsageError(
                f"GOOGLE_APPLICATION_CREDENTIALS: {key_file} is not a service-account key "
                f"({detail})",
                hint="download a JSON key of the service account",
            ) from None
        token_host = host_of(str(credentials._token_uri))
        try:
            credentials.refresh(Request(self.http.session))
        except google.auth.exceptions.RefreshError as exc:
            raise DirectoryUnavailable(
                f"Google's token service at {token_host} refused the service account: "
                f"{_refresh_reason(exc)}",
                hint=f"check domain-wide delegation of the scope {SCOPE} and the admin subject",
            ) from None
        except google.auth.exceptions.TransportError:
            raise DirectoryUnavailable(
                f"Google's token service at {token_host} unreachable",
                hint="check the network",
            ) from None
        token = credentials.token
        if not isinstance(token, str) or not token:
            raise DirectoryUnavailable(f"Google's token service at {token_host} sent no token")
        return token


def _refresh_reason(exc: Exception) -> str:
    # google-auth puts (message, response body) in args: the body's OAuth error code only.
    body = exc.args[1] if len(exc.args) > 1 else None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return "the token request failed"
