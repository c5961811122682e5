"""`govern creds`, `govern login`, `govern store` through click (and one real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import click
import keyring
import keyring.backends.fail
import pytest
from click.testing import CliRunner, Result
from conftest import FAST_KDF, PASSPHRASE
from filekeyring import FileKeyring
from vaultserver import VaultServer

from govern.cli.creds import creds, login, store
from govern.credentials.filestore import FileStore

INVENTORY = """\
version: 1
organization: {name: Test Diocese, domains: [diocese.test]}
people:
  - {id: head, name: Head, email: head@diocese.test, level: A}
entities:
  - {id: chancery, name: Chancery, head: head}
  - {id: st-mary, name: St Mary, head: head}
  - {id: school, name: School, head: head}
accounts:
  - id: chancery-x
    entity: chancery
    platform: x
    handle: "@chancery"
    access: [{person: head, role: admin}]
    credential: {mfa: true, recovery_email: office@diocese.test}
  - id: parish-fb
    entity: st-mary
    platform: facebook
    handle: stmary
  - id: school-ig
    entity: school
    platform: instagram
    handle: school
  - id: renamed-x
    entity: chancery
    platform: x
    handle: "@renamed"
    credential: {ref: legacy-x-login, mfa: true, recovery_email: office@diocese.test}
"""
PASSWORD = "Corr3ct-Horse-Battery"
TOTP = "JBSWY3DPEHPK3PXP"
NOTES = "recovery phone is the office landline"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An inventory, a file store beside it (cheap KDF) and GOVERN_PASSPHRASE set."""
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    FileStore.create(
        tmp_path / "credentials.enc", env={}, passphrase=PASSPHRASE, use_keyring=False, kdf=FAST_KDF
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVERN_PASSPHRASE", PASSPHRASE)
    return tmp_path


def run(
    command: click.Command,
    args: Sequence[str],
    input: str | None = None,
    env: dict[str, str | None] | None = None,
) -> Result:
    return CliRunner().invoke(command, list(args), input=input, env=env, catch_exceptions=False)


def assert_clean(results: Sequence[Result], *secrets: str) -> None:
    """No secret value anywhere in what the commands printed."""
    text = "\n".join(r.stdout + r.stderr for r in results)
    for secret in secrets:
        assert secret not in text, f"secret leaked: {secret[:3]}..."


def set_x(password: str = PASSWORD) -> Result:
    return run(
        creds, ["set", "chancery-x", "--username", "stb", "--password-stdin"], input=password + "\n"
    )


# -- the everyday flow ------------------------------------------------------------------------


def test_set_show_rotate_list_on_the_file_store(workdir: Path) -> None:
    results = [set_x()]
    assert results[0].exit_code == 0, results[0].stderr
    assert "stored version 1 of chancery-x in file:" in results[0].stdout

    shown = run(creds, ["show", "chancery-x"])
    assert shown.exit_code == 0
    assert "version:     1 (1 kept)" in shown.stdout and "platform:    x" in shown.stdout
    as_json = run(creds, ["show", "chancery-x", "--format", "json"])
    doc = json.loads(as_json.stdout)
    assert doc["account"] == "chancery-x" and doc["meta"]["entity"] == "chancery"
    assert "secret" not in doc

    rotated = run(creds, ["rotate", "chancery-x", "--generate", "--reason", "jdoe left"])
    assert rotated.exit_code == 0, rotated.stderr
    assert "as version 2" in rotated.stdout and "--version 1" in rotated.stdout
    assert "change it on x" in rotated.stdout
    new_password = (
        FileStore(workdir / "credentials.enc", env={"GOVERN_PASSPHRASE": PASSPHRASE})
        .get("chancery-x")
        .password
    )
    assert len(new_password) == 24 and new_password != PASSWORD

    listed = run(creds, ["list", "--format", "json"])
    items = json.loads(listed.stdout)["credentials"]
    assert [(i["account"], i["current_version"], i["reason"]) for i in items] == [
        ("chancery-x", 2, "jdoe left")
    ]
    text_list = run(creds, ["list"])
    assert "chancery-x" in text_list.stdout and "jdoe left" in text_list.stdout
    assert_clean([*results, shown, as_json, rotated, listed, text_list], PASSWORD, new_password)

    revealed = run(creds, ["show", "chancery-x", "--reveal", "--format", "json"])
    assert json.loads(revealed.stdout)["secret"] == {
        "version": 2,
        "username": "stb",
        "password": new_password,
    }
    old = run(creds, ["show", "chancery-x", "--reveal", "--version", "1"])
    assert f"password:    {PASSWORD}" in old.stdout and "revealed:    version 1" in old.stdout


def test_set_from_json_with_further_fields(workdir: Path) -> None:
    doc = {
        "username": "stmary",
        "password": PASSWORD,
        "totp_seed": TOTP,
        "recovery_codes": ["1111-2222", "3333-4444"],
        "notes": NOTES,
    }
    result = run(creds, ["set", "parish-fb", "--from-json", "-"], input=json.dumps(doc))
    assert result.exit_code == 0, result.stderr
    assert_clean([result], PASSWORD, TOTP, "1111-2222", NOTES)
    secret = FileStore(workdir / "credentials.enc", env={"GOVERN_PASSPHRASE": PASSPHRASE}).get(
        "parish-fb"
    )
    assert secret.username == "stmary" and secret.password == PASSWORD
    assert dict(secret.fields) == {
        "totp_seed": TOTP,
        "recovery_codes": "1111-2222\n3333-4444",
        "notes": NOTES,
    }


def test_rotate_keeps_username_and_fields(workdir: Path) -> None:
    run(
        creds,
        ["set", "parish-fb", "--from-json", "-"],
        input=json.dumps({"username": "u", "password": PASSWORD, "totp_seed": TOTP}),
    )
    result = run(creds, ["rotate", "parish-fb", "--password-stdin"], input="Brand-new-pass-1\n")
    assert result.exit_code == 0, result.stderr
    store_ = FileStore(workdir / "credentials.enc", env={"GOVERN_PASSPHRASE": PASSPHRASE})
    secret = store_.get("parish-fb")
    assert (secret.username, secret.password, dict(secret.fields)) == (
        "u",
        "Brand-new-pass-1",
        {"totp_seed": TOTP},
    )
    same = run(creds, ["rotate", "parish-fb", "--password-stdin"], input="Brand-new-pass-1\n")
    assert same.exit_code == 2 and "same as the current one" in same.stderr
    missing = run(creds, ["rotate", "school-ig", "--generate"])
    assert missing.exit_code == 2 and "govern creds set school-ig" in missing.stderr


# -- refusals ---------------------------------------------------------------------------------


def test_passwords_never_come_from_argv(workdir: Path) -> None:
    result = CliRunner().invoke(creds, ["set", "chancery-x", "--password", PASSWORD])
    assert result.exit_code == 2 and "No such option" in result.stderr


def test_no_password_source_without_a_terminal(workdir: Path) -> None:
    result = run(creds, ["set", "chancery-x"])
    assert result.exit_code == 2
    assert "no terminal to prompt" in result.stderr and "--password-stdin" in result.stderr


def test_input_errors_exit_2_and_echo_no_secret(workdir: Path) -> None:
    results = [
        run(creds, ["set", "nope", "--password-stdin"], input=PASSWORD),
        run(creds, ["set", "chancery-x", "--password-stdin"], input="\n"),
        run(creds, ["set", "chancery-x", "--password-stdin", "--from-json", "-"], input=PASSWORD),
        run(
            creds,
            ["set", "chancery-x", "--from-json", "-"],
            input='{"password": "' + PASSWORD + '", "totp_seed": 12',
        ),
        run(
            creds,
            ["set", "chancery-x", "--from-json", "-"],
            input=json.dumps({"password": PASSWORD, "totp_seed": 123456}),
        ),
        run(creds, ["show", "chancery-x"]),
        run(creds, ["show", "chancery-x", "--version", "1"]),
    ]
    assert [r.exit_code for r in results] == [2] * len(results)
    assert "not declared in inventory.yaml" in results[0].stderr
    assert "standard input is empty" in results[1].stderr
    assert "both read standard input" in results[2].stderr
    assert "not valid JSON" in results[3].stderr
    assert "'totp_seed' must be text" in results[4].stderr
    assert "no credential for 'chancery-x'" in results[5].stderr
    assert "--version needs --reveal" in results[6].stderr
    assert all(r.stderr.startswith("error: ") for r in results)
    assert_clean(results, PASSWORD, "123456")


def test_wrong_passphrase_is_exit_2_and_changes_nothing(workdir: Path) -> None:
    set_x()
    before = (workdir / "credentials.enc").read_bytes()
    results = [
        run(
            creds,
            args,
            input="Another-password-9\n",
            env={"GOVERN_PASSPHRASE": "wrong passphrase here"},
        )
        for args in (
            ["show", "chancery-x", "--reveal"],
            ["rotate", "chancery-x", "--password-stdin"],
            ["set", "chancery-x", "--password-stdin"],
        )
    ]
    assert [r.exit_code for r in results] == [2, 2, 2]
    assert all("wrong passphrase" in r.stderr for r in results)
    assert (workdir / "credentials.enc").read_bytes() == before
    assert_clean(results, PASSWORD, "Another-password-9", PASSPHRASE, "wrong passphrase here")


# -- import -----------------------------------------------------------------------------------


CSV = """\
account,username,password,notes,platform
chancery-x,stb,pw-chancery-1,,x
parish-fb,stmary,pw-parish-2,"two
lines",facebook
unknown-acct,u,pw-unknown-3,,x
school-ig,u,,,instagram
chancery-x,dup,pw-dup-4,,x
../etc,u,pw-bad-5,,x
"""


def test_import_is_all_or_nothing_and_reports_lines(workdir: Path) -> None:
    (workdir / "logins.csv").write_text(CSV)
    result = run(creds, ["import", "logins.csv"])
    assert result.exit_code == 2
    refused = [line for line in result.stderr.splitlines() if "refused" in line]
    assert refused[:4] == [
        # A cell that is not a declared account id is never echoed: it may be a password.
        "logins.csv:5: refused: the account cell is not an account declared in inventory.yaml",
        "logins.csv:6: refused (school-ig): no password",
        "logins.csv:7: refused (chancery-x): already appears on line 2",
        "logins.csv:8: refused: the account cell is not an account declared in inventory.yaml",
    ]
    assert "note: ignored column(s) platform" in result.stderr
    assert "nothing was imported" in result.stderr
    assert json.loads(run(creds, ["list", "--format", "json"]).stdout)["credentials"] == []

    partial = run(creds, ["import", "logins.csv", "--skip-invalid"])
    assert partial.exit_code == 0, partial.stderr
    assert "imported 2 credential(s)" in partial.stdout and "refused 4 row(s)" in partial.stdout
    again = run(creds, ["import", "logins.csv", "--skip-invalid"])
    assert "already in the store (use --replace" in again.stderr
    store_ = FileStore(workdir / "credentials.enc", env={"GOVERN_PASSPHRASE": PASSPHRASE})
    assert store_.get("parish-fb").fields["notes"] == "two\nlines"
    assert store_.metadata("parish-fb").reason == "import from logins.csv"  # type: ignore[union-attr]
    assert_clean(
        [result, partial, again],
        *(f"pw-{w}" for w in ("chancery-1", "parish-2", "unknown-3", "dup-4", "bad-5")),
        "stmary",
    )


def test_import_latin1_csv_is_exit_2_with_a_position(workdir: Path) -> None:
    text = "account,username,password\nchancery-x,stb,Caf\u00e9-pw-latin1\n"
    (workdir / "latin1.csv").write_bytes(text.encode("latin-1"))
    result = run(creds, ["import", "latin1.csv"])
    assert result.exit_code == 2, result.stderr
    assert "latin1.csv:2:19: " in result.stderr and "UTF-8" in result.stderr
    assert_clean([result], "Caf", "pw-latin1")


def test_import_row_with_an_extra_comma_echoes_no_cell(workdir: Path) -> None:
    # The password "Pass,word-9" was not quoted: the row has one cell too many, and with the
    # account last, the account column holds the second half of the password.
    (workdir / "shifted.csv").write_text(
        "username,password,account\nstb,Pass,word-secret-9,chancery-x\nu2,Pass,other-secret-8\n"
    )
    result = run(creds, ["import", "shifted.csv"])
    assert result.exit_code == 2
    refused = [line for line in result.stderr.splitlines() if "refused" in line]
    assert refused[0] == (
        "shifted.csv:2: refused: 4 cells where the header has 3 (a comma inside an unquoted "
        "value? quote it)"
    )
    assert_clean([result], "word-secret-9", "other-secret-8", "Pass")


def test_import_needs_the_columns(workdir: Path) -> None:
    (workdir / "bad.csv").write_text("acct,pass\nchancery-x,secret-in-bad-csv\n")
    result = run(creds, ["import", "bad.csv"])
    assert result.exit_code == 2
    assert "missing column(s) account, username, password" in result.stderr
    assert "secret-in-bad-csv" not in result.stderr


# -- store init, verify, login ----------------------------------------------------------------


def test_store_init_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    no_key = run(store, ["init"])
    assert no_key.exit_code == 2 and "GOVERN_PASSPHRASE" in no_key.stderr
    short = run(store, ["init"], env={"GOVERN_PASSPHRASE": "short"})
    assert short.exit_code == 2 and "at least 12" in short.stderr
    assert not (tmp_path / "credentials.enc").exists()
    made = run(store, ["init"], env={"GOVERN_PASSPHRASE": PASSPHRASE})
    assert made.exit_code == 0, made.stderr
    assert f"created file:{tmp_path}/credentials.enc (key: passphrase)" in made.stdout
    again = run(store, ["init"], env={"GOVERN_PASSPHRASE": PASSPHRASE})
    assert again.exit_code == 2 and "already exists" in again.stderr
    verified = run(store, ["verify"], env={"GOVERN_PASSPHRASE": PASSPHRASE})
    assert verified.stdout.startswith("ok: 0 credential(s)")
    assert_clean([no_key, short, made, again, verified], PASSPHRASE)


def test_store_init_keyring_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_keyring: FileKeyring
) -> None:
    monkeypatch.chdir(tmp_path)
    made = run(store, ["init", "--keyring", "--store", "file:team.enc"])
    assert made.exit_code == 0, made.stderr
    assert "(key: OS keyring)" in made.stdout
    stored = run(
        creds, ["set", "x1", "--password-stdin", "--store", "file:team.enc"], input=PASSWORD
    )
    assert stored.exit_code == 0, stored.stderr  # no inventory here: any valid id
    shown = run(creds, ["show", "x1", "--reveal", "--store", "file:team.enc"])
    assert f"password:    {PASSWORD}" in shown.stdout


def test_vault_through_the_cli(
    vault_server: VaultServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    test_keyring: FileKeyring,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    mount = f"cli-{os.getpid()}"
    env: dict[str, str | None] = {
        "VAULT_ADDR": vault_server.addr,
        "VAULT_TOKEN": vault_server.token,
    }
    init = run(store, ["init", "--store", f"vault:{mount}"], env=env)
    assert init.exit_code == 0 and init.stdout.startswith(f"created vault:{vault_server.addr}")
    logged = run(
        login,
        ["--token-stdin"],
        input=vault_server.token + "\n",
        env={"VAULT_ADDR": vault_server.addr},
    )
    assert logged.exit_code == 0, logged.stderr
    # From here on, no VAULT_TOKEN: the keyring holds it; GOVERN_STORE picks the mount.
    env = {"VAULT_ADDR": vault_server.addr, "GOVERN_STORE": f"vault:{mount}"}
    results = [
        run(creds, ["set", "chancery-x", "--password-stdin"], input=PASSWORD, env=env),
        run(creds, ["rotate", "chancery-x", "--generate", "--reason", "left"], env=env),
        run(creds, ["list", "--format", "json"], env=env),
        run(creds, ["show", "chancery-x"], env=env),
    ]
    assert [r.exit_code for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
    items = json.loads(results[2].stdout)
    assert items["store"] == f"vault:{vault_server.addr} (mount {mount})"
    assert items["credentials"][0]["current_version"] == 2
    assert items["credentials"][0]["meta"] == {
        "account": "chancery-x",
        "entity": "chancery",
        "platform": "x",
    }
    assert_clean([init, logged, *results], PASSWORD, vault_server.token)
    vault_server.api("DELETE", f"sys/mounts/{mount}")


def test_stopped_vault_exits_3_with_one_line(disposable_vault: VaultServer) -> None:
    addr = disposable_vault.addr
    disposable_vault.stop()
    result = run(creds, ["list"], env={"VAULT_ADDR": addr, "VAULT_TOKEN": "t0ken-value"})
    assert result.exit_code == 3
    assert result.stderr.splitlines()[0] == (
        f"error: cannot reach Vault at {addr}: connection refused"
    )
    assert "t0ken-value" not in result.stderr and "Traceback" not in result.stderr


def test_real_process_standalone(workdir: Path) -> None:
    """The commands run on their own in a fresh interpreter: exit codes, no traceback. The
    file also keeps its key in a keyring, which the child process (headless) does not have."""
    (workdir / "credentials.enc").unlink()
    keyring.set_keyring(FileKeyring(workdir / "keyring.json"))
    FileStore.create(
        workdir / "credentials.enc", env={}, passphrase=PASSPHRASE, use_keyring=True, kdf=FAST_KDF
    )
    keyring.set_keyring(keyring.backends.fail.Keyring())
    set_x()
    code = "from govern.cli.creds import creds; creds(prog_name='govern creds')"
    base = {k: v for k, v in os.environ.items() if k != "GOVERN_PASSPHRASE"}
    listed = subprocess.run(
        [sys.executable, "-c", code, "list", "--format", "json"],
        capture_output=True,
        text=True,
        env=base,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["credentials"][0]["account"] == "chancery-x"
    locked = subprocess.run(
        [sys.executable, "-c", code, "show", "chancery-x", "--reveal"],
        capture_output=True,
        text=True,
        env=base,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert locked.returncode == 2
    assert locked.stderr.startswith("error: no key to open ")
    assert "OS keyring: no OS keyring backend is available" in locked.stderr
    assert "no terminal to prompt" in locked.stderr and "set GOVERN_PASSPHRASE" in locked.stderr
    assert "Traceback" not in locked.stderr and locked.stdout == ""
    shown = subprocess.run(
        [sys.executable, "-c", code, "show", "chancery-x", "--reveal"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, "GOVERN_PASSPHRASE": PASSPHRASE},
    )
    assert shown.returncode == 0 and f"password:    {PASSWORD}" in shown.stdout


def test_credential_ref_from_the_inventory_is_the_store_key(workdir: Path) -> None:
    """An account whose inventory declares `credential.ref` is stored under that ref, which
    is what the audit's custody check looks up."""
    result = run(creds, ["set", "renamed-x", "--password-stdin"], input=PASSWORD)
    assert result.exit_code == 0, result.stderr
    store = FileStore(workdir / "credentials.enc", env={"GOVERN_PASSPHRASE": PASSPHRASE})
    assert [m.ref for m in store.list()] == ["legacy-x-login"]
    shown = run(creds, ["show", "renamed-x", "--format", "json"])
    assert json.loads(shown.stdout)["account"] == "legacy-x-login"


def test_generated_password_follows_the_platform_rules() -> None:
    from govern.credentials.passwords import password_policy_for

    tiktok = password_policy_for("tiktok")
    assert (tiktok.min_length, tiktok.max_length) == (8, 20)
    assert password_policy_for("no-such-platform").min_length == 12
