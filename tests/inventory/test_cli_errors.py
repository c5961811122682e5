"""`govern validate` in a real process: exit 2, `path:line:column` on stderr, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .samples import BASE, edit, insert
from .test_load_errors import LAUGHS

CASES: dict[str, tuple[bytes, int, int]] = {
    "syntax": (edit(BASE, 11, "   name: Bob").encode(), 11, 4),
    "duplicate-key": ((BASE + "version: 1\n").encode(), 29, 1),
    "unknown-field": (edit(BASE, 24, "    acess:").encode(), 24, 5),
    "dangling": (edit(BASE, 17, "    head: alic").encode(), 17, 11),
    "non-utf8": (edit(BASE, 11, "    name: B\udcffob").encode("utf-8", "surrogateescape"), 11, 12),
    "empty": (b"", 1, 1),
    "billion-laughs": (LAUGHS.encode(), 0, 0),
}


def validate(path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    (cwd / "policies").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "govern", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_inventory_exits_2_with_a_position(tmp_path: Path, case: str) -> None:
    content, line, column = CASES[case]
    path = tmp_path / "inventory.yaml"
    path.write_bytes(content)
    result = validate(path, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    if line:
        assert f"{path}:{line}:{column}: " in result.stderr
    else:
        assert f"{path}:" in result.stderr and "alias" in result.stderr
    assert "nothing was changed" in result.stderr


def test_missing_file_and_directory(tmp_path: Path) -> None:
    for target in (tmp_path / "nope.yaml", tmp_path):
        result = validate(target, tmp_path)
        assert result.returncode == 2
        assert f"{target}:1:1: " in result.stderr
        assert "Traceback" not in result.stderr


def test_password_value_never_reaches_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(insert(BASE, 23, "    password: S3cr3t-Value-Do-Not-Print"))
    result = validate(path, tmp_path)
    assert result.returncode == 2
    assert f"{path}:24:5: unknown field 'password'" in result.stderr
    assert "S3cr3t-Value-Do-Not-Print" not in result.stderr + result.stdout


def test_valid_inventory_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(BASE)
    result = validate(path, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "valid (1 accounts, 1 entities, 2 people)" in result.stdout
