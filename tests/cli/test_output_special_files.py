"""`--output` onto something that is not a regular file (a named pipe, /dev/stdout,
/dev/null) is written in place: the report arrives and the target stays what it was. An
atomic rename over it would replace the device or the pipe with a regular file (as root,
/dev/null for the whole machine)."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

from govern.fsutil import atomic_write_text
from tests.conftest import BASE
from tests.subprocess_cli import run_govern

ENV = {"PATH": "/usr/bin:/bin", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def test_atomic_write_into_a_named_pipe_writes_through_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    atomic_write_text(fifo, "report\n")
    reader.join(timeout=10)
    assert received == [b"report\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]  # no temp file left behind


def test_audit_output_to_a_named_pipe(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "inventory.yaml").write_text(BASE)
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    done = run_govern(tmp_path, "audit", "--offline", "-f", "json", "-o", str(fifo), env=ENV)
    reader.join(timeout=10)
    assert done.returncode in (0, 1), done.stderr
    assert json.loads(received[0])["version"] == 1
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_audit_output_to_dev_stdout_on_a_pipe(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "inventory.yaml").write_text(BASE)
    done = run_govern(tmp_path, "audit", "--offline", "-f", "json", "-o", "/dev/stdout", env=ENV)
    assert done.returncode in (0, 1), done.stderr
    assert json.loads(done.stdout)["version"] == 1


def test_a_regular_file_is_still_replaced_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    inode = target.stat().st_ino
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and target.stat().st_ino != inode
