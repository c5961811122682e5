"""Round-trip inventory edits change only the intended lines; the audit log detects tampering."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import shutil
from pathlib import Path

import pytest

from govern import auditlog
from govern.errors import InputError
from govern.inventory.edit import EditConflict, InventoryEditor
from tests.conftest import REPO


def diff(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_revoke_edit_changes_only_the_intended_lines(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    shutil.copy(REPO / "inventory.yaml", path)
    before = path.read_text()
    editor = InventoryEditor(path)
    removed = editor.remove_grants("it-hpatel")
    editor.set_departed("it-hpatel", dt.date(2026, 11, 22))
    editor.replace_it("chancery", "it-hpatel", "it-lnguyen")
    editor.replace_it("cathedral", "it-hpatel", "it-lnguyen")
    editor.add_grant("chancery-youtube", "it-lnguyen", "owner")
    assert editor.save()
    changes = diff(before, path.read_text())
    assert len(removed) == 7
    assert sorted(changes) == sorted(
        [f"-{line}" for line in before.splitlines() if "person: it-hpatel" in line]
        + [
            "+    status: departed",
            "+    left_on: 2026-11-22",
            "-    it: [it-hpatel, it-lnguyen]",
            "+    it: [it-lnguyen]",
            "-    it: [it-hpatel]",
            "+    it: [it-lnguyen]",
            "+      - {person: it-lnguyen, role: owner}",
        ]
    )
    # Comments, quoting and the schema line survive untouched.
    assert path.read_text().count("#") == before.count("#")
    assert 'handle: "@StBrendanDio"' in path.read_text()


def test_block_style_grants_and_indentation_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    text = (
        "version: 1\n"
        "organization:\n"
        "    name: X   # four-space mappings\n"
        "accounts:\n"
        "-   id: a\n"
        "    access:\n"
        "    -   person: p1\n"
        "        role: admin\n"
        "    -   person: p2   # goes\n"
        "        role: editor\n"
    )
    path.write_text(text)
    editor = InventoryEditor(path)
    assert editor.remove_grants("p2") == [("a", "editor")]
    editor.add_grant("a", "p3", "analyst")
    editor.save()
    assert diff(text, path.read_text()) == [
        "-    -   person: p2   # goes",
        "-        role: editor",
        "+    -   person: p3",
        "+        role: analyst",
    ]


def test_concurrent_change_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    shutil.copy(REPO / "inventory.yaml", path)
    editor = InventoryEditor(path)
    editor.remove_grants("dkim")
    path.write_text(path.read_text() + "# someone else's edit\n")
    with pytest.raises(EditConflict):
        editor.save()
    assert path.read_text().endswith("# someone else's edit\n")


def write_log(path: Path, n: int) -> list[dict]:  # type: ignore[type-arg]
    return [
        auditlog.append(path, "revoke", actor="a", person=f"p{i}", details={"i": i})
        for i in range(n)
    ]


def test_log_verify_and_show(tmp_path: Path) -> None:
    log = tmp_path / "audit.log.jsonl"
    records = write_log(log, 3)
    result = auditlog.verify(log)
    assert result.records == 3 and result.head == records[-1]["hash"]
    assert auditlog.verify(log, expect_head=records[-1]["hash"]).records == 3


@pytest.mark.parametrize(
    "tamper, line, message",
    [
        ("edit", 2, "was edited"),
        ("remove", 2, "removed or reordered"),
        ("reorder", 2, "removed or reordered"),
        ("truncate-half", 3, "incomplete"),
    ],
)
def test_log_tampering_is_detected(tmp_path: Path, tamper: str, line: int, message: str) -> None:
    log = tmp_path / "audit.log.jsonl"
    write_log(log, 3)
    lines = log.read_text().splitlines(keepends=True)
    if tamper == "edit":
        record = json.loads(lines[1])
        record["person"] = "someone-else"
        lines[1] = json.dumps(record, sort_keys=True) + "\n"
    elif tamper == "remove":
        del lines[1]
    elif tamper == "reorder":
        lines[1], lines[2] = lines[2], lines[1]
    else:
        lines[2] = lines[2][: len(lines[2]) // 2]
    log.write_text("".join(lines))
    with pytest.raises(InputError) as caught:
        auditlog.verify(log)
    problem = caught.value.problems[0]
    assert problem.line == line and message in problem.message
    # Appending to a damaged log is refused, and changes nothing.
    before = log.read_bytes()
    with pytest.raises(auditlog.LogError):
        auditlog.append(log, "revoke", actor="a", details={})
    assert log.read_bytes() == before


def test_records_removed_from_the_end_are_caught_by_the_anchored_head(tmp_path: Path) -> None:
    log = tmp_path / "audit.log.jsonl"
    records = write_log(log, 3)
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:2]))
    assert auditlog.verify(log).records == 2  # a shorter chain is still a chain...
    with pytest.raises(InputError) as caught:
        auditlog.verify(log, expect_head=records[-1]["hash"])
    assert "removed from the end" in caught.value.problems[0].message
