"""`credential.ref` is checked where it enters: `validate` refuses a ref that the stores
(and `plan`) would refuse, with its position, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BASE, at
from tests.subprocess_cli import run_govern

ENV = {"PATH": "/usr/bin:/bin", "GOVERN_STORE": "", "VAULT_ADDR": ""}


@pytest.mark.parametrize("ref", ['"*"', "../x", "a/b", '".hidden"', '""', "x" * 129])
def test_validate_refuses_a_ref_the_store_cannot_hold(tmp_path: Path, ref: str) -> None:
    (tmp_path / "policies").mkdir()
    text = BASE.replace("credential: {mfa: true,", f"credential: {{ref: {ref}, mfa: true,")
    (tmp_path / "inventory.yaml").write_text(text)
    done = run_govern(tmp_path, "validate", env=ENV)
    assert done.returncode == 2, done.stdout + done.stderr
    line, column = at(text, 36, "ref:")
    assert f"inventory.yaml:{line}:{column + 5}: credential.ref" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_validate_accepts_a_good_ref(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    text = BASE.replace("credential: {mfa: true,", "credential: {ref: Legacy_X.login-1, mfa: true,")
    (tmp_path / "inventory.yaml").write_text(text)
    done = run_govern(tmp_path, "validate", env=ENV)
    assert done.returncode == 0, done.stderr
