"""govern creds confirm: the platform side of a rotation recorded in the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FAST_KDF, PASSPHRASE
from test_creds_cli import INVENTORY, PASSWORD, run

from govern import auditlog
from govern.cli.creds import creds
from govern.credentials.filestore import FileStore


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    FileStore.create(
        tmp_path / "credentials.enc", env={}, passphrase=PASSPHRASE, use_keyring=False, kdf=FAST_KDF
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVERN_PASSPHRASE", PASSPHRASE)
    return tmp_path


def test_confirm_records_who_and_which_version(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_ACTOR", "it-hpatel")
    assert run(creds, ["set", "parish-fb", "--password-stdin"], input=PASSWORD).exit_code == 0
    result = run(creds, ["rotate", "parish-fb", "--generate", "--reason", "jdoe left"])
    assert result.exit_code == 0, result.output
    result = run(creds, ["confirm", "parish-fb"], env={"GOVERN_PASSPHRASE": None})
    assert result.exit_code == 0, result.output
    assert "version 2 of parish-fb" in result.output and "it-hpatel" in result.output
    records = auditlog.read(workdir / "audit.log.jsonl")
    assert records[-1]["action"] == "rotation-confirmed"
    assert records[-1]["actor"] == "it-hpatel"
    details = records[-1]["details"]
    assert details["account"] == "parish-fb" and details["version"] == 2
    assert details["rotated_by"] == "it-hpatel" and details["rotated_at"].endswith("Z")
    assert PASSWORD not in (workdir / "audit.log.jsonl").read_text()


def test_confirm_refusals(workdir: Path) -> None:
    result = run(creds, ["confirm", "parish-fb"])
    assert result.exit_code == 2 and "no credential for parish-fb" in result.output
    result = run(creds, ["confirm", "nowhere"])
    assert result.exit_code == 2 and "not declared" in result.output
    assert run(creds, ["set", "parish-fb", "--password-stdin"], input=PASSWORD).exit_code == 0
    result = run(creds, ["confirm", "parish-fb", "--version", "5"])
    assert result.exit_code == 2 and "has versions 1 to 1" in result.output
    assert not (workdir / "audit.log.jsonl").exists()
