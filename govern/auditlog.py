"""An append-only, hash-chained JSONL log of what govern did (revocations, rotations).

Each record carries `seq` (1, 2, ...), the SHA-256 `prev` of the record before it and its own
`hash` over its canonical JSON (sorted keys, no spaces, without `hash`). Editing a record
breaks its hash; removing or reordering records breaks `seq` and `prev`. Removing records
from the *end* leaves a valid shorter chain: `govern log verify` prints the head hash so it
can be anchored elsewhere (a commit message, a ticket) and compared with `--expect-head`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from govern.errors import GovernError, InputError, Problem

GENESIS = "0" * 64
DEFAULT_NAME = "audit.log.jsonl"


class LogError(GovernError):
    """The audit log cannot be appended to (exit 2)."""


@dataclass(frozen=True)
class Verified:
    records: int
    head: str


def _digest(record: Mapping[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.exists():
        return
    with path.open("r", encoding="utf-8") as handle:
        yield from enumerate(handle, start=1)


def read(path: Path) -> list[dict[str, Any]]:
    """Every record, checked. Raises `InputError` (with line numbers) at the first break."""
    problems: list[Problem] = []
    records: list[dict[str, Any]] = []
    prev = GENESIS
    shown = str(path)
    for number, line in _lines(path):
        if not line.endswith("\n"):
            problems.append(
                Problem(
                    shown,
                    number,
                    1,
                    "last record is incomplete (a crash while writing?)",
                    "nothing after it can be trusted",
                )
            )
            break
        try:
            record = json.loads(line)
        except ValueError:
            problems.append(Problem(shown, number, 1, "not a JSON record"))
            break
        if not isinstance(record, dict):
            problems.append(Problem(shown, number, 1, "not a JSON object"))
            break
        expected_seq = len(records) + 1
        if record.get("seq") != expected_seq:
            problems.append(
                Problem(
                    shown,
                    number,
                    1,
                    f"record {record.get('seq')!r} where "
                    f"record {expected_seq} was expected: records were "
                    "removed or reordered",
                )
            )
            break
        if record.get("prev") != prev:
            problems.append(
                Problem(
                    shown,
                    number,
                    1,
                    "chain broken: 'prev' does not match "
                    "the record before (removed, reordered or edited)",
                )
            )
            break
        if record.get("hash") != _digest(record):
            problems.append(
                Problem(shown, number, 1, "record was edited: its hash does not match its content")
            )
            break
        records.append(record)
        prev = record["hash"]
    if problems:
        raise InputError(problems)
    return records


def verify(path: Path, *, expect_head: str | None = None) -> Verified:
    records = read(path)
    head = records[-1]["hash"] if records else GENESIS
    if expect_head is not None and expect_head != head:
        known = {r["hash"]: r["seq"] for r in records}
        where = (
            f"it is record {known[expect_head]} of {len(records)}: records were added since"
            if expect_head in known
            else "it is not in the log: records were removed from the end, or the log was replaced"
        )
        raise InputError(
            [
                Problem(
                    str(path),
                    len(records) or 1,
                    1,
                    f"head is {head[:12]}…, expected {expect_head[:12]}…; {where}",
                )
            ]
        )
    return Verified(records=len(records), head=head)


def append(
    path: Path,
    action: str,
    *,
    actor: str,
    details: Mapping[str, Any],
    person: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Append one record under a lock, after checking the chain so far. fsync'd before
    returning: a record that `append` returned is on disk."""
    lock = FileLock(str(path.with_name(f".{path.name}.lock")), timeout=30)
    try:
        with lock:
            records = read(path)
            record: dict[str, Any] = {
                "seq": len(records) + 1,
                "time": (now or dt.datetime.now(dt.UTC)).isoformat().replace("+00:00", "Z"),
                "actor": actor,
                "action": action,
                "person": person,
                "details": dict(details),
                "prev": records[-1]["hash"] if records else GENESIS,
            }
            record["hash"] = _digest(record)
            line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            return record
    except Timeout:
        raise LogError(
            f"{path} is locked by another govern process", hint="wait for it to finish"
        ) from None
    except InputError as exc:
        raise LogError(
            f"refusing to append to a damaged log: {exc.problems[0].render()}",
            hint="run `govern log verify` and restore the log from backup",
        ) from None
