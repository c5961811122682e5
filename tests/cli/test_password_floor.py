"""Generated passwords have at least 16 characters (fewer only where the platform's own
maximum is lower), whatever the policy pack says; a pack that asks for fewer gets a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.credentials.filestore import FileStore
from tests.conftest import BASE
from tests.subprocess_cli import run_govern, store_env, store_x_login

PASSPHRASE = "password floor test passphrase"
ENV = store_env(PASSPHRASE)
X_PLATFORM = """\
platforms:
  x:
    name: X
    login: shared
    roles: {{admin: {{label: Account login, administrative: true, can_remove: [admin]}}}}
    password: {{min_length: 4, max_length: {max_length}}}
"""


def rotate(org: Path, *args: str) -> tuple[int, str, int]:
    done = run_govern(
        org, "creds", "rotate", "xacct", "--generate", "--reason", "r", *args, env=ENV
    )
    store = FileStore(org / "credentials.enc", env={"GOVERN_PASSPHRASE": PASSPHRASE})
    secret = store.get("xacct")
    return done.returncode, done.stderr, len(secret.password or "")


@pytest.fixture
def org(tmp_path: Path) -> Path:
    (tmp_path / "inventory.yaml").write_text(BASE)
    (tmp_path / "policies").mkdir()
    assert run_govern(tmp_path, "store", "init", env=ENV).returncode == 0
    store_x_login(tmp_path, ENV)
    return tmp_path


def test_a_pack_capping_passwords_at_4_still_gets_16(org: Path) -> None:
    (org / "policies" / "platforms.yaml").write_text(X_PLATFORM.format(max_length=4))
    code, err, length = rotate(org)
    assert code == 0, err
    assert length >= 16
    assert "warning" in err and "16" in err and "max_length 4" in err


def test_an_explicit_short_length_is_raised_to_the_floor(org: Path) -> None:
    code, err, length = rotate(org, "--length", "10")
    assert code == 0, err
    assert length == 16 and "warning" in err


def test_default_generation_is_unchanged(org: Path) -> None:
    code, err, length = rotate(org)
    assert code == 0, err
    assert length == 24 and "warning" not in err
