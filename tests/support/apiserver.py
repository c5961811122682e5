"""A local HTTP server for connector tests: each platform's fake (tests/connectors/fake_*.py)
speaks that platform's documented API on top of this one.

    server = ApiServer(token="t0ken")        # requests without the token get the platform's 401
    server.route("GET", r"/orgs/(?P<org>[^/]+)/members", handler)
    server.fail("GET", r"/orgs/.*/members", status=503, times=2)   # faults, before the handler
    server.start(); ...; server.requests  # every request seen, for asserting what was sent

Real sockets, a real HTTP/1.1 server (http.server) in a thread: the connectors' requests
sessions, paging, retries and timeouts run exactly as they would against the platform.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    match: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialized unless bytes or str
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Handler = Callable[[Request], Reply]


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    reply: Reply
    times: int


class ApiServer:
    def __init__(self, *, auth: Callable[[Request], Reply | None] | None = None) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self.auth = auth
        self.requests: list[Request] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- set-up -------------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern + r"/?$"), handler))

    def fail(
        self,
        method: str,
        pattern: str,
        *,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        """The next `times` matching requests get this reply instead of the handler's."""
        with self._lock:
            self._faults.append(
                _Fault(
                    method,
                    re.compile(pattern + r"/?$"),
                    Reply(status, body, dict(headers or {}), delay),
                    times,
                )
            )

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def sent(self, method: str, pattern: str = ".*") -> list[Request]:
        regex = re.compile(pattern + r"/?$")
        return [r for r in self.requests if r.method == method and regex.match(r.path)]

    def start(self) -> ApiServer:
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # small JSON answers: no 40 ms delayed-ACK stalls

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                reply = owner._dispatch(request)
                if reply.delay:
                    time.sleep(reply.delay)
                if isinstance(reply.body, bytes):
                    payload = reply.body
                elif isinstance(reply.body, str):
                    payload = reply.body.encode()
                elif reply.body is None:
                    payload = b""
                else:
                    payload = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        # a short poll interval: stop() returns at once instead of after up to 0.5 s
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- serving ------------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            for fault in self._faults:
                if (
                    fault.times > 0
                    and fault.method == request.method
                    and fault.pattern.match(request.path)
                ):
                    fault.times -= 1
                    return fault.reply
        if self.auth is not None:
            refused = self.auth(request)
            if refused is not None:
                return refused
        for method, pattern, handler in self._routes:
            if method != request.method:
                continue
            match = pattern.match(request.path)
            if match:
                request.match = {k: v for k, v in match.groupdict().items() if v is not None}
                return handler(request)
        return Reply(404, {"message": "Not Found"})
