"""Microsoft Entra ID as a directory: Microsoft Graph `GET /v1.0/users`.

`GET {base}/v1.0/users?$select=id,mail,userPrincipalName,accountEnabled,employeeLeaveDateTime`
answers `{"value": [...], "@odata.nextLink": "<absolute URL of the next page>"}`; the
nextLink is followed exactly as given (it carries its own skip token) and only to the same
host, so the token goes nowhere else. A user is matched by `mail`, else by
`userPrincipalName`; `accountEnabled: false` means not active, dated by
`employeeLeaveDateTime` when HR set it (reading it needs User-LifeCycleInfo.Read.All),
else today.

Credentials, first found wins: a bearer token in GOVERN_GRAPH_TOKEN; client credentials
(GOVERN_ENTRA_TENANT_ID, GOVERN_ENTRA_CLIENT_ID, GOVERN_ENTRA_CLIENT_SECRET) exchanged at
`{login}/{tenant}/oauth2/v2.0/token` for the scope https://graph.microsoft.com/.default;
a token stored under `connector-entra` in the credential store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from govern.directory import DirectoryPerson, StoreOpener, normalize_email, token_from_store
from govern.directory._http import DirectoryUnavailable, HttpClient, host_of, same_origin
from govern.errors import UsageError

DEFAULT_BASE = "https://graph.microsoft.com"
DEFAULT_LOGIN = "https://login.microsoftonline.com"
SELECT = "id,mail,userPrincipalName,accountEnabled,employeeLeaveDateTime"
SCOPE = "https://graph.microsoft.com/.default"
STORE_KEY = "connector-entra"
TOKEN_ENV = "GOVERN_GRAPH_TOKEN"
CLIENT_ENV = ("GOVERN_ENTRA_TENANT_ID", "GOVERN_ENTRA_CLIENT_ID", "GOVERN_ENTRA_CLIENT_SECRET")
MAX_PAGES = 100_000


class EntraDirectory:
    name = "Entra ID"

    def __init__(self, *, env: Mapping[str, str], open_store: StoreOpener) -> None:
        self.env = env
        self.base = (env.get("GOVERN_GRAPH_API_URL") or DEFAULT_BASE).rstrip("/")
        self.login = (env.get("GOVERN_ENTRA_LOGIN_URL") or DEFAULT_LOGIN).rstrip("/")
        self.open_store = open_store
        self.http = HttpClient("Microsoft Graph")

    def people(self) -> list[DirectoryPerson]:
        headers = {"Authorization": f"Bearer {self._token()}"}
        url: str = f"{self.base}/v1.0/users?$select={SELECT}"
        people: list[DirectoryPerson] = []
        seen = {url}
        for _ in range(MAX_PAGES):
            body = self.http.get_json(url, headers=headers)
            users = body.get("value")
            if not isinstance(users, list):
                raise self._malformed("no `value` list")
            for user in users:
                person = self._person(user)
                if person is not None:
                    people.append(person)
            next_link = body.get("@odata.nextLink")
            if not next_link:
                return people
            if not isinstance(next_link, str) or next_link in seen:
                raise self._malformed("a repeated or invalid @odata.nextLink")
            if not same_origin(next_link, self.base):
                raise self._malformed(
                    f"@odata.nextLink points at another host ({host_of(next_link)})"
                )
            seen.add(next_link)
            url = next_link
        raise self._malformed(f"more than {MAX_PAGES} pages")

    def _person(self, user: Any) -> DirectoryPerson | None:
        if not isinstance(user, dict):
            raise self._malformed("a user that is not an object")
        mail, upn = user.get("mail"), user.get("userPrincipalName")
        emails = [normalize_email(v) for v in (mail, upn) if isinstance(v, str) and "@" in v]
        if not emails:
            return None  # no address to match on (a user without mail or a usable UPN)
        # accountEnabled is null when not readable: not a reason to mark anyone departed.
        active = user.get("accountEnabled") is not False
        left_on = None if active else _leave_date(user.get("employeeLeaveDateTime"))
        return DirectoryPerson(
            email=emails[0],
            active=active,
            left_on=left_on,
            aliases=tuple(e for e in emails[1:] if e != emails[0]),
            where=f"Entra ID user {user.get('id') or emails[0]}",
        )

    def _malformed(self, what: str) -> DirectoryUnavailable:
        return DirectoryUnavailable(
            f"Microsoft Graph at {host_of(self.base)} answered unexpectedly: {what}"
        )

    def _token(self) -> str:
        token = self.env.get(TOKEN_ENV, "").strip()
        if token:
            return token
        given = [name for name in CLIENT_ENV if self.env.get(name, "").strip()]
        if given and len(given) < len(CLIENT_ENV):
            missing = ", ".join(n for n in CLIENT_ENV if n not in given)
            raise UsageError(f"client credentials for Entra ID are incomplete: {missing} not set")
        if given:
            return self._client_credentials()
        return token_from_store(self.open_store, STORE_KEY, self.name, TOKEN_ENV)

    def _client_credentials(self) -> str:
        tenant, client_id, secret = (self.env[name].strip() for name in CLIENT_ENV)
        url = f"{self.login}/{quote(tenant, safe='')}/oauth2/v2.0/token"
        body = HttpClient("the Microsoft identity platform", session=self.http.session).post_form(
            url,
            {
                "client_id": client_id,
                "client_secret": secret,
                "scope": SCOPE,
                "grant_type": "client_credentials",
            },
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise DirectoryUnavailable(
                f"the Microsoft identity platform at {host_of(url)} sent no access_token"
            )
        return token


def _leave_date(value: Any) -> dt.date | None:
    """The date of an ISO 8601 `employeeLeaveDateTime` (`2026-11-20T00:00:00Z`), in UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date()
