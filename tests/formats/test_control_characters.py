"""Control characters in inventory values never reach a terminal or a CI log raw: no ESC
sequence, no workflow command at column 0, no @mention in Markdown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BASE

# A YAML double-quoted value: ESC [2J clears a terminal, OSC sets its title, a newline puts a
# workflow command at column 0, U+202E reorders what a reviewer reads, @team pings people.
HOSTILE = r"Parish\e[2J\e]0;pwned\a\n::add-mask::leak\r\n::warning::x\u202e @diocese/admins"
RAW = ("\x1b", "\x07", "\r", "\u202e")


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govern", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "GOVERN_STORE": "",
            "VAULT_ADDR": "",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        },
    )


def assert_inert(text: str) -> None:
    for char in RAW:
        assert char not in text, f"raw {char!r} in output"
    for line in text.splitlines():
        assert not line.lstrip().startswith("::add-mask::"), line
        assert not line.lstrip().startswith("::warning::x"), line


@pytest.fixture
def org(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    # The entity's name is quoted by admin-retention when its head loses the admin role.
    text = BASE.replace("name: St Test Parish", f'name: "{HOSTILE}"').replace(
        "      - {person: head, role: admin}\n      - {person: it, role: admin}\n"
        "      - {person: mgr, role: editor}",
        "      - {person: it, role: admin}\n      - {person: mgr, role: editor}",
    )
    (tmp_path / "inventory.yaml").write_text(text)
    return tmp_path


def test_validate_text_output_escapes_values(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "inventory.yaml").write_text(
        BASE.replace("platform: x\n", f'platform: "{HOSTILE}"\n')
    )
    done = run(tmp_path, "validate")
    assert done.returncode == 2
    assert "unknown platform" in done.stderr
    assert_inert(done.stdout + done.stderr)
    assert "\\x1b" in done.stderr and "\\n::add-mask::" in done.stderr


@pytest.mark.parametrize("fmt", ["text", "github", "markdown", "junit", "sarif", "json"])
def test_audit_formats_escape_values(org: Path, fmt: str) -> None:
    done = run(org, "audit", "--offline", "-f", fmt, "--fail-on", "never")
    assert done.returncode == 0, done.stderr
    assert "admin-retention" in done.stdout
    assert_inert(done.stdout + done.stderr)
    if fmt == "json":  # JSON keeps the value (escaped by JSON itself) for machines
        assert any("\n::add-mask::" in f["message"] for f in json.loads(done.stdout)["findings"])


def test_markdown_neutralizes_mentions(org: Path) -> None:
    done = run(org, "audit", "--offline", "-f", "markdown", "--fail-on", "never")
    assert "@diocese/admins" not in done.stdout
    assert "diocese/admins" in done.stdout


def test_who_text_output_escapes_the_name(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "inventory.yaml").write_text(BASE.replace("name: Manager,", f'name: "{HOSTILE}",'))
    done = run(tmp_path, "who", "mgr")
    assert done.returncode == 0, done.stderr
    assert "\\x1b" in done.stdout
    assert_inert(done.stdout + done.stderr)
