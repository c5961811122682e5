"""A local Google Business Profile Account Management API v1 (the admins of accounts) and an
OAuth 2.0 token endpoint for service-account keys, speaking the documented shapes.

    fake = FakeGoogleBusiness(token="ya29.t0ken").start()
    fake.add_admin("123", "5009", "Maria Santos", "MANAGER")
    fake.invite("123", "7001", "new.person@example.org", "MANAGER")
    ... GOVERN_GOOGLE_API_URL=fake.url ...
    fake.removals          # the DELETE requests seen

Shapes from the discovery document (mybusinessaccountmanagement v1): admins.list answers
`{"accountAdmins": [Admin]}` without paging, proto3 JSON (empty list, false and unset enum
left out); admins.delete answers `{}`. Errors are Google's `{"error": {"code", "message",
"status"}}`. The token endpoint verifies the RS256 JWT bearer assertion google-auth signs
(RFC 7523) against the service account's public key before issuing an access token.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.apiserver import ApiServer, Reply, Request

SCOPE = "https://www.googleapis.com/auth/business.manage"
# google-auth signs assertions for Google's token endpoint whatever the key's token_uri says;
# Google accepts that audience (and its token_uri's).
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
MESSAGES = {
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service "
    "'mybusinessaccountmanagement.googleapis.com'.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}


def google_error(code: int, message: str | None = None) -> dict[str, Any]:
    """Google's JSON error body (google.rpc.Status)."""
    return {
        "error": {
            "code": code,
            "message": message or MESSAGES.get(code, "Error"),
            "status": STATUS.get(code, "UNKNOWN"),
        }
    }


@dataclass
class Admin:
    account: str  # account id, without "accounts/"
    admin_id: str
    admin: str  # display name when accepted, invited email when pending
    role: str
    pending: bool = False

    @property
    def name(self) -> str:
        return f"accounts/{self.account}/admins/{self.admin_id}"

    def resource(self) -> dict[str, Any]:
        item: dict[str, Any] = {"name": self.name, "admin": self.admin, "role": self.role}
        if self.pending:  # proto3 JSON leaves out false
            item["pendingInvitation"] = True
        return item


class FakeGoogleBusiness:
    """Business Profile accounts with their admins behind a real local HTTP server."""

    def __init__(self, token: str = "ya29.fake-google-token") -> None:
        self.tokens = {token}
        self.token = token
        self.accounts: dict[str, list[Admin]] = {}
        self.key: rsa.RSAPrivateKey | None = None
        self.client_email = "govern-drift@example-project.iam.gserviceaccount.com"
        self.issued: list[str] = []  # access tokens handed out by the token endpoint
        self.assertions: list[dict[str, Any]] = []  # verified JWT claims
        self.server = ApiServer(auth=self._auth)
        self.server.route("GET", r"/v1/accounts/(?P<account>[^/]+)/admins", self._list)
        self.server.route(
            "DELETE", r"/v1/accounts/(?P<account>[^/]+)/admins/(?P<admin>[^/]+)", self._delete
        )
        self.server.route("POST", r"/token", self._token)

    # --- set-up -------------------------------------------------------------------------

    def start(self) -> FakeGoogleBusiness:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token_uri(self) -> str:
        return self.server.url + "/token"

    def add_account(self, account: str) -> None:
        self.accounts.setdefault(account, [])

    def add_admin(self, account: str, admin_id: str, name: str, role: str) -> Admin:
        admin = Admin(account, admin_id, name, role)
        self.accounts.setdefault(account, []).append(admin)
        return admin

    def invite(self, account: str, admin_id: str, email: str, role: str) -> Admin:
        admin = Admin(account, admin_id, email, role, pending=True)
        self.accounts.setdefault(account, []).append(admin)
        return admin

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        delay: float = 0.0,
    ) -> None:
        """The next `times` requests of `method` to the admins API get a Google error."""
        pattern = r"/v1/accounts/[^/]+/admins" + ("" if method == "GET" else r"/[^/]+")
        self.server.fail(
            method,
            pattern,
            status=status,
            body=google_error(status) if body is None else body,
            headers=headers,
            times=times,
            delay=delay,
        )

    @property
    def removals(self) -> list[Request]:
        return self.server.sent("DELETE", r"/v1/accounts/[^/]+/admins/[^/]+")

    @property
    def listings(self) -> list[Request]:
        return self.server.sent("GET", r"/v1/accounts/[^/]+/admins")

    def service_account_key(self, directory: Path) -> Path:
        """A service-account JSON key file whose token_uri is this server's token endpoint."""
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        info = {
            "type": "service_account",
            "project_id": "example-project",
            "private_key_id": "0123456789abcdef0123456789abcdef01234567",
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            "govern-drift%40example-project.iam.gserviceaccount.com",
            "universe_domain": "googleapis.com",
        }
        path = directory / "service-account.json"
        path.write_text(json.dumps(info, indent=2))
        return path

    # --- serving ------------------------------------------------------------------------

    def _auth(self, request: Request) -> Reply | None:
        if request.path == "/token":
            return None
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token not in self.tokens:
            return Reply(
                401,
                google_error(401),
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        return None

    def _list(self, request: Request) -> Reply:
        admins = self.accounts.get(request.match["account"])
        if admins is None:
            return Reply(404, google_error(404))
        items = [admin.resource() for admin in admins]
        return Reply(200, {"accountAdmins": items} if items else {})

    def _delete(self, request: Request) -> Reply:
        admins = self.accounts.get(request.match["account"])
        if admins is None:
            return Reply(404, google_error(404))
        for admin in admins:
            if admin.admin_id == request.match["admin"]:
                admins.remove(admin)
                return Reply(200, {})
        return Reply(404, google_error(404))

    def _token(self, request: Request) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return Reply(400, {"error": "unsupported_grant_type"})
        claims = self._verify(form.get("assertion", ""))
        if claims is None:
            return Reply(
                400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            )
        self.assertions.append(claims)
        token = f"ya29.service-account-{len(self.issued) + 1}"
        self.issued.append(token)
        self.tokens.add(token)
        return Reply(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _verify(self, assertion: str) -> dict[str, Any] | None:
        """The claims of a valid RS256 assertion from our service account, else None."""
        if self.key is None:
            return None
        try:
            head, payload, signature = assertion.split(".")
            header = json.loads(_unb64(head))
            claims = json.loads(_unb64(payload))
            self.key.public_key().verify(
                _unb64(signature),
                f"{head}.{payload}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (ValueError, InvalidSignature):
            return None
        now = time.time()
        valid = (
            header.get("alg") == "RS256"
            and claims.get("iss") == self.client_email
            and claims.get("aud") in (GOOGLE_TOKEN_URI, self.token_uri)
            and SCOPE in str(claims.get("scope", "")).split()
            and claims.get("iat", 0) <= now + 60
            and claims.get("exp", 0) > now
        )
        return claims if valid else None


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def fake_google() -> Iterator[FakeGoogleBusiness]:
    fake = FakeGoogleBusiness().start()
    try:
        yield fake
    finally:
        fake.stop()
