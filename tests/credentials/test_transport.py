"""The connection to Vault (govern.backends.vault: hvac on a pooled requests session), through
the store's public API: a standby's redirect (and the redirects that must not carry the
token), TLS with VAULT_CACERT, the proxy variables, odd answers. The server
side is the real OpenBao dev server or, where Vault cannot play the part (a proxy, a TLS
endpoint with a private CA, a broken answer), a local HTTP server speaking just enough."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faultproxy import TcpProxy
from vaultserver import VaultServer

from govern.credentials import NewCredential, Secret
from govern.credentials.vaultstore import VaultStore
from govern.errors import BackendUnavailable

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


class LocalServer:
    """A threaded HTTP(S) server on a free loopback port; `seen` records each request as
    (method, target, token header, body)."""

    def __init__(self, handle: Handler, tls: ssl.SSLContext | None = None) -> None:
        self.seen: list[tuple[str, str, str | None, bytes]] = []
        outer = self

        class _Handler(http.server.BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.seen.append(
                    (self.command, self.path, self.headers.get("X-Vault-Token"), body)
                )
                handle(self)

            do_GET = do_POST = do_LIST = do_PUT = do_DELETE = _any

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.addr = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def local_server() -> Iterator[Callable[..., LocalServer]]:
    started: list[LocalServer] = []

    def start(handle: Handler, tls: ssl.SSLContext | None = None) -> LocalServer:
        started.append(LocalServer(handle, tls))
        return started[-1]

    yield start
    for server in started:
        server.close()


def answer(status: int, body: object = None, *, raw: bytes | None = None) -> Handler:
    def handle(request: http.server.BaseHTTPRequestHandler) -> None:
        data = raw if raw is not None else json.dumps(body).encode() if body is not None else b""
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    return handle


EMPTY_LIST = {"data": {"keys": []}}


def standby_of(active: str, *, redirect_to: str | None = None) -> Handler:
    """A standby node: sys/leader names `active` as the leader; everything else is a 307
    to `redirect_to` (default: `active`)."""

    def handle(request: http.server.BaseHTTPRequestHandler) -> None:
        if request.path.startswith("/v1/sys/leader"):
            answer(
                200,
                {
                    "ha_enabled": True,
                    "is_self": False,
                    "leader_address": active,
                    "leader_cluster_address": active.replace("http", "https", 1),
                },
            )(request)
            return
        request.send_response(307)
        request.send_header("Location", (redirect_to or active) + request.path)
        request.send_header("Content-Length", "0")
        request.end_headers()

    return handle


def test_a_redirect_to_a_host_outside_the_cluster_never_gets_the_token(
    local_server: Callable[..., LocalServer],
) -> None:
    """The standby advertises one active node but redirects elsewhere (a compromised or
    misconfigured node, an open redirect): nothing is sent there, exit 3, one line.
    ("localhost" is another host than "127.0.0.1": requests itself would strip
    `Authorization` there, but not `X-Vault-Token`.)"""
    rogue = local_server(answer(200, EMPTY_LIST))
    rogue_addr = rogue.addr.replace("127.0.0.1", "localhost")
    leader = local_server(answer(200, EMPTY_LIST))
    standby = local_server(standby_of(leader.addr, redirect_to=rogue_addr))
    store = VaultStore(standby.addr, env={"VAULT_TOKEN": "t0ken-value"})
    with pytest.raises(BackendUnavailable) as caught:
        store.list()
    assert rogue.seen == [] and leader.seen == []
    assert caught.value.exit_code == 3
    assert caught.value.message == (
        f"Vault at {standby.addr}: refused a redirect to {rogue_addr}: not the active node "
        "the cluster advertises (sys/leader)"
    )
    # The token went only to the configured address (its own requests; sys/leader without).
    assert {token for _, path, token, _ in standby.seen if "sys/leader" not in path} == {
        "t0ken-value"
    }
    assert {token for _, path, token, _ in standby.seen if "sys/leader" in path} == {None}


def test_a_redirect_from_https_to_http_never_gets_the_token(
    tmp_path: Path, local_server: Callable[..., LocalServer]
) -> None:
    """Even to the advertised leader: a configured https address never sends the token over
    http."""
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    plain = local_server(answer(200, EMPTY_LIST))
    standby = local_server(standby_of(plain.addr), tls=context)
    store = VaultStore(standby.addr, env={"VAULT_TOKEN": "t0ken-value", "VAULT_CACERT": str(cert)})
    with pytest.raises(BackendUnavailable) as caught:
        store.list()
    assert plain.seen == []
    assert caught.value.message == (
        f"Vault at {standby.addr}: refused a redirect from https to {plain.addr} (another scheme)"
    )


def test_a_standby_redirect_is_followed_with_the_token_and_the_body(
    vault_server: VaultServer, vault_mount: str, local_server: Callable[..., LocalServer]
) -> None:
    """A Vault standby node answers 307 with the active node's address, the one it
    advertises in sys/leader; writes and reads must arrive there intact (the method, the
    JSON body and the token kept)."""
    standby = local_server(standby_of(vault_server.addr))
    store = VaultStore(standby.addr, mount=vault_mount, env=vault_server.env())
    stored = store.put(
        "redirected",
        Secret(username="u", password="s3cret-pw"),
        meta={},
        rotated_by="tester",
        reason="setup",
    )
    assert stored.current_version == 1
    assert store.get("redirected").password == "s3cret-pw"
    methods = [method for method, _, _, _ in standby.seen]
    assert "POST" in methods and "GET" in methods
    assert {token for _, path, token, _ in standby.seen if "sys/leader" not in path} == {
        vault_server.token
    }


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "govern test vault")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "vault-ca.pem", tmp_path / "vault-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_tls_trusts_vault_cacert_and_nothing_else(
    tmp_path: Path, local_server: Callable[..., LocalServer]
) -> None:
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = local_server(answer(200, EMPTY_LIST), tls=context)
    trusted = VaultStore(server.addr, env={"VAULT_TOKEN": "t0ken-value", "VAULT_CACERT": str(cert)})
    assert trusted.list() == []
    assert server.seen[-1][:3] == ("LIST", "/v1/govern/metadata/accounts", "t0ken-value")

    untrusted = VaultStore(server.addr, env={"VAULT_TOKEN": "t0ken-value"})
    with pytest.raises(BackendUnavailable) as caught:
        untrusted.list()
    assert caught.value.message == f"cannot reach Vault at {server.addr}: TLS verification failed"


def test_the_proxy_variables_are_honoured(
    monkeypatch: pytest.MonkeyPatch, local_server: Callable[..., LocalServer]
) -> None:
    proxy = local_server(answer(200, EMPTY_LIST))
    monkeypatch.setenv("HTTP_PROXY", proxy.addr)
    monkeypatch.setenv("http_proxy", proxy.addr)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    addr = "http://vault.invalid:8200"  # only the proxy can reach it
    assert VaultStore(addr, env={"VAULT_TOKEN": "t0ken-value"}).list() == []
    assert proxy.seen == [("LIST", f"{addr}/v1/govern/metadata/accounts", "t0ken-value", b"")]

    monkeypatch.setenv("NO_PROXY", "vault.invalid")
    monkeypatch.setenv("no_proxy", "vault.invalid")
    with pytest.raises(BackendUnavailable) as caught:
        VaultStore(addr, env={"VAULT_TOKEN": "t0ken-value"}).list()
    assert caught.value.message == f"cannot reach Vault at {addr}: unknown host"
    assert len(proxy.seen) == 1


@pytest.mark.parametrize(
    ("status", "body", "raw", "message"),
    [
        (
            200,
            None,
            b"<html>captive portal</html>",
            "Vault at {addr} sent a response that is not JSON (to list govern/metadata/accounts)",
        ),
        (
            503,
            {"errors": ["Vault is sealed"]},
            None,
            "Vault at {addr} is sealed (503: Vault is sealed)",
        ),
        (
            500,
            {"errors": ["1 error occurred:\n\t* internal error\n\n"]},
            None,
            "Vault at {addr} failed to list govern/metadata/accounts (HTTP 500: internal error)",
        ),
        (
            403,
            {"errors": ["permission denied"]},
            None,
            "Vault at {addr} refused to list govern/metadata/accounts (permission denied): the "
            "token needs the 'list' capability on govern/metadata/accounts",
        ),
        (
            502,
            None,
            b"Bad Gateway",
            "Vault at {addr} failed to list govern/metadata/accounts (HTTP 502)",
        ),
    ],
)
def test_odd_answers_are_one_line_errors(
    local_server: Callable[..., LocalServer],
    status: int,
    body: object,
    raw: bytes | None,
    message: str,
) -> None:
    server = local_server(answer(status, body, raw=raw))
    with pytest.raises(BackendUnavailable) as caught:
        VaultStore(server.addr, env={"VAULT_TOKEN": "t0ken-value"}).list()
    assert caught.value.message == message.format(addr=server.addr)
    assert "t0ken-value" not in str(caught.value)


def test_one_pool_serves_concurrent_batches(vault_store: VaultStore) -> None:
    """put_many and rotate_many run 8 workers over one shared pool: every item arrives
    intact, each with its own password."""
    items = [
        NewCredential(
            ref=f"pool-{i:02d}", secret=Secret(username=f"u{i}", password=f"pw-{i:02d}-x"), meta={}
        )
        for i in range(40)
    ]
    vault_store.put_many(items, rotated_by="tester", reason="setup")
    refs = [item.ref for item in items]
    done = vault_store.rotate_many(
        refs, lambda ref: f"new-{ref}", rotated_by="tester", reason="rotate"
    )
    assert [(r.ref, r.status, r.version) for r in done] == [(ref, "rotated", 2) for ref in refs]
    for i, ref in enumerate(refs):
        assert vault_store.get(ref) == Secret(username=f"u{i}", password=f"new-{ref}")


def test_a_connection_the_server_closed_while_idle_is_not_reused(
    vault_server: VaultServer, vault_mount: str
) -> None:
    """Keep-alive connections are kept per thread; when the server (or a load balancer)
    drops one while it is idle, the next request, a write, goes out once on a new one."""
    proxy = TcpProxy("127.0.0.1", urlparse(vault_server.addr).port or 0)
    proxy.start()
    try:
        store = VaultStore(proxy.addr, mount=vault_mount, env=vault_server.env())
        put = store.put("idle", Secret(password="first-pw"), meta={}, rotated_by="t", reason="set")
        assert put.current_version == 1
        proxy.stop()  # closes every open connection
        proxy.start()
        again = store.put(
            "idle", Secret(password="second-pw"), meta={}, rotated_by="t", reason="set"
        )
        assert again.current_version == 2  # sent exactly once
        assert store.get("idle").password == "second-pw"
    finally:
        proxy.stop()


class ConnectProxy:
    """An HTTPS proxy: answers CONNECT host:port, then relays bytes both ways."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.addr = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connects: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += client.recv(4096)
        line = head.split(b"\r\n", 1)[0].decode()
        self.connects.append(line)
        host, port = line.split()[1].rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.close()


def test_https_through_a_connect_proxy_still_verifies_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_server: Callable[..., LocalServer]
) -> None:
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = local_server(answer(200, EMPTY_LIST), tls=context)
    proxy = ConnectProxy()
    try:
        for name in ("HTTPS_PROXY", "https_proxy"):
            monkeypatch.setenv(name, proxy.addr)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        trusted = VaultStore(
            server.addr, env={"VAULT_TOKEN": "t0ken-value", "VAULT_CACERT": str(cert)}
        )
        assert trusted.list() == []
        port = urlparse(server.addr).port
        assert [c.rsplit(" ", 1)[0] for c in proxy.connects] == [f"CONNECT 127.0.0.1:{port}"]
        with pytest.raises(BackendUnavailable) as caught:
            VaultStore(server.addr, env={"VAULT_TOKEN": "t0ken-value"}).list()
        assert caught.value.message.endswith(": TLS verification failed")
    finally:
        proxy.close()


def test_a_server_that_never_answers_times_out() -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # accepts (backlog), never answers
    try:
        addr = f"http://127.0.0.1:{silent.getsockname()[1]}"
        store = VaultStore(addr, env={"VAULT_TOKEN": "t0ken-value", "VAULT_CLIENT_TIMEOUT": "0.3"})
        with pytest.raises(BackendUnavailable) as caught:
            store.list()
        assert caught.value.message == f"cannot reach Vault at {addr}: timed out"
    finally:
        silent.close()
