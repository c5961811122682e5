"""Edit inventory.yaml in place, keeping everything a reviewer cares about.

Comments, key order, quoting, flow or block style and blank lines survive (ruamel.yaml
round-trip mode), so the pull request that an edit produces shows only the lines that
changed. Writes are atomic, and refused if the file changed since it was read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from govern.errors import GovernError
from govern.fsutil import atomic_write_text

# Where `status`/`left_on` go when a person entry lacks them: the order of the format.
_PERSON_ORDER = ("id", "name", "email", "level", "status", "left_on", "trained_on", "tags")


class EditConflict(GovernError):
    """The file changed between reading and writing (exit 2)."""


class InventoryEditor:
    """A round-trip view of one inventory file with the edits govern makes to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._original = path.read_text(encoding="utf-8")
        self._digest = hashlib.sha256(self._original.encode()).hexdigest()
        # Guessed from the text, not by a second parse (ruamel's round-trip loader is pure
        # Python and dominates the time of a large edit).
        sequence, offset = _sequence_indent(self._original)
        self._yaml = YAML()
        self._yaml.preserve_quotes = True
        self._yaml.width = 4096  # never re-wrap long lines
        self._yaml.indent(mapping=_mapping_indent(self._original), sequence=sequence, offset=offset)
        self.doc: CommentedMap = self._yaml.load(self._original)

    # -- lookups --------------------------------------------------------------------------
    def _items(self, section: str) -> list[CommentedMap]:
        items = self.doc.get(section) or []
        return [item for item in items if isinstance(item, CommentedMap)]

    def _person(self, person_id: str) -> CommentedMap:
        for person in self._items("people"):
            if person.get("id") == person_id:
                return person
        raise KeyError(person_id)

    # -- edits ----------------------------------------------------------------------------
    def remove_grants(self, person_id: str) -> list[tuple[str, str]]:
        """Remove every grant of `person_id`; returns (account id, role) removed."""
        removed = []
        for account in self._items("accounts"):
            access = account.get("access")
            if not isinstance(access, CommentedSeq):
                continue
            for index in reversed(range(len(access))):
                grant = access[index]
                if isinstance(grant, dict) and grant.get("person") == person_id:
                    removed.append((str(account["id"]), str(grant.get("role"))))
                    del access[index]
        return sorted(removed)

    def add_grant(self, account_id: str, person_id: str, role: str) -> None:
        """Give `person_id` `role` on the account, or raise an existing grant to it."""
        for account in self._items("accounts"):
            if account.get("id") != account_id:
                continue
            access = account.get("access")
            if not isinstance(access, CommentedSeq):
                access = CommentedSeq()
                account["access"] = access
            for grant in access:
                if isinstance(grant, dict) and grant.get("person") == person_id:
                    grant["role"] = role
                    return
            grant = CommentedMap([("person", person_id), ("role", role)])
            # Match the style of the grants already there: one-line {person, role} or block.
            if access and isinstance(access[0], CommentedMap) and access[0].fa.flow_style():
                grant.fa.set_flow_style()
            access.append(grant)
            return
        raise KeyError(account_id)

    def set_departed(self, person_id: str, left_on: dt.date) -> None:
        person = self._person(person_id)
        _put_in_order(person, "status", "departed", _PERSON_ORDER)
        _put_in_order(person, "left_on", left_on, _PERSON_ORDER)

    def replace_head(self, entity_id: str, successor: str) -> None:
        for entity in self._items("entities"):
            if entity.get("id") == entity_id:
                entity["head"] = successor
                return
        raise KeyError(entity_id)

    def replace_it(self, entity_id: str, person_id: str, successor: str | None) -> None:
        """Remove `person_id` from the entity's IT; add `successor` there unless they
        already head the entity or are IT."""
        for entity in self._items("entities"):
            if entity.get("id") != entity_id:
                continue
            it = entity.get("it")
            if not isinstance(it, CommentedSeq):
                return
            members = list(it)
            if person_id in members:
                index = members.index(person_id)
                if successor and successor not in members and successor != entity.get("head"):
                    it[index] = successor
                else:
                    del it[index]
            if not it:
                del entity["it"]
            return
        raise KeyError(entity_id)

    # -- output ---------------------------------------------------------------------------
    def text(self) -> str:
        out = io.StringIO()
        self._yaml.dump(self.doc, out)
        return out.getvalue()

    def save(self) -> bool:
        """Write the edits atomically; False when there was nothing to change."""
        new = self.text()
        if new == self._original:
            return False
        current = hashlib.sha256(self.path.read_bytes()).hexdigest()
        if current != self._digest:
            raise EditConflict(
                f"{self.path} changed while govern was editing it; nothing was written",
                hint="run the command again",
            )
        atomic_write_text(self.path, new)
        return True


_NESTED_MAPPING = re.compile(
    r"^[^\s#-][^\n]*:[ \t]*\n(?:[ \t]*(?:#[^\n]*)?\n)*([ \t]+)[^\s#-]", re.M
)


_BLOCK_SEQUENCE = re.compile(
    r"^([ \t]*)[^\s#-][^\n]*:[ \t]*\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*([ \t]*)-([ \t]+)\S", re.M
)


def _sequence_indent(text: str) -> tuple[int, int]:
    """(sequence indent, dash offset) of the first block sequence under a key: for
    `accounts:` / `  - id: x` that is (4, 2), ruamel's names for the inventory style."""
    match = _BLOCK_SEQUENCE.search(text)
    if match is None:
        return 4, 2
    offset = max(len(match.group(2)) - len(match.group(1)), 0)
    return offset + 1 + len(match.group(3)), offset


def _mapping_indent(text: str) -> int:
    """Indent of a mapping nested under a top-level key (ruamel guesses only sequences)."""
    match = _NESTED_MAPPING.search(text)
    return len(match.group(1)) if match else 2


def _put_in_order(mapping: CommentedMap, key: str, value: Any, order: tuple[str, ...]) -> None:
    if key in mapping:
        mapping[key] = value
        return
    rank = order.index(key)
    position = len(mapping)
    for index, existing in enumerate(mapping):
        if existing in order and order.index(existing) > rank:
            position = index
            break
    mapping.insert(position, key, value)
