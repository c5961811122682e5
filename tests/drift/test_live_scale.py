"""`govern drift --live` at scale, from the outside: --concurrency bounds the requests in flight
per platform while the platforms are read in parallel, a platform's rate limit holds all of
its requests (not one thread at a time), and the per-platform progress bars appear on a
terminal (a real pty) but never in CI, with --quiet, or in the report on standard output."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern.cli.main import cli
from tests.connectors.fake_github import FakeGithub, fake_github
from tests.connectors.fake_linkedin import FakeLinkedin, linkedin
from tests.support.apiserver import Reply, Request

__all__ = ["fake_github", "linkedin"]

ORGS = 6  # GitHub organizations and LinkedIn pages each


def inventory() -> str:
    lines = [
        "version: 1",
        "organization: {name: Parish Network, domains: [parish.test]}",
        "people:",
        "  - {id: head, name: Hal Head, email: head@parish.test, level: A,",
        "     identities: {github: hal, linkedin: 'urn:li:person:hal'}}",
        "entities:",
        "  - {id: parish, name: Parish, head: head}",
        "accounts:",
    ]
    for i in range(ORGS):
        lines += [
            f"  - {{id: gh{i}, entity: parish, platform: github, handle: org{i},",
            "     access: [{person: head, role: owner}]}",
            f"  - {{id: li{i}, entity: parish, platform: linkedin, handle: page{i},",
            f"     platform_id: '{100 + i}', access: [{{person: head, role: admin}}]}}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def org(tmp_path: Path, fake_github: FakeGithub, linkedin: FakeLinkedin) -> Path:
    for i in range(ORGS):
        fake_github.add_org(f"org{i}")
        fake_github.add_member(f"org{i}", "hal", role="admin")
        linkedin.add(str(100 + i), "hal", "ADMINISTRATOR")
    (tmp_path / "inventory.yaml").write_text(inventory())
    (tmp_path / "policies").mkdir()
    return tmp_path


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, fake_github: FakeGithub, linkedin: FakeLinkedin
) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith(("GOVERN_", "VAULT_")) or name == "CI":
            monkeypatch.delenv(name, raising=False)
    values = {
        "GOVERN_GITHUB_TOKEN": fake_github.token,
        "GOVERN_GITHUB_API_URL": fake_github.url,
        "GOVERN_LINKEDIN_TOKEN": linkedin.token,
        "GOVERN_LINKEDIN_API_URL": linkedin.url,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return {**os.environ, **values}


def drift(cwd: Path, *args: str) -> tuple[int, dict[str, object]]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            cli,
            ["drift", "--live", "--no-vault", "--today", "2026-11-22", "-f", "json", *args],
            catch_exceptions=False,
        )
    finally:
        os.chdir(old)
    return result.exit_code, json.loads(result.stdout)


class InFlight:
    """Counts requests a server is answering at once (each held `hold` seconds), per server
    and over all of them."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.total = 0
        self.peak_total = 0

    def wrap(
        self, name: str, auth: Callable[[Request], Reply | None] | None
    ) -> Callable[[Request], Reply | None]:
        def counted(request: Request) -> Reply | None:
            with self.lock:
                self.now[name] = self.now.get(name, 0) + 1
                self.total += 1
                self.peak[name] = max(self.peak.get(name, 0), self.now[name])
                self.peak_total = max(self.peak_total, self.total)
            time.sleep(self.hold)
            with self.lock:
                self.now[name] -= 1
                self.total -= 1
            return auth(request) if auth is not None else None

        return counted


def test_concurrency_is_per_platform_and_platforms_are_read_in_parallel(
    org: Path, env: dict[str, str], fake_github: FakeGithub, linkedin: FakeLinkedin
) -> None:
    flight = InFlight(hold=0.05)
    fake_github.server.auth = flight.wrap("github", fake_github.server.auth)
    linkedin.server.auth = flight.wrap("linkedin", linkedin.server.auth)
    code, report = drift(org, "--concurrency", "2")
    assert code == 0, report
    coverage = report["coverage"]
    assert isinstance(coverage, dict)
    assert set(coverage["states"].values()) == {"clean"}
    assert flight.peak == {"github": 2, "linkedin": 2}  # never more than 2 per platform...
    assert flight.peak_total >= 3  # ...while both platforms are read at the same time


def test_a_refusal_holds_every_request_to_the_platform(
    org: Path, env: dict[str, str], linkedin: FakeLinkedin
) -> None:
    """LinkedIn answers 429 without Retry-After for a while: after the first refusal no
    request leaves for the gate's backoff (at least 0.125 s), from any thread."""
    start = time.monotonic()
    seen: list[tuple[float, int]] = []
    lock = threading.Lock()
    auth = linkedin.server.auth

    def limited(request: Request) -> Reply | None:
        now = time.monotonic()
        refused = now - start < 0.3
        with lock:
            seen.append((now, 429 if refused else 200))
        if refused:
            return Reply(429, {"status": 429, "code": "TOO_MANY_REQUESTS", "message": "slow"})
        return auth(request) if auth is not None else None

    linkedin.server.auth = limited
    code, report = drift(org, "--concurrency", "4")
    assert code == 0, report
    first = min(t for t, status in seen if status == 429)
    # requests already on their way when the first refusal came back arrive at once; after
    # that, nothing until the gate opens
    assert not [t for t, _ in seen if first + 0.05 < t < first + 0.12], seen
    refusals = sum(1 for _, status in seen if status == 429)
    assert refusals <= 12, seen  # a few rounds of the 4 workers, not one per retry per thread


def run_on_a_terminal(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """govern drift in a real process whose standard error is a pty (standard output a pipe,
    as in `govern drift > report.json`): (exit code, what the terminal showed, stdout)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "govern", "drift", "--live", "--no-vault", *args],
        cwd=cwd,
        env={**env, "COLUMNS": "100", "TERM": "xterm"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        elif proc.poll() is not None:
            break
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    code = proc.wait(timeout=30)
    os.close(master)
    return code, shown.decode("utf-8", "replace"), out


def test_progress_bars_per_platform_on_a_terminal_never_in_the_report(
    org: Path, env: dict[str, str]
) -> None:
    code, shown, out = run_on_a_terminal(org, env, "--format", "json")
    assert code == 0, shown
    assert "GitHub" in shown and "LinkedIn" in shown, shown
    assert f"{ORGS}/{ORGS}" in shown, shown  # accounts read / total, per platform
    assert "\x1b" not in out and json.loads(out)["coverage"]["failures"] == []


@pytest.mark.parametrize(
    ("extra_env", "args"),
    [({"CI": "true"}, ()), ({}, ("--quiet",)), ({}, ("-q",))],
    ids=["CI", "--quiet", "-q"],
)
def test_no_progress_in_ci_or_when_quiet(
    org: Path, env: dict[str, str], extra_env: dict[str, str], args: tuple[str, ...]
) -> None:
    code, shown, out = run_on_a_terminal(org, {**env, **extra_env}, "-f", "json", *args)
    assert code == 0, shown
    assert shown.strip() == "", shown
    assert json.loads(out)["coverage"]["states"]["gh0"] == "clean"


def test_no_progress_when_standard_error_is_not_a_terminal(org: Path, env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "govern", "drift", "--live", "--no-vault", "-f", "json"],
        cwd=org,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert json.loads(proc.stdout)["coverage"]["states"]["li0"] == "clean"
