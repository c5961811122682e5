"""Each link of the audit log's chain on its own: a forger without the key edits a record and
recomputes its hash (so `hash` holds and `prev` of the next record must catch it), removes or
reorders records and renumbers them, and `govern log show` reads the log from the CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from govern import auditlog
from govern.cli.main import cli
from govern.errors import InputError, UsageError

KEY = "a log key of at least thirty-two characters, from CI"
Record = dict[str, Any]


def digest(record: Record) -> str:
    """The record hash as docs/auditlog.md describes it: SHA-256 of the canonical JSON of the
    record without `hash` and `mac`."""
    body = {k: v for k, v in record.items() if k not in ("hash", "mac")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_log(path: Path, n: int, key: str | None = None) -> list[Record]:
    return [
        auditlog.append(
            path,
            "revoke" if i % 2 == 0 else "rotate",
            actor=f"actor{i}",
            person=f"p{i % 2}",
            details={"i": i, "note": "café"},
            now=dt.datetime(2026, 11, 22, 10, i, tzinfo=dt.UTC),
            key=key.encode() if key else None,
        )
        for i in range(n)
    ]


def records_of(path: Path) -> list[Record]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def save(path: Path, records: list[Record]) -> None:
    path.write_text(
        "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in records),
        encoding="utf-8",
    )


def first_problem(path: Path, key: str | None = None) -> tuple[int, str]:
    with pytest.raises(InputError) as caught:
        auditlog.read(path, key=key.encode() if key else None)
    assert len(caught.value.problems) == 1
    problem = caught.value.problems[0]
    assert problem.path == str(path) and problem.column == 1
    return problem.line, problem.message


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.log.jsonl"
    write_log(path, 4)
    return path


def test_records_are_chained_as_documented(log: Path) -> None:
    records = records_of(log)
    assert [r["seq"] for r in records] == [1, 2, 3, 4]
    assert records[0]["prev"] == auditlog.GENESIS == "0" * 64
    for before, record in itertools.pairwise(records):
        assert record["prev"] == before["hash"]
    for record in records:
        assert record["hash"] == digest(record)
        assert "mac" not in record
    assert records[1]["time"] == "2026-11-22T10:01:00Z"
    assert records[1]["details"] == {"i": 1, "note": "café"}
    assert "café" in log.read_text(encoding="utf-8")  # UTF-8, not \u escapes
    assert auditlog.read(log) == records


def test_append_writes_a_0644_file_and_leaves_no_descriptor_open(tmp_path: Path) -> None:
    path = tmp_path / "audit.log.jsonl"
    fds = Path("/proc/self/fd")
    before = len(list(fds.iterdir())) if fds.exists() else None
    write_log(path, 3)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644 & ~umask
    if before is not None:
        assert len(list(fds.iterdir())) == before


# -- the prev link, on its own ----------------------------------------------------------------


def test_edited_record_with_its_hash_recomputed_breaks_the_next_prev(log: Path) -> None:
    """The forger fixes the edited record's own hash: only the next record's `prev` tells."""
    records = records_of(log)
    records[1]["person"] = "someone-else"
    records[1]["hash"] = digest(records[1])
    save(log, records)
    line, message = first_problem(log)
    assert line == 3 and "chain broken: 'prev' does not match" in message


def test_edited_last_record_with_its_hash_recomputed_needs_the_anchored_head(log: Path) -> None:
    """The last record has no successor: the chain passes, the expected head does not."""
    head = records_of(log)[-1]["hash"]
    records = records_of(log)
    records[-1]["actor"] = "mallory"
    records[-1]["hash"] = digest(records[-1])
    save(log, records)
    assert auditlog.verify(log).records == 4
    with pytest.raises(InputError, match="is not in the log"):
        auditlog.verify(log, expect_head=head)


def test_edited_prev_with_the_hash_recomputed(log: Path) -> None:
    records = records_of(log)
    records[2]["prev"] = records[0]["hash"]
    records[2]["hash"] = digest(records[2])
    save(log, records)
    assert first_problem(log) == (
        3,
        "chain broken: 'prev' does not match the record before (removed, reordered or edited)",
    )


def test_only_the_first_break_of_a_record_is_reported(log: Path) -> None:
    """Record 3's prev and content both edited, nothing recomputed: one problem (the prev),
    not a second one for the hash of the same record."""
    records = records_of(log)
    records[2]["prev"] = "e" * 64
    records[2]["actor"] = "mallory"
    save(log, records)
    line, message = first_problem(log)
    assert line == 3 and message.startswith("chain broken")


def test_a_replaced_hash_is_reported_once(log: Path) -> None:
    """Record 2's hash replaced: its own check fails, and reading stops there (the next
    record's prev, now also wrong, is not a second problem)."""
    records = records_of(log)
    records[1]["hash"] = "0" * 64
    save(log, records)
    assert first_problem(log) == (2, "record was edited: its hash does not match its content")


def test_first_record_must_start_from_genesis(log: Path) -> None:
    records = records_of(log)[:1]
    records[0]["prev"] = "f" * 64
    records[0]["hash"] = digest(records[0])
    save(log, records)
    assert first_problem(log)[0] == 1


def test_removed_record_renumbered_breaks_the_chain(log: Path) -> None:
    """Record 2 removed, the rest renumbered and their hashes fixed, prev left alone."""
    records = records_of(log)
    del records[1]
    for seq, record in enumerate(records, start=1):
        record["seq"] = seq
        record["hash"] = digest(record)
    save(log, records)
    line, message = first_problem(log)
    assert line == 2 and "chain broken" in message


def test_reordered_records_renumbered_break_the_chain(log: Path) -> None:
    records = records_of(log)
    records[1], records[2] = records[2], records[1]
    records[1]["seq"], records[2]["seq"] = 2, 3
    for record in records:
        record["hash"] = digest(record)
    save(log, records)
    line, message = first_problem(log)
    assert line == 2 and "chain broken" in message


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (lambda rs: rs.__delitem__(0), 1, "record 2 where record 1 was expected"),
        (lambda rs: rs.__delitem__(2), 3, "record 4 where record 3 was expected"),
        (lambda rs: rs[3].update(seq=3), 4, "record 3 where record 4 was expected"),
        (lambda rs: rs[0].update(seq="1"), 1, "record '1' where record 1 was expected"),
        (lambda rs: rs[0].pop("seq"), 1, "record None where record 1 was expected"),
        (lambda rs: rs.insert(1, dict(rs[1])), 3, "record 2 where record 3 was expected"),
    ],
)
def test_sequence_numbers(
    log: Path, change: Callable[[list[Record]], None], line: int, message: str
) -> None:
    records = records_of(log)
    change(records)
    save(log, records)
    got_line, got_message = first_problem(log)
    assert got_line == line
    assert got_message.startswith(message) and "removed or reordered" in got_message


def test_edited_record_without_rehash(log: Path) -> None:
    records = records_of(log)
    records[1]["details"]["i"] = 99
    save(log, records)
    assert first_problem(log) == (2, "record was edited: its hash does not match its content")


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"not json\n", 1, "not a JSON record"),
        (b"[1, 2]\n", 1, "not a JSON object"),
        (b'"text"\n', 1, "not a JSON object"),
        (b"\xff\xfe\n", 1, "not valid UTF-8"),
    ],
)
def test_lines_that_are_not_records(log: Path, content: bytes, line: int, message: str) -> None:
    log.write_bytes(content)
    assert first_problem(log) == (line, message)


def test_bad_line_after_good_records_names_its_line(log: Path) -> None:
    with log.open("ab") as out:
        out.write(b"{broken\n")
    assert first_problem(log) == (5, "not a JSON record")


@pytest.mark.parametrize("cut", [1, 40])
def test_incomplete_last_record(log: Path, cut: int) -> None:
    """The final newline missing, or the record cut in the middle (a crash while writing):
    one problem, the incomplete record, and nothing read from it."""
    text = log.read_text(encoding="utf-8")
    log.write_text(text[:-cut], encoding="utf-8")
    line, message = first_problem(log)
    assert line == 4 and message.startswith("last record is incomplete (a crash while writing?)")


def test_missing_and_empty_log(tmp_path: Path) -> None:
    missing = tmp_path / "none.jsonl"
    assert auditlog.read(missing) == []
    result = auditlog.verify(missing)
    assert result == auditlog.Verified(records=0, head=auditlog.GENESIS)
    assert (result.authenticated, result.anchors) == (False, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.records = 5  # type: ignore[misc]
    assert auditlog.head_trailer(missing) == ""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert auditlog.read(empty) == []


# -- MACs, anchors and the key ------------------------------------------------------------------


def test_keyed_records_carry_a_mac_of_their_hash(tmp_path: Path) -> None:
    log = tmp_path / "audit.log.jsonl"
    write_log(log, 2, key=KEY)
    for record in records_of(log):
        want = hmac.new(
            KEY.encode(), f"govern-log v1 {record['hash']}".encode(), hashlib.sha256
        ).hexdigest()
        assert record["mac"] == want
    result = auditlog.verify(log, key=KEY.encode())
    assert result.authenticated and result.records == 2


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda r: r.pop("mac"), "has no MAC"),
        (lambda r: r.update(mac=None), "has a MAC that does not match"),
        (lambda r: r.update(mac="0" * 64), "has a MAC that does not match"),
    ],
)
def test_record_mac(tmp_path: Path, change: Callable[[Record], None], why: str) -> None:
    log = tmp_path / "audit.log.jsonl"
    write_log(log, 3, key=KEY)
    records = records_of(log)
    change(records[1])
    change(records[2])  # two bad records: reading stops at the first
    save(log, records)
    assert auditlog.verify(log).records == 3  # the hash excludes the MAC: the chain holds
    line, message = first_problem(log, key=KEY)
    assert line == 2 and message.startswith(f"record {why} under GOVERN_LOG_KEY")
    with pytest.raises(auditlog.LogError, match="refusing to append to a damaged log"):
        auditlog.append(log, "revoke", actor="a", details={}, key=KEY.encode())


def test_key_length_boundary() -> None:
    assert auditlog.key_from_env({}) is None
    assert auditlog.key_from_env({"GOVERN_LOG_KEY": ""}) is None
    assert auditlog.key_from_env({"GOVERN_LOG_KEY": "k" * 32}) == b"k" * 32
    with pytest.raises(UsageError, match=r"too short \(31 characters; at least 32\)"):
        auditlog.key_from_env({"GOVERN_LOG_KEY": "k" * 31})


def test_expected_head(log: Path) -> None:
    records = records_of(log)
    assert auditlog.verify(log, expect_head=records[-1]["hash"]).head == records[-1]["hash"]
    with pytest.raises(InputError) as caught:
        auditlog.verify(log, expect_head=records[1]["hash"])
    problem = caught.value.problems[0]
    assert (problem.line, problem.column) == (4, 1)
    assert problem.message == (
        f"head is {records[-1]['hash'][:12]}…, expected {records[1]['hash'][:12]}…; it is "
        "record 2 of 4: records were added since"
    )
    assert auditlog.verify(log).anchors == 0
    empty = log.with_name("empty.jsonl")
    with pytest.raises(InputError) as caught:
        auditlog.verify(empty, expect_head=records[0]["hash"])
    assert caught.value.problems[0].line == 1


def test_anchor_checks(log: Path) -> None:
    records = records_of(log)
    auditlog.check_anchor(log, None, where="journal")
    auditlog.check_anchor(log, {"seq": 4, "hash": records[3]["hash"]}, where="journal")
    auditlog.check_anchor(log, {"seq": 1, "hash": records[0]["hash"]}, where="journal")
    with pytest.raises(InputError) as caught:
        auditlog.check_anchor(log, {"seq": 5, "hash": "a" * 64}, where="the journal")
    problem = caught.value.problems[0]
    assert problem.line == 4
    assert problem.message == (
        "the journal recorded head 5 aaaaaaaaaaaa…, but the log has only 4 records: "
        "records were removed from the end"
    )
    with pytest.raises(InputError) as caught:
        auditlog.check_anchor(log, {"seq": 2, "hash": records[2]["hash"]}, where="the journal")
    problem = caught.value.problems[0]
    assert problem.line == 2
    assert "record 2 has another hash: the log was rewritten (re-chained)" in problem.message
    assert problem.column == 1
    with pytest.raises(InputError) as caught:  # the last record, with another hash
        auditlog.check_anchor(log, {"seq": 4, "hash": records[2]["hash"]}, where="the journal")
    assert caught.value.problems[0].line == 4
    assert "record 4 has another hash" in caught.value.problems[0].message
    empty = log.with_name("empty.jsonl")
    with pytest.raises(InputError) as caught:
        auditlog.check_anchor(empty, {"seq": 1, "hash": "b" * 64}, where="the journal")
    assert caught.value.problems[0].line == 1
    assert "the log has only 0 records" in caught.value.problems[0].message
    assert auditlog.head_trailer(log) == f"Govern-Log-Head: 4 {records[3]['hash']}"


HOLDER = textwrap.dedent("""
    import sys, time
    from filelock import FileLock
    with FileLock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def test_append_while_another_process_holds_the_lock(log: Path) -> None:
    before = log.read_bytes()
    lock = log.with_name(f".{log.name}.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), "60"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(auditlog.LogError, match="locked by another govern process"):
            auditlog.append(log, "revoke", actor="a", details={}, lock_timeout=0.3)
    finally:
        holder.kill()
        holder.wait()
    assert log.read_bytes() == before


# -- govern log show, from the CLI --------------------------------------------------------------


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_log_show_text(log: Path) -> None:
    result = run("log", "show", "--log", str(log))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "   1  2026-11-22T10:00:00Z  actor0       revoke   p0",
        "   2  2026-11-22T10:01:00Z  actor1       rotate   p1",
        "   3  2026-11-22T10:02:00Z  actor2       revoke   p0",
        "   4  2026-11-22T10:03:00Z  actor3       rotate   p1",
    ]


def test_log_show_person_and_json(log: Path) -> None:
    result = run("log", "show", "--log", str(log), "--person", "p1", "--format", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert [r["seq"] for r in shown] == [2, 4]
    assert shown == [r for r in records_of(log) if r["person"] == "p1"]
    nobody = run("log", "show", "--log", str(log), "--person", "nobody")
    assert nobody.stdout == "No records.\n"
    none_json = run("log", "show", "--log", str(log), "--person", "nobody", "-f", "json")
    assert json.loads(none_json.stdout) == []


def test_log_show_without_a_person_and_the_default_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = tmp_path / "org"
    org.mkdir()
    auditlog.append(org / auditlog.DEFAULT_NAME, "lockdown", actor="it", details={})
    monkeypatch.chdir(tmp_path)
    shown = run("log", "show", "--inventory", str(org / "inventory.yaml"))
    assert shown.exit_code == 0, shown.output
    (line,) = shown.stdout.splitlines()
    assert line.startswith("   1  ") and line.endswith("it           lockdown ")
    empty = run("log", "show")  # ./audit.log.jsonl does not exist: an empty log
    assert empty.exit_code == 0 and empty.stdout == "No records.\n"


def test_log_show_refuses_a_damaged_log(log: Path) -> None:
    """`show` verifies first: an edited record with its hash recomputed fails with the line
    of the broken link, exit 2, no records printed and no traceback."""
    records = records_of(log)
    records[0]["person"] = "someone-else"
    records[0]["hash"] = digest(records[0])
    save(log, records)
    result = run("log", "show", "--log", str(log))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {log}:2:1: chain broken: 'prev' does not match")
    assert "Traceback" not in result.stderr


def test_log_show_in_a_real_process(log: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "govern", "log", "show", "--log", str(log), "--person", "p0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()] == ["1", "3"]


def test_an_unreadable_log_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    """/proc/self/mem is a regular file whose read fails (EIO): before the fix, `log show`
    ended in 'internal error: OSError' (exit 70)."""
    if not Path("/proc/self/mem").exists():
        pytest.skip("needs Linux /proc")
    result = run("log", "show", "--log", "/proc/self/mem")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: /proc/self/mem:1:1: cannot read file: ")
    assert "internal error" not in result.stderr


def test_a_log_over_the_size_cap_is_refused_unread(log: Path) -> None:
    with log.open("r+b") as sparse:
        sparse.truncate(auditlog.MAX_LOG_BYTES + 1)  # sparse: nothing written
    line, message = first_problem(log)
    assert line == 1 and message == "file is too large (over 256 MiB)"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
            "GIT_CONFIG_GLOBAL": os.devnull,
        },
    ).stdout


def test_every_anchored_head_in_git_history_is_checked(tmp_path: Path) -> None:
    """Two commits anchor heads 2 and 4: both are counted; a trailer naming a hash the log
    does not hold is reported with its commit."""
    repo = tmp_path
    log = repo / "audit.log.jsonl"
    git(repo, "init", "-q", "-b", "main")
    records = write_log(log, 2)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", f"two\n\n{auditlog.head_trailer(log)}")
    records += [
        auditlog.append(log, "revoke", actor="a", details={}, person=f"q{i}") for i in range(2)
    ]
    git(repo, "add", ".")
    git(repo, "commit", "-qm", f"four\n\nGovern-Log-Head: 4 {records[3]['hash']}")
    result = auditlog.verify(log, git_anchors=True)
    assert (result.records, result.anchors) == (4, 2)
    git(repo, "commit", "-q", "--allow-empty", "-m", f"bad\n\nGovern-Log-Head: 3 {'c' * 64}")
    commit = git(repo, "rev-parse", "HEAD").strip()
    with pytest.raises(InputError) as caught:
        auditlog.verify(log, git_anchors=True)
    assert caught.value.problems[0].message.startswith(
        f"commit {commit[:12]} (Govern-Log-Head trailer) recorded head 3 cccccccccccc…, but "
        "record 3 has another hash"
    )
