"""`--output` naming a device or a FIFO writes to it and leaves it in place: an atomic write
renames a temporary file over its target, which over /dev/null (as root) would put a
regular file where the device was, for every process on the machine. (A FIFO stands for
/dev/null here: a test that got it wrong would break the machine's /dev/null.)"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

from tests.cli.test_cli import invoke, org

__all__ = ["org"]


def _reader(fifo: Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open(fifo, "rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_a_report_written_to_a_fifo_reaches_the_reader_and_the_fifo_stays(org: Path) -> None:
    fifo = org / "report.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    thread = _reader(fifo, received)
    code, _, err = invoke(
        ["audit", "--offline", "-f", "json", "--output", str(fifo), "--fail-on", "never"], org
    )
    thread.join(timeout=30)
    assert code == 0, err
    assert "findings" in json.loads(received[0])
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in org.iterdir() if p.name.startswith(".report")) == []
