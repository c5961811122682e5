"""`govern people sync entra` against a local server speaking Microsoft Graph
(`/v1.0/users` with `$select`, `@odata.nextLink` paging, {"error": {"code", "message"}}
errors, 429 with Retry-After) and the identity platform's client-credentials token endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.directory.conftest import active_emails, run, store_token

SELECT = "id,mail,userPrincipalName,accountEnabled,employeeLeaveDateTime"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.graph-test-token"


def entra_user(
    email: str, *, enabled: bool = True, leave: str | None = None, upn_only: bool = False
) -> dict[str, Any]:
    local = email.split("@")[0]
    return {
        "id": f"00000000-0000-0000-0000-{abs(hash(email)) % 10**12:012d}",
        "mail": None if upn_only else email,
        "userPrincipalName": email if upn_only else f"{local}@stbrendan.onmicrosoft.com",
        "accountEnabled": enabled,
        "employeeLeaveDateTime": leave,
    }


def serve_pages(server: HTTPServer, pages: list[list[dict[str, Any]]], token: str = TOKEN) -> None:
    """Graph's paging: the first page at /v1.0/users?$select=..., each further page at the
    opaque nextLink the previous one gave ($skiptoken)."""
    auth = {"Authorization": f"Bearer {token}"}
    for n, users in enumerate(pages):
        query = {"$select": SELECT} if n == 0 else {"$select": SELECT, "$skiptoken": f"X'{n:04}'"}
        body: dict[str, Any] = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(" + SELECT + ")",
            "value": users,
        }
        if n + 1 < len(pages):
            body["@odata.nextLink"] = server.url_for(
                f"/v1.0/users?$select={SELECT}&$skiptoken=X%27{n + 1:04}%27"
            )
        server.expect_request("/v1.0/users", query_string=query, headers=auth).respond_with_json(
            body
        )


def graph_error(code: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": "2026-11-30T04:00:00", "request-id": "r-1"},
        }
    }


@pytest.fixture
def graph(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    monkeypatch.setenv("GOVERN_GRAPH_API_URL", httpserver.url_for("/"))
    return httpserver


def test_paging_by_next_link_marks_disabled_accounts(
    org: Path, graph: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_GRAPH_TOKEN", TOKEN)
    users = []
    for email in active_emails(org):
        if email.startswith("dkim@"):
            users.append(entra_user(email, enabled=False, leave="2026-11-14T23:30:00-05:00"))
        elif email.startswith("jbrooks@"):
            users.append(entra_user(email, enabled=False))
        elif email.startswith("mreyes@"):  # no mail attribute: matched by userPrincipalName
            users.append(entra_user(email, upn_only=True))
        else:
            users.append(entra_user(email))
    users.append(
        {
            "id": "room-1",
            "mail": None,
            "userPrincipalName": None,
            "accountEnabled": True,
            "employeeLeaveDateTime": None,
        }
    )
    serve_pages(graph, [users[:5], users[5:12], users[12:]])
    before = (org / "inventory.yaml").read_text()
    result = run("people", "sync", "entra", "--yes", "--today", "2026-11-30", "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert {(d["person"], d["left_on"]) for d in data["departures"]} == {
        ("dkim", "2026-11-15"),  # the leave date in UTC
        ("jbrooks", "2026-11-30"),  # no leave date: today
    }
    assert data["missing"] == [] and data["new"] == []
    assert len(graph.log) == 3
    assert len((org / "inventory.yaml").read_text().splitlines()) == len(before.splitlines()) + 4
    assert TOKEN not in result.output


def test_client_credentials(org: Path, graph: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVERN_ENTRA_LOGIN_URL", graph.url_for("/login"))
    monkeypatch.setenv("GOVERN_ENTRA_TENANT_ID", "contoso.onmicrosoft.com")
    monkeypatch.setenv("GOVERN_ENTRA_CLIENT_ID", "11111111-2222-3333-4444-555555555555")
    monkeypatch.setenv("GOVERN_ENTRA_CLIENT_SECRET", "client~secret.value")
    forms: list[dict[str, list[str]]] = []

    def token_endpoint(request: Request) -> Response:
        forms.append(parse_qs(request.get_data(as_text=True)))
        return Response(
            json.dumps(
                {
                    "token_type": "Bearer",
                    "expires_in": 3599,
                    "ext_expires_in": 3599,
                    "access_token": "from-client-creds",
                }
            ),
            200,
            content_type="application/json",
        )

    graph.expect_request(
        "/login/contoso.onmicrosoft.com/oauth2/v2.0/token", method="POST"
    ).respond_with_handler(token_endpoint)
    serve_pages(graph, [[entra_user(e) for e in active_emails(org)]], token="from-client-creds")
    result = run("people", "sync", "entra", "--dry-run")
    assert result.exit_code == 0, result.output
    assert forms == [
        {
            "client_id": ["11111111-2222-3333-4444-555555555555"],
            "client_secret": ["client~secret.value"],
            "scope": ["https://graph.microsoft.com/.default"],
            "grant_type": ["client_credentials"],
        }
    ]


def test_client_credentials_refused_is_exit_3_without_the_secret(
    org: Path, graph: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_ENTRA_LOGIN_URL", graph.url_for("/"))
    monkeypatch.setenv("GOVERN_ENTRA_TENANT_ID", "tenant-1")
    monkeypatch.setenv("GOVERN_ENTRA_CLIENT_ID", "app-1")
    monkeypatch.setenv("GOVERN_ENTRA_CLIENT_SECRET", "very-secret-value")
    graph.expect_request("/tenant-1/oauth2/v2.0/token", method="POST").respond_with_json(
        {
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret "
            "provided.\r\nTrace ID: t\r\nCorrelation ID: c",
            "error_codes": [7000215],
        },
        status=401,
    )
    result = run("people", "sync", "entra")
    assert result.exit_code == 3
    assert "HTTP 401 (UNAUTHORIZED) invalid_client: AADSTS7000215: Invalid client secret" in (
        result.output
    )
    assert "very-secret-value" not in result.output


def test_incomplete_client_credentials_are_exit_2(
    org: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_ENTRA_TENANT_ID", "tenant-1")
    result = run("people", "sync", "entra")
    assert result.exit_code == 2
    assert "GOVERN_ENTRA_CLIENT_ID, GOVERN_ENTRA_CLIENT_SECRET not set" in result.output


def test_token_from_the_credential_store(org: Path, graph: HTTPServer) -> None:
    store_token(org, "connector-entra", "stored-graph-token")
    serve_pages(graph, [[entra_user(e) for e in active_emails(org)]], token="stored-graph-token")
    assert run("people", "sync", "entra").exit_code == 0


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
        (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    ],
)
def test_graph_refusals_are_exit_3(
    org: Path,
    graph: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    code: str,
    message: str,
) -> None:
    monkeypatch.setenv("GOVERN_GRAPH_TOKEN", TOKEN)
    graph.expect_request("/v1.0/users").respond_with_json(graph_error(code, message), status=status)
    result = run("people", "sync", "entra", "--yes")
    assert result.exit_code == 3
    line = result.output.strip().splitlines()[0]
    assert line.startswith(f"error: Microsoft Graph at {graph.host}:{graph.port} refused")
    assert f"HTTP {status}" in line and code in line and message in line
    assert TOKEN not in result.output


def test_throttling_honours_retry_after(
    org: Path, graph: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_GRAPH_TOKEN", TOKEN)
    graph.expect_oneshot_request("/v1.0/users").respond_with_json(
        graph_error("TooManyRequests", "Too many requests"),
        status=429,
        headers={"Retry-After": "1"},
    )
    serve_pages(
        graph, [[entra_user(e, enabled=not e.startswith("efitz@")) for e in active_emails(org)]]
    )
    result = run("people", "sync", "entra", "--dry-run", "--format", "json")
    assert result.exit_code == 1, result.output
    assert [d["person"] for d in json.loads(result.output)["departures"]] == ["efitz"]
    assert [entry[1].status_code for entry in graph.log] == [429, 200]


def test_persistent_throttling_gives_up(
    org: Path, graph: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_GRAPH_TOKEN", TOKEN)
    graph.expect_request("/v1.0/users").respond_with_json(
        graph_error("TooManyRequests", "Too many requests"),
        status=429,
        headers={"Retry-After": "0"},
    )
    result = run("people", "sync", "entra")
    assert result.exit_code == 3
    assert "HTTP 429" in result.output and "rate limited" in result.output
    assert len(graph.log) == 4


def test_a_next_link_to_another_host_is_not_followed(
    org: Path, graph: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_GRAPH_TOKEN", TOKEN)
    graph.expect_request("/v1.0/users").respond_with_json(
        {"value": [], "@odata.nextLink": "https://attacker.example/v1.0/users?$skiptoken=1"}
    )
    result = run("people", "sync", "entra")
    assert result.exit_code == 3
    assert "points at another host (attacker.example)" in result.output


@pytest.mark.parametrize("body", ["not json", '{"value": "x"}', '{"value": [1]}'])
def test_malformed_graph_answers_are_exit_3(
    org: Path, graph: HTTPServer, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    monkeypatch.setenv("GOVERN_GRAPH_TOKEN", TOKEN)
    graph.expect_request("/v1.0/users").respond_with_data(body, content_type="application/json")
    result = run("people", "sync", "entra")
    assert result.exit_code == 3
    assert "Traceback" not in result.output
