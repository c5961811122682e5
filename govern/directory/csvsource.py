"""An HR export as a directory: one CSV row per person, the email as the key.

Columns (renamable with `--column KEY="Header"`): `email` (required), `status` (`active`,
any case; anything else means no longer active; without the column everyone listed is
active) and `left_on` (YYYY-MM-DD; empty means today for people no longer active). The
delimiter is read from the header line (comma, semicolon or tab). Every problem is
reported at once as `path:line:column`, the column counted in characters of the line.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path

from govern.directory import DirectoryPerson, normalize_email
from govern.errors import InputError, Problem, UsageError

COLUMNS = ("email", "status", "left_on")
DEFAULT_COLUMNS = {key: key for key in COLUMNS}
_DELIMITERS = (",", ";", "\t")
Pos = tuple[int, int]  # 1-based (line, column)


def parse_columns(pairs: tuple[str, ...]) -> dict[str, str]:
    """`--column status="Employment Status"` options as {key: header}."""
    renamed: dict[str, str] = {}
    for pair in pairs:
        key, sep, header = pair.partition("=")
        key = key.strip()
        if not sep or not header.strip():
            raise UsageError(
                f"--column {pair!r}: expected KEY=HEADER", hint='e.g. --column status="Status"'
            )
        if key not in COLUMNS:
            raise UsageError(
                f"--column: unknown column {key!r}", hint=f"one of {', '.join(COLUMNS)}"
            )
        renamed[key] = header.strip()
    return renamed


class CsvRoster:
    """A roster file; `columns` renames the default columns."""

    def __init__(self, path: str, *, columns: Mapping[str, str], today: dt.date) -> None:
        self.path = path
        self.name = path
        self.today = today
        self.renamed = dict(columns)
        self.columns = {**DEFAULT_COLUMNS, **self.renamed}

    def people(self) -> list[DirectoryPerson]:
        text = self._read()
        lines = text.splitlines(keepends=True)
        if not lines:
            raise InputError(
                [Problem(self.path, 1, 1, "the roster is empty", "a header line first")]
            )
        delimiter = max(_DELIMITERS, key=lines[0].count)
        problems: list[Problem] = []
        records = self._records(lines, delimiter, problems)
        header = next(records, None)
        if header is None:
            raise InputError(problems)
        where = self._where(header, problems)
        if where is None:
            raise InputError(problems)
        people: list[DirectoryPerson] = []
        first_seen: dict[str, int] = {}
        for line, row, positions in records:
            if not any(cell.strip() for cell in row):
                continue  # a blank line

            def at(
                key: str, message: str, hint: str | None = None, at: list[Pos] = positions
            ) -> Problem:
                line_no, column = _field_at(at, where[key], lines)
                return Problem(self.path, line_no, column, message, hint)

            if len(row) <= max(where.values()):
                problems.append(
                    at(
                        max(where, key=where.__getitem__),
                        f"the row has {len(row)} fields, the header {len(header[1])}",
                    )
                )
                continue
            email = normalize_email(row[where["email"]])
            if "@" not in email or " " in email:
                problems.append(at("email", f"not an email address: {row[where['email']]!r}"))
                continue
            if email in first_seen:
                problems.append(
                    at(
                        "email",
                        f"{email} is listed twice",
                        f"first at line {first_seen[email]}; keep one row per person",
                    )
                )
                continue
            first_seen[email] = line
            active = True
            if "status" in where:
                active = row[where["status"]].strip().casefold() == "active"
            left_on: dt.date | None = None
            if "left_on" in where and row[where["left_on"]].strip():
                value = row[where["left_on"]].strip()
                try:
                    left_on = dt.date.fromisoformat(value)
                except ValueError:
                    problems.append(at("left_on", f"not a date: {value!r}", "use YYYY-MM-DD"))
                    continue
            if not active and left_on is None:
                left_on = self.today
            people.append(
                DirectoryPerson(
                    email, active, left_on if not active else None, where=f"{self.path}:{line}"
                )
            )
        if problems:
            raise InputError(problems)
        return people

    def _read(self) -> str:
        try:
            raw = Path(self.path).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            before = raw[: exc.start]
            line = before.count(b"\n") + 1
            column = len(before) - (before.rfind(b"\n") + 1) + 1
            raise InputError(
                [
                    Problem(
                        self.path, line, column, "not UTF-8 text", "export the roster as UTF-8 CSV"
                    )
                ]
            ) from None

    def _records(
        self, lines: list[str], delimiter: str, problems: list[Problem]
    ) -> Iterator[tuple[int, list[str], list[Pos]]]:
        """(first line, fields, (line, column) of each field) per record."""
        reader = csv.reader(iter(lines), delimiter=delimiter, strict=True)
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # Where the field that broke starts: the last one begun in the record.
                raw = "".join(lines[start - 1 : max(reader.line_num, start)])
                line, column = _positions(raw, start, delimiter)[-1]
                problems.append(
                    Problem(self.path, line, column, f"malformed CSV: {exc}", "check the quotes")
                )
                return
            raw = "".join(lines[start - 1 : reader.line_num])
            yield start, row, _positions(raw, start, delimiter)

    def _where(
        self, header: tuple[int, list[str], list[Pos]], problems: list[Problem]
    ) -> dict[str, int] | None:
        """Index of each column in the rows; a problem for each required one missing."""
        _, names, _ = header
        exact = {name.strip(): n for n, name in reversed(list(enumerate(names)))}
        folded = {name.strip().casefold(): n for n, name in reversed(list(enumerate(names)))}
        where: dict[str, int] = {}
        for key, name in self.columns.items():
            index = exact.get(name, folded.get(name.casefold()))
            if index is not None:
                where[key] = index
            elif key == "email" or key in self.renamed:
                listed = ", ".join(repr(n.strip()) for n in names)
                problems.append(
                    Problem(
                        self.path,
                        1,
                        1,
                        f"no column {name!r} for {key} in the header ({listed})",
                        f'name it with --column {key}="HEADER"',
                    )
                )
        return None if problems else where


def _field_at(positions: list[Pos], index: int, lines: list[str]) -> Pos:
    """Where field `index` starts; past the end of a short row, the end of its last line."""
    if index < len(positions):
        return positions[index]
    line = positions[-1][0]
    return line, len(lines[line - 1].rstrip("\r\n")) + 1


def _positions(raw: str, first_line: int, delimiter: str) -> list[Pos]:
    """(line, column) where each field of a record starts, quotes taken into account."""
    offsets = [0]
    quoted = False
    for index, char in enumerate(raw):
        if char == '"':
            quoted = not quoted  # a doubled quote toggles twice
        elif char == delimiter and not quoted:
            offsets.append(index + 1)
    positions = []
    for offset in offsets:
        line = first_line + raw.count("\n", 0, offset)
        column = offset - (raw.rfind("\n", 0, offset) + 1) + 1
        positions.append((line, column))
    return positions
