"""The linear unified diff: applying it to the old text gives the new one, and on the
editor's kind of change (lines inserted inside items) it is difflib's diff."""

from __future__ import annotations

import difflib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from govern.inventory.textdiff import unified

HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def patch(before: str, diff: str) -> str:
    """Apply a unified diff (as written by `unified`) to `before`."""
    old = before.splitlines(keepends=True)
    out: list[str] = []
    at = 0
    lines = diff.splitlines(keepends=True)[2:]
    n = 0
    while n < len(lines):
        match = HUNK.match(lines[n])
        assert match, lines[n]
        start = int(match.group(1)) - (0 if match.group(2) != "0" else -1) - 1
        out.extend(old[at:start])
        at = start
        n += 1
        while n < len(lines) and not lines[n].startswith("@@"):
            line = lines[n]
            text = line[1:]
            if n + 1 < len(lines) and lines[n + 1].startswith("\\"):
                text = text[:-1]
                n += 1
            if line[0] in " -":
                assert old[at] == text
                at += 1
            if line[0] in " +":
                out.append(text)
            n += 1
    out.extend(old[at:])
    return "".join(out)


lines_st = st.lists(
    st.sampled_from(["a\n", "b\n", "  level: C\n", "# c\n", "\n", "x"]), max_size=40
)


@settings(max_examples=300, deadline=None)
@given(lines_st, lines_st)
def test_the_diff_turns_the_old_text_into_the_new(a: list[str], b: list[str]) -> None:
    before = "".join(line if line.endswith("\n") else line + "\n" for line in a)
    after = "".join(line if line.endswith("\n") else line + "\n" for line in b)
    diff = unified(before, after, fromfile="a", tofile="b")
    assert (diff == "") == (before == after)
    if diff:
        assert diff.startswith("--- a\n+++ b\n@@ ")
        assert patch(before, diff) == after


def test_missing_final_newline_is_marked() -> None:
    diff = unified("a\nb", "a\nc", fromfile="a", tofile="b")
    assert (
        diff
        == "".join(difflib.unified_diff(["a\n", "b"], ["a\n", "c"], "a", "b")).replace(
            "-b+c", "-b\n\\ No newline at end of file\n+c"
        )
        + "\n\\ No newline at end of file\n"
    )


def test_inserted_lines_are_exactly_the_change() -> None:
    # difflib, on these repeated lines, deletes and re-adds `trained_on` around the insert.
    people = [
        f"  - id: p{n}\n    name: P {n}\n    level: C\n    trained_on: 2026-01-01\n"
        for n in range(3000)
    ]
    before = "people:\n" + "".join(people)
    for n in (3, 1500, 2999):
        people[n] = people[n].replace(
            "    trained_on", "    status: departed\n    left_on: 2026-11-30\n    trained_on"
        )
    after = "people:\n" + "".join(people)
    diff = unified(before, after, fromfile="a/x", tofile="b/x")
    changed = [line for line in diff.splitlines()[2:] if line[:1] in "+-"]
    assert changed == ["+    status: departed", "+    left_on: 2026-11-30"] * 3
    assert diff.count("@@ -") == 3
    assert patch(before, diff) == after
