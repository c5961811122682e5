"""`govern people sync google-workspace` against a local server speaking the Admin SDK
Directory API (`users.list`: `users[]`, `nextPageToken`, errors as {"error": {...}}), and a
local OAuth token endpoint that checks google-auth's signed service-account assertion."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.directory.conftest import active_emails, run, store_token

USERS = "/admin/directory/v1/users"
TOKEN = "ya29.directory-test-token"
SUBJECT = "admin@stbrendan.org"
SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"


def user(email: str, *, suspended: bool = False, archived: bool = False) -> dict[str, Any]:
    return {
        "kind": "admin#directory#user",
        "id": str(abs(hash(email))),
        "primaryEmail": email,
        "suspended": suspended,
        "archived": archived,
        "isAdmin": False,
    }


def serve_pages(server: HTTPServer, pages: list[list[dict[str, Any]]], token: str = TOKEN) -> None:
    """users.list across `pages`, each page's nextPageToken leading to the next."""
    for n, users in enumerate(pages):
        query = {"customer": "my_customer", "maxResults": "500"}
        if n:
            query["pageToken"] = f"page-{n}"
        body: dict[str, Any] = {"kind": "admin#directory#users", "etag": '"e"', "users": users}
        if n + 1 < len(pages):
            body["nextPageToken"] = f"page-{n + 1}"
        server.expect_request(
            USERS, method="GET", query_string=query, headers={"Authorization": f"Bearer {token}"}
        ).respond_with_json(body)


def google_error(code: int, message: str, status: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": status.lower()}],
            "status": status,
        }
    }


@pytest.fixture
def google(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    monkeypatch.setenv("GOVERN_GOOGLE_DIRECTORY_API_URL", httpserver.url_for("/"))
    return httpserver


def test_paging_marks_suspended_and_archived_users(
    org: Path, google: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_GOOGLE_DIRECTORY_TOKEN", TOKEN)
    users = [
        user(e, suspended=e.startswith("dkim@"), archived=e.startswith("jbrooks@"))
        for e in active_emails(org)
    ]
    users.append(user("newcomer@stbrendan.org"))
    serve_pages(google, [users[:7], users[7:14], users[14:]])
    before = (org / "inventory.yaml").read_text()
    result = run(
        "people", "sync", "google-workspace", "--yes", "--today", "2026-11-30", "--format", "json"
    )
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert sorted(d["person"] for d in data["departures"]) == ["dkim", "jbrooks"]
    assert {d["left_on"] for d in data["departures"]} == {"2026-11-30"}
    assert data["missing"] == [] and data["new"] == ["newcomer@stbrendan.org"]
    assert data["written"] is True
    assert len(google.log) == 3  # every page read, each once
    after = (org / "inventory.yaml").read_text()
    assert len(after.splitlines()) == len(before.splitlines()) + 4
    assert TOKEN not in result.output


def test_token_from_the_credential_store(org: Path, google: HTTPServer) -> None:
    store_token(org, "connector-google-directory", "stored-google-token")
    serve_pages(google, [[user(e) for e in active_emails(org)]], token="stored-google-token")
    result = run("people", "sync", "google-workspace", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Google Workspace: 0 departures, 0 missing, 0 new." in result.output


def test_no_credentials_is_a_usage_error(org: Path, google: HTTPServer) -> None:
    result = run("people", "sync", "google-workspace")
    assert result.exit_code == 2
    assert "no credentials for Google Workspace" in result.output
    assert "govern creds set connector-google-directory" in result.output


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (401, google_error(401, "Invalid Credentials", "UNAUTHENTICATED"), "HTTP 401"),
        (
            403,
            google_error(403, "Not Authorized to access this resource/api", "PERMISSION_DENIED"),
            "Not Authorized to access this resource/api",
        ),
        (400, google_error(400, "Bad Request", "INVALID_ARGUMENT"), "HTTP 400"),
    ],
)
def test_refusals_are_exit_3_naming_the_host(
    org: Path,
    google: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    body: dict[str, Any],
    reason: str,
) -> None:
    monkeypatch.setenv("GOVERN_GOOGLE_DIRECTORY_TOKEN", TOKEN)
    google.expect_request(USERS).respond_with_json(body, status=status)
    before = (org / "inventory.yaml").read_bytes()
    result = run("people", "sync", "google-workspace", "--yes")
    assert result.exit_code == 3, result.output
    assert f"at {google.host}:{google.port} refused the request" in result.output
    assert reason in result.output
    assert TOKEN not in result.output and "Traceback" not in result.output
    assert len(google.log) == 1  # a refusal is not retried
    assert (org / "inventory.yaml").read_bytes() == before


def test_rate_limit_is_waited_out_then_paging_goes_on(
    org: Path, google: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_GOOGLE_DIRECTORY_TOKEN", TOKEN)
    users = [user(e, suspended=e.startswith("mreyes@")) for e in active_emails(org)]
    google.expect_oneshot_request(
        USERS, query_string={"customer": "my_customer", "maxResults": "500", "pageToken": "page-1"}
    ).respond_with_json(
        google_error(429, "Quota exceeded", "RESOURCE_EXHAUSTED"),
        status=429,
        headers={"Retry-After": "1"},
    )
    serve_pages(google, [users[:10], users[10:]])
    result = run("people", "sync", "google-workspace", "--dry-run", "--format", "json")
    assert result.exit_code == 1, result.output
    assert [d["person"] for d in json.loads(result.output)["departures"]] == ["mreyes"]
    assert [entry[1].status_code for entry in google.log] == [200, 429, 200]


def test_server_errors_are_retried_a_bounded_number_of_times(
    org: Path, google: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_GOOGLE_DIRECTORY_TOKEN", TOKEN)
    google.expect_request(USERS).respond_with_json(
        google_error(503, "The service is currently unavailable.", "UNAVAILABLE"),
        status=503,
        headers={"Retry-After": "0"},
    )
    result = run("people", "sync", "google-workspace")
    assert result.exit_code == 3
    assert "HTTP 503" in result.output and "The service is currently unavailable." in result.output
    assert len(google.log) == 4


@pytest.mark.parametrize(
    "body",
    [
        "<html>gateway</html>",
        '{"users": [',
        '["a list"]',
        '{"users": {"not": "a list"}}',
        '{"users": [{"id": "1"}]}',
    ],
)
def test_malformed_answers_are_exit_3(
    org: Path, google: HTTPServer, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    monkeypatch.setenv("GOVERN_GOOGLE_DIRECTORY_TOKEN", TOKEN)
    google.expect_request(USERS).respond_with_data(body, content_type="application/json")
    result = run("people", "sync", "google-workspace", "--yes")
    assert result.exit_code == 3, result.output
    assert f"{google.host}:{google.port}" in result.output
    assert "Traceback" not in result.output


def test_unreachable_directory_is_exit_3(org: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVERN_GOOGLE_DIRECTORY_TOKEN", TOKEN)
    monkeypatch.setenv("GOVERN_GOOGLE_DIRECTORY_API_URL", "http://127.0.0.1:9")
    result = run("people", "sync", "google-workspace")
    assert result.exit_code == 3
    assert result.output.strip().splitlines()[0] == (
        "error: the Google Workspace directory at 127.0.0.1:9 unreachable: "
        "connection refused or failed"
    )


# -- a service account: google-auth signs an assertion, a local token endpoint checks it -------
def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@pytest.fixture
def service_account(
    tmp_path: Path, google: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "govern-test",
        "private_key_id": "key-1",
        "private_key": pem,
        "client_email": "people-sync@govern-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": google.url_for("/token"),
    }
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(info))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    assertions: list[dict[str, Any]] = []

    def token_endpoint(request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return Response(
                json.dumps({"error": "unsupported_grant_type"}),
                400,
                content_type="application/json",
            )
        header, payload, signature = form["assertion"].split(".")
        key.public_key().verify(  # raises (HTTP 500) on a bad signature
            b64decode(signature),
            f"{header}.{payload}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        claims = json.loads(b64decode(payload))
        assertions.append({"header": json.loads(b64decode(header)), "claims": claims})
        if claims.get("sub") != SUBJECT:
            return Response(
                json.dumps(
                    {
                        "error": "unauthorized_client",
                        "error_description": "Client is unauthorized to retrieve access tokens",
                    }
                ),
                401,
                content_type="application/json",
            )
        return Response(
            json.dumps(
                {
                    "access_token": "ya29.from-service-account",
                    "expires_in": 3599,
                    "token_type": "Bearer",
                }
            ),
            200,
            content_type="application/json",
        )

    google.expect_request("/token", method="POST").respond_with_handler(token_endpoint)
    return {"info": info, "assertions": assertions}


def test_service_account_with_a_delegated_admin(
    org: Path, google: HTTPServer, service_account: dict[str, Any]
) -> None:
    users = [user(e, suspended=e.startswith("asullivan@")) for e in active_emails(org)]
    serve_pages(google, [users], token="ya29.from-service-account")
    result = run(
        "people", "sync", "google-workspace", "--subject", SUBJECT, "--dry-run", "--format", "json"
    )
    assert result.exit_code == 1, result.output
    assert [d["person"] for d in json.loads(result.output)["departures"]] == ["asullivan"]
    [assertion] = service_account["assertions"]
    assert assertion["header"]["alg"] == "RS256" and assertion["header"]["kid"] == "key-1"
    claims = assertion["claims"]
    assert claims["iss"] == service_account["info"]["client_email"]
    assert claims["sub"] == SUBJECT and claims["scope"] == SCOPE
    # google-auth signs for Google's token endpoint whatever token_uri it posts to.
    assert claims["aud"] == "https://oauth2.googleapis.com/token"
    assert claims["exp"] - claims["iat"] == 3600


def test_service_account_refused_is_exit_3(
    org: Path,
    google: HTTPServer,
    service_account: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOVERN_GOOGLE_DIRECTORY_SUBJECT", "someone@stbrendan.org")
    result = run("people", "sync", "google-workspace")
    assert result.exit_code == 3, result.output
    assert (
        f"token service at {google.host}:{google.port} refused the service account: "
        "unauthorized_client"
    ) in result.output
    assert "PRIVATE KEY" not in result.output


def test_service_account_needs_a_subject(
    org: Path, google: HTTPServer, service_account: dict[str, Any]
) -> None:
    result = run("people", "sync", "google-workspace")
    assert result.exit_code == 2
    assert "--subject" in result.output


def test_a_broken_key_file_is_exit_2(
    org: Path, google: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    (org / "key.json").write_text('{"type": "service_account"}')
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(org / "key.json"))
    result = run("people", "sync", "google-workspace", "--subject", SUBJECT)
    assert result.exit_code == 2, result.output
    assert "is not a service-account key" in result.output


def test_an_alias_matches_the_inventory_email(
    org: Path, google: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_GOOGLE_DIRECTORY_TOKEN", TOKEN)
    users = [user(e) for e in active_emails(org) if not e.startswith("kpowell@")]
    renamed = user("karen.powell@stbrendan.org", suspended=True)
    renamed["aliases"] = [e for e in active_emails(org) if e.startswith("kpowell@")]
    serve_pages(google, [[*users, renamed]])
    result = run("people", "sync", "google-workspace", "--dry-run", "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert [d["person"] for d in data["departures"]] == ["kpowell"]
    assert data["new"] == []
