"""A copy of the example organization (inventory, policies, a file store) as the working
directory, and the CLI runner; no Vault, no real directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from govern.cli.main import cli
from govern.credentials import Secret
from govern.credentials.filestore import FileStore, ScryptParams
from tests.conftest import REPO

PASSPHRASE = "people sync test passphrase"
DIRECTORY_ENV = (
    "VAULT_ADDR",
    "VAULT_TOKEN",
    "GOVERN_STORE",
    "GOVERN_INVENTORY",
    "GOVERN_TODAY",
    "GOVERN_GOOGLE_DIRECTORY_TOKEN",
    "GOVERN_GOOGLE_DIRECTORY_SUBJECT",
    "GOVERN_GOOGLE_DIRECTORY_API_URL",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOVERN_GRAPH_TOKEN",
    "GOVERN_GRAPH_API_URL",
    "GOVERN_ENTRA_LOGIN_URL",
    "GOVERN_ENTRA_TENANT_ID",
    "GOVERN_ENTRA_CLIENT_ID",
    "GOVERN_ENTRA_CLIENT_SECRET",
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DIRECTORY_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOVERN_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("GOVERN_ACTOR", "hr-sync")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example organization with a fresh file store holding chancery-x, as cwd."""
    shutil.copy(REPO / "inventory.yaml", tmp_path / "inventory.yaml")
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    store = FileStore.create(
        tmp_path / "credentials.enc",
        env={},
        passphrase=PASSPHRASE,
        use_keyring=False,
        kdf=ScryptParams(n=2**14),
    )
    store.put(
        "chancery-x",
        Secret(username="chancery-x", password="old-password", fields={}),
        meta={"account": "chancery-x", "platform": "x"},
        rotated_by="setup",
        reason="initial",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def active_emails(org: Path) -> list[str]:
    """The email of every active person of the organization's inventory."""
    import yaml

    data = yaml.safe_load((org / "inventory.yaml").read_text())
    return [p["email"] for p in data["people"] if p.get("status", "active") == "active"]


def store_token(org: Path, key: str, token: str) -> None:
    store = FileStore(org / "credentials.enc", env={"GOVERN_PASSPHRASE": PASSPHRASE})
    store.put(key, Secret(password=token, fields={}), meta={}, rotated_by="setup", reason="t")


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)


def added_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines between two texts."""
    import difflib

    removed, added = [], []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("-"):
            removed.append(line[1:])
        elif line.startswith("+"):
            added.append(line[1:])
    return removed, added
