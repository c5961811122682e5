"""Edit inventory.yaml in place, keeping everything a reviewer cares about.

Comments, key order, quoting, flow or block style and blank lines survive, so the pull
request that an edit produces shows only the lines that changed. Writes are atomic, and
refused if the file changed since it was read.

Every edit is applied to the plain data of the file (the fast reader's) and recorded. The
text is then written one of two ways, with the same result:

- the splice (splice.py): only the text of the edited items changes; grant lines and an
  account's `reviewed: {on, by}` line are deleted, replaced or inserted directly, other
  edited items are rewritten one by one by ruamel.yaml with the same edit code. The new
  text is parsed and must equal the edited data. (A new `reviewed` line goes above the
  comments that follow an account, which introduce the next one; ruamel puts it below.);
- the round trip: ruamel.yaml loads the whole file, the recorded edits are replayed on it
  and it is dumped. It is the reference and the fallback whenever the splice does not
  apply or its result does not check out; on a large file it is ~50 times slower.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from govern.errors import GovernError, InputError
from govern.fsutil import atomic_write_text, read_regular
from govern.inventory import splice
from govern.inventory.source import parse
from govern.inventory.yamltext import MAX_BYTES

log = logging.getLogger(__name__)

# Where `status`/`left_on` go when a person entry lacks them: the order of the format.
_PERSON_ORDER = ("id", "name", "email", "level", "status", "left_on", "trained_on", "tags")
_ACCOUNT_ORDER = (
    "id",
    "entity",
    "platform",
    "handle",
    "url",
    "platform_id",
    "access",
    "credential",
    "reviewed",
    "tags",
)

# Items rewritten by ruamel one by one cost about as much per character as the whole file:
# past this share of the file (and a floor under which both are a few milliseconds), the
# whole-file round trip is the cheaper of the two.
_REDUMP_SHARE = 0.5
_REDUMP_FLOOR = 4000

Item = tuple[str, int]  # (top-level section, index in its list)
# An edit: applied to a document (plain data or ruamel's), returns its result and the items
# it changed. The same code serves both, so they cannot disagree on what an edit means.
Edit = Callable[[Any], tuple[Any, list[Item]]]


class EditConflict(GovernError):
    """The file changed between reading and writing (exit 2)."""


class UnsafeEdit(GovernError):
    """The edited text would not read back as the edited data; nothing written (exit 2)."""


class InventoryEditor:
    """One inventory file with the edits govern makes to it.

    `last_path` says how `text()` produced the text: "splice" or "roundtrip";
    `redumped` lists the items the splice had ruamel rewrite ("people[3]"). With
    `force_roundtrip=True` the text always comes from the whole-file round trip.
    """

    def __init__(self, path: Path, *, force_roundtrip: bool = False) -> None:
        self.path = path
        raw = read_regular(path, limit=MAX_BYTES)
        self._original = raw.decode("utf-8")
        self._digest = hashlib.sha256(raw).hexdigest()
        self._force_roundtrip = force_roundtrip
        self._edits: list[tuple[Edit, list[Item]]] = []
        self._text: str | None = None
        self._doc: CommentedMap | None = None
        self.last_path: str | None = None
        self.redumped: list[str] = []
        try:
            self._data: Any = parse(str(path), self._original)
        except InputError:
            self._data = None
        # Whether the result can be checked against the edited data read by the fast reader.
        self._checkable = isinstance(self._data, dict)
        # Each account's grants as they were, to tell deleted, raised and added ones apart.
        self._grants_before: dict[int, tuple[dict[str, Any], list[tuple[Any, Any]]]] = {}
        # Each account's `reviewed` as it was (a copy: the edit changes it in place).
        self._reviewed_before: dict[int, Any] = {}
        if not isinstance(self._data, dict):
            # Not a mapping the fast reader agrees with: ruamel reads it (and raises on
            # invalid YAML here, as it always did) and every edit goes through it.
            self._force_roundtrip = True
            self._data = self._loaded()
            return
        for index, account in _entries(self._data, "accounts"):
            access = account.get("access")
            if isinstance(access, list):
                grants = [(g, dict(g) if isinstance(g, dict) else g) for g in access]
                self._grants_before[index] = (dict(account), grants)
            reviewed = account.get("reviewed")
            self._reviewed_before[index] = (
                dict(reviewed) if isinstance(reviewed, dict) else reviewed
            )

    # -- edits ----------------------------------------------------------------------------
    def _apply(self, edit: Edit) -> Any:
        result, changed = edit(self._data)
        if self._doc is not None and self._doc is not self._data:
            edit(self._doc)
        self._edits.append((edit, changed))
        self._text = None
        return result

    def remove_grants(self, person_id: str) -> list[tuple[str, str]]:
        """Remove every grant of `person_id`; returns (account id, role) removed."""
        removed: list[tuple[str, str]] = self._apply(functools.partial(_remove_grants, person_id))
        return removed

    def remove_grant(self, account_id: str, person_id: str) -> str | None:
        """Remove `person_id`'s grant on one account; returns the role removed (None: none)."""
        role: str | None = self._apply(functools.partial(_remove_grant, account_id, person_id))
        return role

    def set_reviewed(self, account_id: str, on: dt.date, by: str) -> None:
        """Record on the account that its access was reviewed: `reviewed: {on, by}`."""
        self._apply(functools.partial(_set_reviewed, account_id, on, by))

    def add_grant(self, account_id: str, person_id: str, role: str) -> None:
        """Give `person_id` `role` on the account, or raise an existing grant to it."""
        self._apply(functools.partial(_add_grant, account_id, person_id, role))

    def put_grant(
        self,
        account_id: str,
        person_id: str,
        role: str,
        *,
        expires: dt.date | None,
        note: str | None,
    ) -> None:
        """Give `person_id` `role` on the account with its `expires` and `note` (replacing
        those of an existing grant)."""
        self._apply(functools.partial(_put_grant, account_id, person_id, role, expires, note))

    def set_trained(self, person_id: str, on: dt.date) -> None:
        """Record the person's policy training day: `trained_on`."""
        self._apply(functools.partial(_set_trained, person_id, on))

    def add_entry(self, section: str, entry: Mapping[str, Any]) -> None:
        """Append a new item (a person, an entity, an account) to a top-level list."""
        self._apply(functools.partial(_add_entry, section, dict(entry)))

    def set_departed(self, person_id: str, left_on: dt.date) -> None:
        self._apply(functools.partial(_set_departed, person_id, left_on))

    def set_departed_many(self, left_on: Mapping[str, dt.date]) -> None:
        """Mark each person of `left_on` departed on their date, in one pass over the people
        (one `set_departed` per person scans them all each time: minutes at 30,000 people).
        Ids not in the file are ignored: the caller takes them from the loaded inventory."""
        self._apply(functools.partial(_set_departed_many, dict(left_on)))

    def replace_head(self, entity_id: str, successor: str) -> None:
        self._apply(functools.partial(_replace_head, entity_id, successor))

    def replace_it(self, entity_id: str, person_id: str, successor: str | None) -> None:
        """Remove `person_id` from the entity's IT; add `successor` there unless they
        already head the entity or are IT."""
        self._apply(functools.partial(_replace_it, entity_id, person_id, successor))

    # -- output ---------------------------------------------------------------------------
    @property
    def doc(self) -> CommentedMap:
        """The whole document in ruamel's round-trip form, with the edits made so far.
        It may be changed directly: the text then comes from the round trip."""
        self._force_roundtrip = True
        self._text = None
        return self._loaded()

    def _loaded(self) -> CommentedMap:
        if self._doc is None:
            text = splice.line_ends(self._original)[0]
            doc = _yaml_for(text).load(text)
            for edit, _ in self._edits:
                edit(doc)
            self._doc = doc
        return self._doc

    def text(self) -> str:
        if self._text is None:
            new = None if self._force_roundtrip else self._splice()
            self.last_path = "roundtrip" if new is None else "splice"
            self._text = self._roundtrip() if new is None else new
        return self._text

    def checked_text(self) -> str:
        """The edited text, after checking that it reads back as the edited data: what
        `save` would write. Raises `UnsafeEdit` (nothing written) when it would not, so a
        caller can find out before it changes anything else."""
        new = self.text()
        if new == self._original:
            return new
        if self.last_path == "roundtrip" and self._checkable and not self._reads_back(new):
            # ruamel.yaml can emit text that is not the data it was given (e.g. an emptied
            # list after a comment becomes `key:   # c` + `[]` at column 0): never write it.
            raise UnsafeEdit(
                f"govern could not edit {self.path} safely: the edited file would not read "
                "back as intended; nothing was written",
                hint="make the change by hand (see `govern revoke --dry-run` for what it is), "
                "then run the same command again",
            )
        return new

    def save(self) -> bool:
        """Write the edits atomically; False when there was nothing to change."""
        new = self.checked_text()
        if new == self._original:
            return False
        current = hashlib.sha256(read_regular(self.path, limit=MAX_BYTES)).hexdigest()
        if current != self._digest:
            raise EditConflict(
                f"{self.path} changed while govern was editing it; nothing was written",
                hint="run the command again",
            )
        atomic_write_text(self.path, new)
        return True

    def _reads_back(self, text: str) -> bool:
        try:
            return bool(parse(str(self.path), text) == self._data)
        except InputError:
            return False

    def _roundtrip(self) -> str:
        out = io.StringIO()
        text, crlf = splice.line_ends(self._original)
        _yaml_for(text).dump(self._loaded(), out)
        return out.getvalue().replace("\n", "\r\n") if crlf else out.getvalue()

    def _splice(self) -> str | None:
        """The edited text by the splice, checked against the edited data; None when the
        splice does not apply (the round trip is used then)."""
        self.redumped = []
        try:
            text, crlf = splice.working_text(self._original)
            layout = splice.line_ends(self._original)[0]  # as the round trip would guess it
            work = splice.Splice(text, functools.partial(_yaml_for, layout))
            per_item: dict[Item, list[Edit]] = {}
            for edit, changed in self._edits:
                for item in changed:
                    per_item.setdefault(item, []).append(edit)
            redump = []
            for (section, index), edits in per_item.items():
                count = len(self._data[section])
                if not (section == "accounts" and self._grants_only(index, work, count)):
                    redump.append((section, index, count, edits))
            cost = sum(_span(work.item(s, i, n)) for s, i, n, _ in redump)
            if cost > max(_REDUMP_SHARE * len(text), _REDUMP_FLOOR):
                raise splice.Unsupported(f"{len(redump)} items to rewrite one by one")
            for section, index, count, edits in redump:
                work.redump(section, index, count, functools.partial(_replay, edits))
            new = work.result()
            if parse(str(self.path), new) != self._data:
                raise splice.Unsupported("the spliced text does not read as the edited data")
        except Exception as exc:  # any surprise: the round trip is the reference
            log.debug("inventory edit: whole-file round trip (%s: %s)", type(exc).__name__, exc)
            return None
        self.redumped = work.redumped
        return new.replace("\n", "\r\n") if crlf else new

    def _grants_only(self, index: int, work: splice.Splice, count: int) -> bool:
        """Whether account `index` changed only in its grants and its `reviewed`, and the
        splice wrote that."""
        before = self._grants_before.get(index)
        account = self._data["accounts"][index]
        if before is None or not before[0].keys() <= account.keys():
            return False
        if not account.keys() - before[0].keys() <= {"reviewed"}:
            return False
        if any(account[key] is not value for key, value in before[0].items() if key != "reviewed"):
            return False
        review_edit = None
        if account.get("reviewed") != self._reviewed_before.get(index):
            try:
                review_edit = work.reviewed(
                    index, count, account["reviewed"], existed="reviewed" in before[0]
                )
            except splice.Unsupported:
                return False
        if not work.access(index, count, before[1], account["access"]):
            return False
        if review_edit is not None:
            work.add(review_edit)
        return True


def _span(bounds: tuple[int, int]) -> int:
    return bounds[1] - bounds[0]


def _replay(edits: list[Edit], doc: Any) -> None:
    for edit in edits:
        edit(doc)


# -- the edits, on plain data and on ruamel's document alike --------------------------------
def _entries(doc: Any, section: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, item in enumerate(doc.get(section) or []):
        if isinstance(item, dict):
            yield index, item


def _remove_grants(person_id: str, doc: Any) -> tuple[list[tuple[str, str]], list[Item]]:
    doomed = []
    for index, account in _entries(doc, "accounts"):
        access = account.get("access")
        if isinstance(access, list):
            mine = [
                n
                for n, g in enumerate(access)
                if isinstance(g, dict) and g.get("person") == person_id
            ]
            if mine:
                doomed.append((index, account, access, mine))
    # Every id is read before anything is deleted: an edit that fails changes nothing.
    removed = [
        (str(account["id"]), str(access[n].get("role")))
        for _, account, access, mine in doomed
        for n in mine
    ]
    for _, _, access, mine in doomed:
        for n in reversed(mine):
            del access[n]
    return sorted(removed), [("accounts", index) for index, *_ in doomed]


def _remove_grant(account_id: str, person_id: str, doc: Any) -> tuple[str | None, list[Item]]:
    for index, account in _entries(doc, "accounts"):
        if account.get("id") != account_id:
            continue
        access = account.get("access")
        if not isinstance(access, list):
            return None, []
        for n, grant in enumerate(access):
            if isinstance(grant, dict) and grant.get("person") == person_id:
                role = str(grant.get("role"))
                del access[n]
                return role, [("accounts", index)]
        return None, []
    raise KeyError(account_id)


def _set_reviewed(account_id: str, on: dt.date, by: str, doc: Any) -> tuple[None, list[Item]]:
    day = dt.date(on.year, on.month, on.day)  # one object per edit: no YAML anchors
    for index, account in _entries(doc, "accounts"):
        if account.get("id") != account_id:
            continue
        current = account.get("reviewed")
        if isinstance(current, dict):
            current["on"] = day
            current["by"] = by
        else:
            pairs = [("on", day), ("by", by)]
            if isinstance(account, CommentedMap):
                value: Any = CommentedMap(pairs)
                value.fa.set_flow_style()
            else:
                value = dict(pairs)
            _put_in_order(account, "reviewed", value, _ACCOUNT_ORDER)
        return None, [("accounts", index)]
    raise KeyError(account_id)


def _add_grant(account_id: str, person_id: str, role: str, doc: Any) -> tuple[None, list[Item]]:
    roundtrip = isinstance(doc, CommentedMap)
    for index, account in _entries(doc, "accounts"):
        if account.get("id") != account_id:
            continue
        access = account.get("access")
        if not isinstance(access, list):
            access = CommentedSeq() if roundtrip else []
            account["access"] = access
        for grant in access:
            if isinstance(grant, dict) and grant.get("person") == person_id:
                grant["role"] = role
                return None, [("accounts", index)]
        pairs = [("person", person_id), ("role", role)]
        new = CommentedMap(pairs) if roundtrip else dict(pairs)
        # Match the style of the grants already there: one-line {person, role} or block.
        first = access[0] if access else None
        flow = isinstance(first, CommentedMap) and first.fa.flow_style()
        if flow and isinstance(new, CommentedMap):
            new.fa.set_flow_style()
        access.append(new)
        return None, [("accounts", index)]
    raise KeyError(account_id)


def _put_grant(
    account_id: str,
    person_id: str,
    role: str,
    expires: dt.date | None,
    note: str | None,
    doc: Any,
) -> tuple[None, list[Item]]:
    _, changed = _add_grant(account_id, person_id, role, doc)
    for _, account in _entries(doc, "accounts"):
        if account.get("id") != account_id:
            continue
        for grant in account["access"]:
            if isinstance(grant, dict) and grant.get("person") == person_id:
                for key, value in (("expires", _fresh(expires)), ("note", note)):
                    if value is not None:
                        grant[key] = value
                    elif key in grant:
                        del grant[key]
    return None, changed


def _set_trained(person_id: str, on: dt.date, doc: Any) -> tuple[None, list[Item]]:
    for index, person in _entries(doc, "people"):
        if person.get("id") == person_id:
            _put_in_order(person, "trained_on", _fresh(on), _PERSON_ORDER)
            return None, [("people", index)]
    raise KeyError(person_id)


def _fresh(day: dt.date | None) -> dt.date | None:
    # A date object of its own per edit: ruamel writes one object met twice as an anchor.
    return None if day is None else dt.date(day.year, day.month, day.day)


def _add_entry(section: str, entry: dict[str, Any], doc: Any) -> tuple[None, list[Item]]:
    items = doc.get(section)
    roundtrip = isinstance(doc, CommentedMap)
    if not isinstance(items, list):
        items = CommentedSeq() if roundtrip else []
        doc[section] = items
    new: dict[str, Any] = CommentedMap() if roundtrip else {}
    for key, value in entry.items():
        if isinstance(value, dict):
            nested: dict[str, Any] = CommentedMap(value) if roundtrip else dict(value)
            new[key] = nested
        elif isinstance(value, dt.date):
            new[key] = _fresh(value)
        else:
            new[key] = value
    if isinstance(new, CommentedMap) and items and isinstance(items[-1], CommentedMap) and new:
        # The blank lines and comments after the last item (ruamel keeps them on its last
        # key) introduce what follows the list: they go after the new item instead.
        last, key = items[-1], next(reversed(items[-1]))
        if key in last.ca.items:
            new.ca.items[next(reversed(new))] = last.ca.items.pop(key)
    items.append(new)
    return None, [(section, len(items) - 1)]


def _set_departed(person_id: str, left_on: dt.date, doc: Any) -> tuple[None, list[Item]]:
    for index, person in _entries(doc, "people"):
        if person.get("id") == person_id:
            _put_in_order(person, "status", "departed", _PERSON_ORDER)
            # A date object of its own: ruamel writes one object met twice as an anchor
            # and an alias (`&id001` / `*id001`).
            day = dt.date(left_on.year, left_on.month, left_on.day)
            _put_in_order(person, "left_on", day, _PERSON_ORDER)
            return None, [("people", index)]
    raise KeyError(person_id)


def _set_departed_many(left_on: dict[str, dt.date], doc: Any) -> tuple[None, list[Item]]:
    changed: list[Item] = []
    found: set[str] = set()
    for index, person in _entries(doc, "people"):
        person_id = person.get("id")
        if person_id in left_on and person_id not in found:
            found.add(person_id)
            _set_departed(person_id, left_on[person_id], {"people": [person]})
            changed.append(("people", index))
    # No KeyError for the others: the splice replays this edit on one person's text at a time.
    return None, changed


def _replace_head(entity_id: str, successor: str, doc: Any) -> tuple[None, list[Item]]:
    for index, entity in _entries(doc, "entities"):
        if entity.get("id") == entity_id:
            entity["head"] = successor
            return None, [("entities", index)]
    raise KeyError(entity_id)


def _replace_it(
    entity_id: str, person_id: str, successor: str | None, doc: Any
) -> tuple[None, list[Item]]:
    for index, entity in _entries(doc, "entities"):
        if entity.get("id") != entity_id:
            continue
        it = entity.get("it")
        if not isinstance(it, list):
            return None, []
        members = list(it)
        if person_id in members:
            n = members.index(person_id)
            if successor and successor not in members and successor != entity.get("head"):
                it[n] = successor
            else:
                del it[n]
        if not it:
            del entity["it"]
        return None, [("entities", index)] if it != members or not it else []
    raise KeyError(entity_id)


def _put_in_order(mapping: dict[str, Any], key: str, value: Any, order: tuple[str, ...]) -> None:
    if key in mapping or not isinstance(mapping, CommentedMap):
        mapping[key] = value
        return
    rank = order.index(key)
    position = len(mapping)
    for index, existing in enumerate(mapping):
        if existing in order and order.index(existing) > rank:
            position = index
            break
    mapping.insert(position, key, value)


# -- ruamel's settings, guessed from the text -----------------------------------------------
def _yaml_for(text: str) -> YAML:
    """A round-trip YAML instance laid out like `text`. Guessed from the text, not by a
    second parse (ruamel's round-trip loader is pure Python and slow)."""
    sequence, offset = _sequence_indent(text)
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    yaml.indent(mapping=_mapping_indent(text), sequence=sequence, offset=offset)
    return yaml


_NESTED_MAPPING = re.compile(
    r"^[^\s#-][^\n]*:[ \t]*\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*([ \t]+)[^\s#-]", re.M
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
