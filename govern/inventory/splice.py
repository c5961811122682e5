"""Write an edited inventory by changing the text of the edited items only.

The editor (edit.py) applies every edit to the plain data of the file; this module turns
the difference into text edits of the original, item by item:

- an account whose grants were removed, raised or added, in a clean block `access:` list
  (no comment or blank line between its grants), gets whole lines deleted, one scalar
  replaced, and new lines laid out like the grants already there;
- any other edited item (a person, an entity, an account in another shape) is rewritten
  by ruamel.yaml on its own: the item's text with a one-line section header, loaded,
  edited with the same code and dumped with the settings the whole file would get, so it
  comes out as the whole-file round trip would write it.

Nothing here decides that the result is right: the editor parses it and compares it with
the expected data, and falls back to the whole-file round trip when they differ.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Callable
from typing import Any

from ruamel.yaml import YAML

from govern.inventory.source import anchors_and_aliases, block_sequence, section_spans


class Unsupported(Exception):
    """The text or the edit is outside what the splice handles: use the round trip."""


_TAB_INDENT = re.compile(r"^ *\t", re.M)
# One blank or comment-only line (text from its start).
_NOISE = re.compile(r"[ \t]*(?:#|\n)")
_NOISE_LINE = re.compile(r"^[ \t]*(?:#|\n)", re.M)
# The dash of a block mapping item with its first key on the same line: the key's column.
_MAPPING_ITEM = re.compile(r" *-[ ]+(?=[^\s{\[#'\"&*!|>%@`-])")
_GRANT_HEAD = re.compile(r"( *-[ ]+)(\{)?")
_FLOW_ONE_LINER = re.compile(r" *-[ ]+\{[^\n]*\}[ \t]*\n")
_SCALAR = r"""(?:'[^'\n]*'|"[^"\\\n]*"|[^\s,{}\[\]#'"][^,{}\[\]#\n]*?)"""
_FLOW_ROLE = re.compile(rf"([{{,][ \t]*role:[ \t]+)({_SCALAR})(?=[ \t]*[,}}])")
_BLOCK_ROLE = re.compile(rf"^( *(?:-[ ]+)?)role:[ \t]+({_SCALAR})(?=[ \t]*\n)", re.M)
# Values the splice writes itself must come out as the same plain scalar ruamel would
# write: lowercase ids, minus the words some YAML version reads as booleans or null.
_PLAIN = re.compile(r"[a-z][a-z0-9._-]*")
_NOT_PLAIN = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
_SENTINEL = "_govern_splice_end_"
# The last line of a snippet ruamel dumped: the sentinel item or key.
_SENTINEL_LINE = re.compile(rf"^(?: *- +{_SENTINEL}|{_SENTINEL}: 0)\n\Z", re.M)


def line_ends(text: str) -> tuple[str, bool]:
    """(`text` with LF line ends, True) when it uses CRLF throughout, else (`text`, False).
    ruamel keeps the CR of CRLF in comments and loses blank lines: it gets LF, and the
    file its CRLF back when written."""
    if "\r\n" in text and text.count("\n") == text.count("\r\n"):
        return text.replace("\r\n", "\n"), True
    return text, False


def working_text(original: str) -> tuple[str, bool]:
    """The text the splice edits (LF line ends, a final newline) and whether the file
    uses CRLF line ends. Raises `Unsupported` for what it leaves to the round trip."""
    if original.startswith("\ufeff"):
        raise Unsupported("byte order mark")
    text, crlf = line_ends(original)
    if "\r" in text:
        raise Unsupported("mixed line ends")
    if _TAB_INDENT.search(text):
        raise Unsupported("tab in indentation")
    if any(anchors_and_aliases(text)):
        raise Unsupported("anchors or aliases")
    if text and not text.endswith("\n"):
        text += "\n"  # ruamel ends the file with one too
    return text, crlf


@functools.lru_cache(maxsize=16)
def _access_key(column: int) -> re.Pattern[str]:
    """The line of an account's `access:` key, the account's keys being at `column`."""
    return re.compile(rf"^ {{{column}}}access:[ \t]*(?:#[^\n]*)?\n", re.M)


def plain(value: object) -> str:
    """`value` as the plain scalar ruamel would write; raises `Unsupported` otherwise."""
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value not in _NOT_PLAIN:
        return value
    raise Unsupported(f"value {value!r} may need quoting")


class Splice:
    """Text edits of one inventory text, item by item, applied all at once by `result`."""

    def __init__(self, text: str, yaml: Callable[[], YAML]) -> None:
        self.text = text
        self._yaml = yaml
        self._yaml_instance: YAML | None = None
        self._sections = section_spans(text)
        self._items: dict[str, tuple[list[int], int]] = {}
        self._edits: list[tuple[int, int, str]] = []
        self.redumped: list[str] = []  # "section[index]" of each item ruamel rewrote

    # -- where things are -------------------------------------------------------------------
    def item(self, section: str, index: int, count: int) -> tuple[int, int]:
        """Offsets of the text of item `index` of the top-level block sequence `section`
        (which has `count` items): from its dash line to the next item's, comments and
        blank lines after it included, as ruamel attaches them to the item."""
        if section not in self._items:
            span = self._sections.get(section)
            found = block_sequence(self.text, span[0], span[1]) if span else None
            if span is None or found is None or len(found[0]) != count or found[1] != span[1]:
                raise Unsupported(f"{section} is not a block sequence the splice can follow")
            self._items[section] = found
        starts, end = self._items[section]
        return starts[index], starts[index + 1] if index + 1 < len(starts) else end

    # -- edits ------------------------------------------------------------------------------
    def redump(self, section: str, index: int, count: int, edit: Callable[[Any], object]) -> None:
        """Rewrite one item with ruamel: its text under a `section:` header, followed by
        what follows it in the file (another item, another key or the end) so comments
        attach as in the whole file, loaded, edited by `edit`, dumped."""
        start, end = self.item(section, index, count)
        if index + 1 < count:
            body = self.text[start:end]
            sentinel = f"{' ' * (len(body) - len(body.lstrip(' ')))}- {_SENTINEL}\n"
        else:
            sentinel = "" if end == len(self.text) else f"{_SENTINEL}: 0\n"
        head = f"{section}:\n"
        if self._yaml_instance is None:
            self._yaml_instance = self._yaml()
        yaml = self._yaml_instance
        doc = yaml.load(head + self.text[start:end] + sentinel)
        edit(doc)
        out = io.StringIO()
        yaml.dump(doc, out)
        new = out.getvalue()
        # ruamel lays the sentinel item out as the file's items (`- x`, `-   x`).
        tail = _SENTINEL_LINE.search(new) if sentinel else None
        cut = tail.start() if tail else len(new)
        if not new.startswith(head) or (sentinel and tail is None):
            raise Unsupported(f"{section}[{index}] did not come back from ruamel in one piece")
        self._edits.append((start, end, new[len(head) : cut]))
        self.redumped.append(f"{section}[{index}]")

    def access(
        self, index: int, count: int, before: list[tuple[Any, Any]], after: list[Any]
    ) -> bool:
        """Text edits for account `index` whose `access` list went from `before` (each
        grant object with a copy of it as it was) to `after` (the same list, edited in
        place: grants deleted, raised, appended). False when the account's text is not in
        the shape handled here; nothing is recorded then."""
        start, end = self.item("accounts", index, count)
        try:
            edits = self._access_edits(start, end, before, after)
        except Unsupported:
            return False
        self._edits.extend(edits)
        return True

    def _access_edits(
        self, start: int, end: int, before: list[tuple[Any, Any]], after: list[Any]
    ) -> list[tuple[int, int, str]]:
        text = self.text
        head = _MAPPING_ITEM.match(text, start)
        line = _access_key(head.end() - start).search(text, start, end) if head else None
        found = block_sequence(text, line.start(), end) if line else None
        if found is None or len(found[0]) != len(before):
            raise Unsupported("no block access list with those grants")
        dashes, seq_end = found
        content_end = seq_end  # the trailing comments and blank lines belong to the last grant
        while content_end > dashes[-1]:
            line_start = text.rfind("\n", 0, content_end - 1) + 1
            if not _NOISE.match(text, line_start):
                break
            content_end = line_start
        if _NOISE_LINE.search(text, dashes[0], content_end):
            raise Unsupported("comment or blank line between grants")
        bounds = [*dashes[1:], content_end]

        position = {id(grant): n for n, (grant, _) in enumerate(before)}
        kept: list[int] = []
        appended: list[Any] = []
        for grant in after:
            n = position.get(id(grant))
            if n is None:
                appended.append(grant)
            elif appended or (kept and n <= kept[-1]):
                raise Unsupported("grants reordered")
            else:
                kept.append(n)
        if not kept:
            raise Unsupported("every grant removed")  # ruamel writes `access: []`
        if content_end != seq_end and (kept[-1] != len(before) - 1 or appended):
            raise Unsupported("comments after the last grant, which ruamel moves with it")

        edits = []
        for n, (grant, was) in enumerate(before):
            if n not in kept:
                edits.append((dashes[n], bounds[n], ""))
            elif grant != was:
                edits.append(self._raised(dashes[n], bounds[n], grant, was))
        if appended:
            edits.append((content_end, content_end, self._new_grants(dashes, appended)))
        return edits

    def _raised(self, start: int, end: int, grant: Any, was: Any) -> tuple[int, int, str]:
        """The edit replacing the role of a grant that was raised in place."""
        if not (isinstance(grant, dict) and isinstance(was, dict)) or list(grant) != list(was):
            raise Unsupported("grant changed beyond its role")
        if any(grant[k] != was[k] for k in grant if k != "role"):
            raise Unsupported("grant changed beyond its role")
        item = self.text[start:end]
        if "#" in item:  # ruamel moves an end-of-line comment to keep its column
            raise Unsupported("comment on a raised grant")
        if _FLOW_ONE_LINER.fullmatch(item):
            matches = list(_FLOW_ROLE.finditer(item))
        else:  # a block mapping: `role:` at the column of its first key
            head = _MAPPING_ITEM.match(item)
            column = head.end() if head else -1
            matches = [m for m in _BLOCK_ROLE.finditer(item) if len(m.group(1)) == column]
        if len(matches) != 1:
            raise Unsupported("role not found in the grant's text")
        role = matches[0]
        return start + role.start(2), start + role.end(2), plain(grant["role"])

    def add(self, edit: tuple[int, int, str]) -> None:
        self._edits.append(edit)

    def reviewed(
        self, index: int, count: int, reviewed: Any, existed: bool
    ) -> tuple[int, int, str]:
        """The edit (recorded by `add`) that sets account `index`'s `reviewed: {on, by}`:
        its one-line flow mapping replaced, or a new line before `tags:` (the format's
        order) or after the account's last line."""
        if not (isinstance(reviewed, dict) and list(reviewed) == ["on", "by"]):
            raise Unsupported("reviewed with other fields")
        day = reviewed["on"]
        if not isinstance(day, dt.date):
            raise Unsupported("reviewed.on is not a date")
        start, end = self.item("accounts", index, count)
        head = _MAPPING_ITEM.match(self.text, start)
        if head is None:
            raise Unsupported("account is not a block mapping")
        column = " " * (head.end() - start)
        line = f"{column}reviewed: {{on: {day.isoformat()}, by: {plain(reviewed['by'])}}}\n"
        if existed:
            found = re.compile(rf"^{column}reviewed:[ \t]*\{{[^\n#{{}}]*\}}[ \t]*\n", re.M)
            match = found.search(self.text, start, end)
            if match is None:
                raise Unsupported("reviewed is not a one-line flow mapping")
            return match.start(), match.end(), line
        tags = re.compile(rf"^{column}tags:", re.M).search(self.text, start, end)
        at = tags.start() if tags else end
        while tags is None and at > start:  # before the comments and blank lines after it
            line_start = self.text.rfind("\n", 0, at - 1) + 1
            if not _NOISE.match(self.text, line_start):
                break
            at = line_start
        if at <= start or self.text[at - 1] != "\n":
            raise Unsupported("no line end to add reviewed after")
        return at, at, line

    def _new_grants(self, dashes: list[int], grants: list[Any]) -> str:
        """Text of appended grants, laid out like the grants already there (all of one
        style: ruamel gives a new grant the style of the first one)."""
        heads = [_GRANT_HEAD.match(self.text, dash) for dash in dashes]
        styles = {head.group(2) if head else "?" for head in heads}
        if len(styles) != 1 or "?" in styles:
            raise Unsupported("grants of mixed or unusual layout")
        flow = styles == {"{"}
        if not flow and any(_MAPPING_ITEM.match(self.text, dash) is None for dash in dashes):
            raise Unsupported("grants of unusual layout")
        prefix = heads[-1].group(1)  # type: ignore[union-attr]
        lines = []
        for grant in grants:
            if not isinstance(grant, dict) or list(grant) != ["person", "role"]:
                raise Unsupported("new grant with other fields")
            person, role = plain(grant["person"]), plain(grant["role"])
            if flow:
                lines.append(f"{prefix}{{person: {person}, role: {role}}}\n")
            else:
                lines.append(f"{prefix}person: {person}\n{' ' * len(prefix)}role: {role}\n")
        return "".join(lines)

    # -- result -----------------------------------------------------------------------------
    def result(self) -> str:
        pieces = []
        at = 0
        for start, end, new in sorted(self._edits, key=lambda edit: (edit[0], edit[1])):
            if start < at:
                raise Unsupported("overlapping edits")
            pieces += [self.text[at:start], new]
            at = end
        pieces.append(self.text[at:])
        return "".join(pieces)
