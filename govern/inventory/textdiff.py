"""A unified diff of an edited inventory, in time linear in the file.

difflib's matcher is quadratic on long files with many repeated lines (an inventory is full
of `    level: C`): on a 30,000-person file with 294 people marked departed it took 363 s.
The editor's changes are local (a few lines inserted or replaced inside an item), so
both texts are walked together and, at each difference, the nearest point where they agree
again (for `_SYNC` lines) is searched within `_WINDOW` lines; past that, difflib compares
what is left. The hunks are formatted as `diff -u` / difflib.unified_diff does.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from typing import Literal

_WINDOW = 200  # lines searched for the texts to agree again after a difference
_SYNC = 3  # lines that must agree for the texts to count as back in step
_CONTEXT = 3

Tag = Literal["replace", "delete", "insert", "equal"]
Opcode = tuple[Tag, int, int, int, int]


def unified(before: str, after: str, *, fromfile: str, tofile: str) -> str:
    """`diff -u` of two texts ("" when they are equal)."""
    if before == after:
        return ""
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    return "".join(_format(a, b, _opcodes(a, b), fromfile, tofile))


def _opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    ops: list[Opcode] = []
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            start_i, start_j = i, j
            while i < len(a) and j < len(b) and a[i] == b[j]:
                i, j = i + 1, j + 1
            ops.append(("equal", start_i, i, start_j, j))
            continue
        found = _resync(a, b, i, j)
        if found is None:  # far apart: difflib on the rest (rare, bounded by what is left)
            matcher = difflib.SequenceMatcher(None, a[i:], b[j:], autojunk=False)
            ops.extend(
                (tag, i + i1, i + i2, j + j1, j + j2)
                for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            )
            return ops
        x, y = found
        tag: Tag = "replace" if x and y else ("delete" if x else "insert")
        ops.append((tag, i, i + x, j, j + y))
        i, j = i + x, j + y
    if i < len(a) or j < len(b):
        last: Tag = (
            "replace" if i < len(a) and j < len(b) else ("delete" if i < len(a) else "insert")
        )
        ops.append((last, i, len(a), j, len(b)))
    return ops


def _resync(a: Sequence[str], b: Sequence[str], i: int, j: int) -> tuple[int, int] | None:
    """The smallest (lines of a, lines of b) to skip from (i, j) for both to agree again
    for `_SYNC` lines (or to the end of both)."""
    for total in range(1, 2 * _WINDOW + 1):
        for x in range(max(0, total - _WINDOW), min(total, _WINDOW) + 1):
            y = total - x
            if _agree(a, b, i + x, j + y):
                return x, y
    return None


def _agree(a: Sequence[str], b: Sequence[str], i: int, j: int) -> bool:
    if i > len(a) or j > len(b):
        return False
    if i == len(a) or j == len(b):
        return i == len(a) and j == len(b)
    n = min(_SYNC, len(a) - i, len(b) - j)
    if a[i : i + n] != b[j : j + n]:
        return False
    return n == _SYNC or (i + n == len(a) and j + n == len(b))


def _format(
    a: Sequence[str], b: Sequence[str], ops: list[Opcode], fromfile: str, tofile: str
) -> Iterator[str]:
    matcher = _Given(a, b, ops)
    started = False
    for group in matcher.get_grouped_opcodes(_CONTEXT):
        if not started:
            started = True
            yield f"--- {fromfile}\n"
            yield f"+++ {tofile}\n"
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in _ended(a[i1:i2]))
                continue
            yield from ("-" + line for line in _ended(a[i1:i2]))
            yield from ("+" + line for line in _ended(b[j1:j2]))


def _ended(lines: Sequence[str]) -> Iterator[str]:
    for line in lines:
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def _range(start: int, stop: int) -> str:
    """A hunk's line range as unified diffs write it (difflib._format_range_unified)."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return f"{beginning}"
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


class _Given(difflib.SequenceMatcher[str]):
    """difflib's hunk grouping over opcodes computed here."""

    def __init__(self, a: Sequence[str], b: Sequence[str], ops: list[Opcode]) -> None:
        super().__init__(None, "", "", autojunk=False)
        self.a, self.b = a, b
        self._given = ops

    def get_opcodes(self) -> list[Opcode]:
        return list(self._given)
