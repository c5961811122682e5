"""govern store migrate: every credential and version copied file -> OpenBao -> file, checked,
no secret printed; refusals change nothing."""

from __future__ import annotations

import secrets
from pathlib import Path

from click.testing import CliRunner
from conftest import PASSPHRASE, make_file_store
from vaultserver import VaultServer

from govern.cli.creds import store
from govern.credentials import Secret
from govern.credentials.filestore import FileStore
from govern.credentials.vaultstore import VaultStore

PASSWORDS = ["first-Secret-1", "second-Secret-2", "third-Secret-3"]


def fill(source: FileStore) -> None:
    for n, password in enumerate(PASSWORDS):
        source.put(
            "chancery-x",
            Secret(username="chx", password=password, fields={"totp_seed": f"SEED{n}"}),
            meta={"account": "chancery-x", "platform": "x"},
            rotated_by="it-hpatel",
            reason=f"rotation {n + 1}",
        )
    source.put("st-mary-x", Secret(password="other-Secret-9"), meta={}, rotated_by="jdoe",
               reason="initial")  # fmt: skip


def run(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(store, args, env=env)
    return result.exit_code, result.output


def test_file_to_openbao_and_back(tmp_path: Path, vault_server: VaultServer) -> None:
    source = make_file_store(tmp_path / "credentials.enc")
    fill(source)
    mount = "m-" + secrets.token_hex(5)
    env = {**vault_server.env(), "GOVERN_PASSPHRASE": PASSPHRASE, "GOVERN_ACTOR": "migrator"}
    try:
        code, out = run(
            ["migrate", "--store", f"file:{tmp_path / 'credentials.enc'}", "--to",
             f"vault:{mount}"],
            env,
        )  # fmt: skip
        assert code == 0, out
        assert "2 credential(s), 4 version(s) copied" in out and "checked" in out
        assert not any(p in out for p in [*PASSWORDS, "other-Secret-9", "SEED"])
        vault = VaultStore(vault_server.addr, mount=mount, env=vault_server.env())
        meta = vault.metadata("chancery-x")
        assert meta is not None and meta.versions == 3
        assert meta.rotated_by == "it-hpatel" and (meta.reason or "").startswith("rotation 3")
        assert meta.meta == {"account": "chancery-x", "platform": "x"}
        for n, password in enumerate(PASSWORDS, 1):
            assert vault.get("chancery-x", n).password == password
        assert vault.get("chancery-x").fields == {"totp_seed": "SEED2"}

        # back to a new file store
        make_file_store(tmp_path / "back.enc")
        code, out = run(
            ["migrate", "--store", f"vault:{mount}", "--to", f"file:{tmp_path / 'back.enc'}"], env
        )
        assert code == 0, out
        back = FileStore(tmp_path / "back.enc", env={"GOVERN_PASSPHRASE": PASSPHRASE}, prompt=None)
        assert [back.get("chancery-x", n).password for n in (1, 2, 3)] == PASSWORDS
        assert back.get("st-mary-x").password == "other-Secret-9"

        # again into the same mount: refused, nothing copied
        code, out = run(
            ["migrate", "--store", f"file:{tmp_path / 'credentials.enc'}", "--to",
             f"vault:{mount}"],
            env,
        )  # fmt: skip
        assert code == 2 and "already holds chancery-x, st-mary-x; nothing was copied" in out
        assert vault.metadata("chancery-x").versions == 3  # type: ignore[union-attr]
    finally:
        vault_server.api("DELETE", f"sys/mounts/{mount}")


def test_wrong_key_stops_before_the_target_changes(tmp_path: Path) -> None:
    fill(make_file_store(tmp_path / "credentials.enc"))
    make_file_store(tmp_path / "target.enc")
    code, out = run(
        ["migrate", "--store", f"file:{tmp_path / 'credentials.enc'}", "--to",
         f"file:{tmp_path / 'target.enc'}"],
        {"GOVERN_PASSPHRASE": "a wrong passphrase here"},
    )  # fmt: skip
    assert code == 2, out
    target = FileStore(tmp_path / "target.enc", env={}, prompt=None)
    assert target.list() == []


def test_unknown_or_missing_target_exit_2(tmp_path: Path) -> None:
    fill(make_file_store(tmp_path / "credentials.enc"))
    env = {"GOVERN_PASSPHRASE": PASSPHRASE}
    source = f"file:{tmp_path / 'credentials.enc'}"
    code, out = run(["migrate", "--store", source, "--to", "s3:bucket"], env)
    assert code == 2 and "not a store" in out
    code, out = run(["migrate", "--store", source, "--to", f"file:{tmp_path / 'none.enc'}"], env)
    assert code == 2 and "govern store init --store file:" in out


def test_same_store_refused(tmp_path: Path) -> None:
    fill(make_file_store(tmp_path / "credentials.enc"))
    where = f"file:{tmp_path / 'credentials.enc'}"
    code, out = run(["migrate", "--store", where, "--to", where], {"GOVERN_PASSPHRASE": PASSPHRASE})
    assert code == 2 and "names the store being migrated" in out
