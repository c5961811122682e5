"""govern remind: the pastor-level workflow ends in a reminder received by a real SMTP server."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from govern.credentials import Secret
from govern.credentials.filestore import FileStore, ScryptParams
from tests.changes.conftest import run
from tests.changes.smtpserver import self_signed, smtp_server

PASSPHRASE = "remind test passphrase"
SMTP_PASSWORD = "smtp-password-not-to-print"


@pytest.fixture
def volunteer(org: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A volunteer added and granted editor on the St. Mary page until 2026-12-20, without
    opening inventory.yaml; no credential store."""
    for name in ("GOVERN_STORE", "VAULT_ADDR", "GOVERN_SMTP", "GOVERN_MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)
    added = run(
        "people", "add", "mvol", "--name", "Maria Vol", "--email", "m@stmary.example",
        "--level", "C", "--trained-on", "2026-06-01",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    granted = run("grant", "mvol", "st-mary-facebook", "editor", "--expires", "2026-12-20")
    assert granted.exit_code == 0, granted.output
    return org


def test_dry_run_lists_one_message_per_person(volunteer: Path) -> None:
    result = run("remind", "--dry-run", "--offline")
    assert result.exit_code == 0, result.output
    tos = [line for line in result.output.splitlines() if line.startswith("To: ")]
    assert len(tos) == len(set(tos))
    assert "To: Maria Vol <m@stmary.example>" in tos
    assert "Your editor access to st-mary-facebook ends on 2026-12-20 (in 20" in result.output
    # the pastor of St. Mary hears of it as head, with both commands
    assert "`govern ungrant mvol st-mary-facebook`" in result.output
    assert "none sent" in result.output


def test_nothing_due_sends_nothing(volunteer: Path) -> None:
    result = run("remind", "--dry-run", "--offline", "--within", "0d", "--today", "2020-01-01")
    assert result.exit_code == 0, result.output
    assert "To: Maria Vol" not in result.output


def test_received_by_a_local_smtp_server(volunteer: Path) -> None:
    with smtp_server() as (inbox, port):
        result = run("remind", "--offline", "--smtp", f"localhost:{port}")
    assert result.exit_code == 0, result.output
    assert f"through localhost:{port}" in result.output
    recipients = [rcpt for _, rcpts in inbox.envelopes for rcpt in rcpts]
    assert len(recipients) == len(set(recipients)) == len(inbox.messages)
    mine = [m for m in inbox.messages if "m@stmary.example" in str(m["To"])]
    assert len(mine) == 1
    body = mine[0].get_content()
    assert "Your editor access to st-mary-facebook ends on 2026-12-20" in body
    assert mine[0]["From"] == "govern@stbrendan.org"
    assert all(len(line) <= 72 or "`" in line for line in body.splitlines())


def test_starttls_and_login_from_the_store(
    volunteer: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("GOVERN_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    store = FileStore.create(
        volunteer / "credentials.enc", env={}, passphrase=PASSPHRASE, use_keyring=False,
        kdf=ScryptParams(n=2**14),
    )  # fmt: skip
    store.put(
        "smtp",
        Secret(username="govern", password=SMTP_PASSWORD, fields={}),
        meta={},
        rotated_by="setup",
        reason="initial",
    )
    with smtp_server(tls=(cert, key), users={"govern": SMTP_PASSWORD}) as (inbox, port):
        result = run("remind", "--smtp", f"localhost:{port}", "--from", "it@stbrendan.org")
    assert result.exit_code == 0, result.output
    assert inbox.logins == ["govern"]
    assert any("m@stmary.example" in str(m["To"]) for m in inbox.messages)
    assert SMTP_PASSWORD not in result.output


def test_output_writes_eml_files(volunteer: Path) -> None:
    result = run("remind", "--offline", "--output", "outbox")
    assert result.exit_code == 0, result.output
    path = volunteer / "outbox" / "mvol.eml"
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "Maria Vol <m@stmary.example>"
    assert "st-mary-facebook" in msg.get_body().get_content()  # type: ignore[union-attr]


def test_unreachable_server_exit_3_and_bad_input_exit_2(volunteer: Path) -> None:
    from tests.changes.smtpserver import free_port

    port = free_port()
    result = run("remind", "--offline", "--smtp", f"127.0.0.1:{port}")
    assert result.exit_code == 3
    assert f"SMTP server 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output
    assert run("remind", "--offline", "--smtp", "nohost").exit_code == 2
    assert run("remind", "--offline", "--within", "soon", "--dry-run").exit_code == 2
    result = run("remind", "--offline")
    assert result.exit_code == 2 and "--smtp HOST:PORT, --output DIR or --dry-run" in result.output


def test_unconfirmed_rotation_reminded_until_confirmed(
    volunteer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("GOVERN_ACTOR", "it-hpatel")
    store = FileStore.create(
        volunteer / "credentials.enc", env={}, passphrase=PASSPHRASE, use_keyring=False,
        kdf=ScryptParams(n=2**14),
    )  # fmt: skip
    for n in (1, 2):
        store.put(
            "chancery-x",
            Secret(username="chx", password=f"password-number-{n}", fields={}),
            meta={"account": "chancery-x", "platform": "x"},
            rotated_by="it-hpatel",
            reason=f"rotation {n}",
        )
    later = ("--today", "2026-12-15")
    result = run("remind", "--dry-run", *later)
    assert result.exit_code == 0, result.output
    assert "The new password of chancery-x (version 2" in result.output
    assert "`govern creds confirm chancery-x`" in result.output
    assert "password-number" not in result.output
    # within the grace period: not yet
    assert "new password of chancery-x" not in run("remind", "--dry-run").output
    confirmed = run("creds", "confirm", "chancery-x")
    assert confirmed.exit_code == 0, confirmed.output
    assert "new password of chancery-x" not in run("remind", "--dry-run", *later).output


def test_pending_review_reminds_the_head(volunteer: Path) -> None:
    started = run("review", "start", "--entity", "st-mary", "--name", "q4", "--due", "2026-12-10")
    assert started.exit_code == 0, started.output
    result = run("remind", "--dry-run", "--offline")
    assert result.exit_code == 0, result.output
    mendez = result.output.split("To: ")
    block = next(b for b in mendez if b.startswith('"Rev. Luis Mendez"'))
    assert "Access review q4:" in block and "waiting for you in" in block
    assert "due 2026-12-10" in block
