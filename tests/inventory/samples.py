"""A small valid inventory shared by the inventory tests, and helpers to edit it by line."""

from __future__ import annotations

from pathlib import Path

from govern.errors import InputError, Problem
from govern.inventory.load import LoadedInventory, load_inventory
from govern.platforms import builtin_catalog

# Line numbers are part of the tests' expectations: keep this text stable.
BASE = """\
version: 1
organization:
  name: Org
  domains: [org.example]
people:
  - id: alice
    name: Alice
    email: alice@org.example
    level: C
  - id: bob
    name: Bob
    email: bob@org.example
    level: C
entities:
  - id: parish
    name: Parish
    head: alice
    it: [bob]
accounts:
  - id: parish-fb
    entity: parish
    platform: facebook
    handle: parishfb
    access:
      - person: alice
        role: admin
      - person: bob
        role: editor
"""


def edit(text: str, line: int, replacement: str | None) -> str:
    """Replace 1-based `line` by `replacement` (one or more lines; None deletes it)."""
    lines = text.splitlines(keepends=True)
    lines[line - 1 : line] = [] if replacement is None else [replacement.rstrip("\n") + "\n"]
    return "".join(lines)


def insert(text: str, after: int, addition: str) -> str:
    """Insert `addition` (one or more lines) after 1-based line `after`."""
    lines = text.splitlines(keepends=True)
    lines[after:after] = [addition.rstrip("\n") + "\n"]
    return "".join(lines)


def load(path: Path) -> LoadedInventory:
    return load_inventory(path, builtin_catalog())


def write(tmp_path: Path, content: str | bytes, name: str = "inventory.yaml") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, content: str | bytes) -> list[Problem]:
    """Every problem `load_inventory` reports for `content`; fails if it loads."""
    path = write(tmp_path, content)
    try:
        load(path)
    except InputError as exc:
        assert exc.problems, "an InputError must carry at least one problem"
        for problem in exc.problems:
            assert problem.path == str(path)
        return exc.problems
    raise AssertionError("expected an InputError")


def only_problem(tmp_path: Path, content: str | bytes) -> Problem:
    found = problems_of(tmp_path, content)
    assert len(found) == 1, [p.render() for p in found]
    return found[0]
