"""An append-only, hash-chained JSONL log of what govern did (revocations, rotations).

Each record carries `seq` (1, 2, ...), the SHA-256 `prev` of the record before it and its own
`hash` over its canonical JSON (sorted keys, no spaces, without `hash` and `mac`). Editing a
record breaks its hash; removing or reordering records breaks `seq` and `prev`.

A hash chain alone is no defence against someone who rewrites the whole file (re-chaining) or
cuts records off its end. So, with `GOVERN_LOG_KEY` (a secret kept outside the log), each record
also carries `mac`, an HMAC-SHA256 of its hash: a re-chained record has no valid MAC. And the
head (`seq` and hash of the last record) is anchored where a forger must also change it: the
`Govern-Log-Head:` trailer of the `govern revoke --branch` commit (`govern log verify --git`),
the revoke journal (checked when a revoke resumes) and `--expect-head`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from govern.errors import GovernError, InputError, Problem, UsageError
from govern.fsutil import MiB, read_regular
from govern.gitutil import run_git

GENESIS = "0" * 64
DEFAULT_NAME = "audit.log.jsonl"
MAX_LOG_BYTES = 256 * MiB  # some 100,000 revocations
KEY_ENV = "GOVERN_LOG_KEY"
MIN_KEY_LENGTH = 32
TRAILER = "Govern-Log-Head"
_TRAILER_LINE = re.compile(rf"^{TRAILER}: (\d+) ([0-9a-f]{{64}})$", re.MULTILINE)


class LogError(GovernError):
    """The audit log cannot be appended to (exit 2)."""


@dataclass(frozen=True)
class Verified:
    records: int
    head: str
    authenticated: bool = False
    anchors: int = 0


def key_from_env(env: Mapping[str, str]) -> bytes | None:
    """The log key from GOVERN_LOG_KEY (None when unset); a short key is a usage error."""
    text = env.get(KEY_ENV, "")
    if not text:
        return None
    if len(text) < MIN_KEY_LENGTH:
        raise UsageError(
            f"{KEY_ENV} is too short ({len(text)} characters; at least {MIN_KEY_LENGTH})",
            hint="generate one with `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            " and keep it in the CI secret store",
        )
    return text.encode("utf-8")


def _mac(key: bytes, record_hash: str) -> str:
    return hmac.new(key, f"govern-log v1 {record_hash}".encode(), hashlib.sha256).hexdigest()


def _digest(record: Mapping[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k not in ("hash", "mac")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.exists():
        return
    try:
        raw = read_regular(path, limit=MAX_LOG_BYTES)
    except OSError as exc:  # unreadable (EIO, EACCES): a clear input error, not a crash
        raise InputError([Problem(str(path), 1, 1, f"cannot read file: {exc.strerror}")]) from None
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        try:
            yield number, line.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError([Problem(str(path), number, 1, "not valid UTF-8")]) from None


def read(path: Path, *, key: bytes | None = None) -> list[dict[str, Any]]:
    """Every record, checked (with `key`, each record's MAC too). Raises `InputError` (with
    line numbers) at the first break."""
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
        if key is not None and not (
            isinstance(record.get("mac"), str)
            and hmac.compare_digest(record["mac"], _mac(key, record["hash"]))
        ):
            why = "has no MAC" if "mac" not in record else "has a MAC that does not match"
            problems.append(
                Problem(
                    shown,
                    number,
                    1,
                    f"record {why} under {KEY_ENV}: the log was rewritten (re-chained) or the "
                    "record was written without the key",
                    f"compare with the copy in git history; check that {KEY_ENV} is the key "
                    "the log was written with",
                )
            )
            break
        records.append(record)
        prev = record["hash"]
    if problems:
        raise InputError(problems)
    return records


def verify(
    path: Path,
    *,
    expect_head: str | None = None,
    key: bytes | None = None,
    git_anchors: bool = False,
) -> Verified:
    """Check the chain; with `key` every record's MAC; with `git_anchors` every
    `Govern-Log-Head:` trailer in the git history of the log's repository."""
    records = read(path, key=key)
    head = records[-1]["hash"] if records else GENESIS
    anchors = check_git_anchors(path, records) if git_anchors else 0
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
    return Verified(records=len(records), head=head, authenticated=key is not None, anchors=anchors)


def head_trailer(path: Path) -> str:
    """The commit-message trailer that anchors the log's current head (for `--branch`)."""
    records = read(path)
    if not records:
        return ""
    return f"{TRAILER}: {records[-1]['seq']} {records[-1]['hash']}"


def check_anchor(path: Path, anchor: Mapping[str, Any] | None, *, where: str) -> None:
    """Refuse when the log no longer holds record `anchor['seq']` with `anchor['hash']`."""
    if not anchor:
        return
    records = read(path)
    _match_anchor(path, records, int(anchor["seq"]), str(anchor["hash"]), where)


def _match_anchor(
    path: Path, records: list[dict[str, Any]], seq: int, digest: str, where: str
) -> None:
    if seq <= len(records) and records[seq - 1]["hash"] == digest:
        return
    what = (
        f"the log has only {len(records)} records: records were removed from the end"
        if seq > len(records)
        else f"record {seq} has another hash: the log was rewritten (re-chained)"
    )
    raise InputError(
        [
            Problem(
                str(path),
                min(seq, len(records)) or 1,
                1,
                f"{where} recorded head {seq} {digest[:12]}…, but {what}",
                "restore the log from git history",
            )
        ]
    )


def check_git_anchors(path: Path, records: list[dict[str, Any]]) -> int:
    """Every `Govern-Log-Head:` trailer in the history of the log's repository must match
    the log. Returns how many were checked."""
    log = run_git(path.absolute().parent, "log", "--format=%H%x1f%B%x1e", needed_by="--git")
    count = 0
    for entry in log.split("\x1e"):
        commit, _, body = entry.strip().partition("\x1f")
        for match in _TRAILER_LINE.finditer(body):
            count += 1
            where = f"commit {commit[:12]} ({TRAILER} trailer)"
            _match_anchor(path, records, int(match.group(1)), match.group(2), where)
    return count


def append(
    path: Path,
    action: str,
    *,
    actor: str,
    details: Mapping[str, Any],
    person: str | None = None,
    now: dt.datetime | None = None,
    key: bytes | None = None,
    lock_timeout: float = 30.0,
) -> dict[str, Any]:
    """Append one record under a lock (waiting up to `lock_timeout` seconds for another
    writer), after checking the chain so far (with `key`, the MACs too; the new record gets
    one). fsync'd before returning: a record that `append` returned is on disk."""
    lock = FileLock(str(path.with_name(f".{path.name}.lock")), timeout=lock_timeout)
    try:
        with lock:
            records = read(path, key=key)
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
            if key is not None:
                record["mac"] = _mac(key, record["hash"])
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
