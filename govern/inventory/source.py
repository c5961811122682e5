"""Reading YAML files: a fast path for data, and source positions computed only on demand.

The data comes from `yaml_rs` (Rust; YAML 1.2 scalars, duplicate keys rejected, alias
expansion bounded). Positions are needed only for the few nodes a finding or an error points
at, so nothing is recorded while loading: `SourceMap.locate()` finds the text of the one
top-level list item a pointer starts in, composes just that snippet with libyaml, and walks
it. If the file is not in plain block style the whole document is composed once instead.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import accumulate, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from govern.errors import InputError, Problem
from govern.findings import Location, Pointer, located
from govern.fsutil import read_regular
from govern.inventory.yamltext import MAX_BYTES, anchors_and_aliases, loads, without_bom


class _PyYAML:
    """PyYAML, imported on first use: it serves positions and error diagnosis only, never
    the data, so a valid inventory loads without it (importing it is some 40 ms, a tenth of
    `govern validate`'s start). An `import` statement per use keeps this thread-safe."""

    def __getattr__(self, name: str) -> Any:
        import yaml as module

        return getattr(module, name)


if TYPE_CHECKING:
    import yaml
else:
    yaml = _PyYAML()


@functools.cache
def _composer() -> type[Any]:
    """libyaml composer without implicit tag resolution: positions need no typed scalars."""
    base: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # Class-level by PyYAML design.
    return type("_Composer", (base,), {"yaml_implicit_resolvers": {}})


# "\r?" everywhere: files saved on Windows (CRLF) keep the fast path.
_TOP_KEY = re.compile(r"^([^\s#:'\"-][^:#]*?|'[^']*'|\"[^\"]*\")[ \t]*:(?:[ \t\r]|$)", re.M)
# Where a top-level key may start: the start of the text, and every line that starts with
# a character a key can start with (searched from the newline: see `block_sequence`).
_TOP_CANDIDATE = re.compile(r"\n[^\s#:-]")
_FIRST_DASH = re.compile(r"^([ \t]*)-(?:[ \t\r]|$)", re.M)
# A top-level key whose value is a block sequence: nothing but comments and blank lines
# between the key and the first item's dash (else a dash may be inside a flow scalar).
_BLOCK_START = re.compile(r"[^\n#]*:[ \t]*(?:#[^\n]*)?\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*")
_YAMLRS_POS = re.compile(r"at line (\d+), column (\d+)")
# Total size of what aliases may expand to: the event bound above does not limit bytes (one
# alias of a 1 MB scalar is one event), and yaml_rs copies the value for every alias.
MAX_ALIAS_BYTES = 16 * 1024 * 1024
_BOMB = "too many alias expansions (possible 'billion laughs' document)"
_BOMB_HINT = "remove YAML anchors and aliases (&, *)"


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint, or None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def read_text(path: Path) -> str:
    """Read a UTF-8 file, turning every OS or encoding failure into an `InputError`."""
    shown = str(path)
    try:
        raw = read_regular(path, limit=MAX_BYTES)
    except FileNotFoundError:
        raise InputError(
            [
                Problem(
                    shown,
                    1,
                    1,
                    "file not found",
                    "pass the path with --inventory, or run `govern init` to create one",
                )
            ]
        ) from None
    except OSError as exc:
        raise InputError([Problem(shown, 1, 1, f"cannot read file: {exc.strerror}")]) from None
    return decode_utf8(raw, shown, show_byte=True)


def decode_utf8(
    raw: bytes, shown: str, *, show_byte: bool, hint: str = "save the file as UTF-8"
) -> str:
    """`raw` as UTF-8, or an `InputError` at the first bad byte. `show_byte=False` for a
    file that may hold secrets (the byte may be part of one)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        what = f" (byte 0x{raw[exc.start]:02x})" if show_byte else ""
        raise InputError([Problem(shown, line, column, f"not valid UTF-8{what}", hint)]) from None


def parse(path: str, text: str) -> Any:
    """Parse YAML text into plain Python data, or raise `InputError` with positions."""
    import yaml_rs

    text = without_bom(text)
    bomb = _alias_bomb(text)
    if bomb is not None:
        raise InputError([Problem(path, bomb[0], bomb[1], _BOMB, _BOMB_HINT)])
    try:
        return loads(text)
    except yaml_rs.YAMLDecodeError as exc:
        raise InputError(_diagnose(path, text, str(exc))) from None
    except (RecursionError, OverflowError, ValueError) as exc:
        raise InputError(
            [Problem(path, 1, 1, f"cannot parse YAML: {type(exc).__name__}")]
        ) from None


def _diagnose(path: str, text: str, message: str) -> list[Problem]:
    """Positions for a parse failure: from yaml_rs when it has them, else from libyaml."""
    first_line = message.strip().splitlines()[-1] if message.strip() else "invalid YAML"
    match = _YAMLRS_POS.search(message)
    if match:
        line, column = int(match[1]), int(match[2])
        tab = _tab_indent(text, line) if "tab" in first_line else None
        if tab is not None:
            return [
                Problem(
                    path,
                    *tab,
                    f"YAML syntax error: {first_line}",
                    "indent with spaces; YAML does not allow tabs in indentation",
                )
            ]
        return [
            Problem(path, line, column, f"YAML syntax error: {first_line}", _context_hint(text))
        ]
    problems = list(_duplicate_keys(path, text))
    if problems:
        return problems
    if "alias" in message:
        line, column = _first_alias(text)
        return [Problem(path, line, column, _BOMB, _BOMB_HINT)]
    return [Problem(path, 1, 1, f"invalid YAML: {message.splitlines()[0]}")]


def _alias_bomb(text: str) -> tuple[int, int] | None:
    """Position of the alias at which expansion passes MAX_ALIAS_BYTES, if one does.
    Only documents that seem to use anchors and aliases are scanned (libyaml events)."""
    if not all(anchors_and_aliases(text)):
        return None
    sizes: dict[str, int] = {}
    open_: list[list[Any]] = []  # [anchor, expanded size so far] of each open collection
    total = 0
    try:
        for event in yaml.parse(text, Loader=_composer()):
            if isinstance(event, yaml.AliasEvent):
                size = sizes.get(event.anchor or "", 0)
                total += size
                if total > MAX_ALIAS_BYTES:
                    mark = event.start_mark
                    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            elif isinstance(event, yaml.ScalarEvent):
                size = len(event.value) + 1
                if event.anchor:
                    sizes[event.anchor] = size
            elif isinstance(event, yaml.CollectionStartEvent):
                open_.append([event.anchor, 1])
                continue
            elif isinstance(event, yaml.CollectionEndEvent) and open_:
                anchor, size = open_.pop()
                if anchor:
                    sizes[anchor] = size
            else:
                continue
            if open_:
                open_[-1][1] += size
    except yaml.YAMLError:
        return None  # yaml_rs reports the syntax error
    return None


def _tab_indent(text: str, line: int) -> tuple[int, int] | None:
    """The tab in the indentation of `line` or the next one (yaml_rs reports a tab
    error at the scalar before it)."""
    lines = text.split("\n", line + 1)[line - 1 : line + 1]
    for offset, content in enumerate(lines):
        indent = re.match(r"[ ]*\t", content)
        if indent:
            return line + offset, indent.end()
    return None


def _context_hint(text: str) -> str | None:
    """Where the construct a syntax error belongs to starts (e.g. an unclosed '['), per
    libyaml: yaml_rs reports only where it noticed the problem."""
    try:
        for _ in yaml.parse(text, Loader=_composer()):
            pass
    except yaml.MarkedYAMLError as exc:
        mark, context = exc.context_mark, exc.context
        if mark is not None and context:
            what = re.sub(r"^while (?:parsing|scanning) (?:an? )?", "", context)
            return f"check the {what} that starts at line {mark.line + 1}, column {mark.column + 1}"
    except yaml.YAMLError:
        pass
    return None


def _compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=_composer())


def _duplicate_keys(path: str, text: str) -> Iterator[Problem]:
    try:
        root = _compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            yield Problem(path, mark.line + 1, mark.column + 1, f"YAML syntax error: {exc}")
        return
    seen_nodes: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, yaml.Node] = {}
            for key, value in node.value:
                name = str(key.value)
                if name in first:
                    line = first[name].start_mark.line + 1
                    yield Problem(
                        path,
                        key.start_mark.line + 1,
                        key.start_mark.column + 1,
                        f"duplicate key '{name}'",
                        f"first defined at line {line}; YAML keeps only one of them",
                    )
                else:
                    first[name] = key
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _first_alias(text: str) -> tuple[int, int]:
    try:
        for token in yaml.scan(text, Loader=_composer()):
            if isinstance(token, yaml.AliasToken):
                return token.start_mark.line + 1, token.start_mark.column + 1
    except yaml.YAMLError:
        pass
    return 1, 1


class SourceMap:
    """Maps pointers into one YAML file to 1-based line and column, lazily and cheaply."""

    def __init__(self, path: str, text: str, data: Any) -> None:
        self.path = path
        self._text = text
        self._data = data
        self._sections: dict[str, tuple[int, int, int]] | None = None
        self._items: dict[str, list[tuple[int, int]] | None] = {}
        self._whole: yaml.Node | bool | None = False  # False: not composed yet

    # -- public -------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self._text

    def locate(self, pointer: Pointer, *, key: bool = False) -> Location:
        """Line and column of the node at `pointer` (its key with `key=True`). Missing
        nodes resolve to their deepest existing ancestor."""
        try:
            node_mark = self._locate(pointer, key)
        except (yaml.YAMLError, RecursionError):
            node_mark = None
        if node_mark is None:
            return located(self.path, 1, 1)
        return located(self.path, node_mark[0], node_mark[1])

    # -- internals ----------------------------------------------------------------------
    def _section_spans(self) -> dict[str, tuple[int, int, int]]:
        """Top-level key -> (start offset, end offset, 0-based start line)."""
        if self._sections is None:
            known = _known_spans(self._text, self._data)
            self._sections = section_spans(self._text) if known is None else known
        return self._sections

    def _item_starts(self, section: str) -> list[tuple[int, int]] | None:
        """(offset, 0-based line) of each item of a top-level block sequence, when the
        text agrees with the data on how many items there are; None otherwise."""
        if section in self._items:
            return self._items[section]
        result: list[tuple[int, int]] | None = None
        span = self._section_spans().get(section)
        values = self._data.get(section) if isinstance(self._data, dict) else None
        if span is not None and isinstance(values, list):
            start, end, line = span
            items = _block_items(self._text, start, end)
            found = (items, end) if items is not None else block_sequence(self._text, start, end)
            if found is not None and len(found[0]) != len(values) and items is not None:
                found = block_sequence(self._text, start, end)  # unsure: the full check
            if found is not None and len(found[0]) == len(values):
                offsets = found[0]
                # Each item's line: the newlines before it, counted piece by piece in C.
                counts = map(self._text.count, repeat("\n"), [start, *offsets[:-1]], offsets)
                lines = accumulate(counts, initial=line)
                next(lines)  # the key's own line
                result = list(zip(offsets, lines, strict=True))
            elif found is None and not values:
                result = []
        self._items[section] = result
        return result

    def _locate(self, pointer: Pointer, key: bool) -> tuple[int, int] | None:
        if not pointer:
            return (1, 1)
        section = pointer[0]
        if isinstance(section, str) and len(pointer) >= 2 and isinstance(pointer[1], int):
            items = self._item_starts(section)
            index = pointer[1]
            if items is not None and 0 <= index < len(items):
                offset, line = items[index]
                end = (
                    items[index + 1][0]
                    if index + 1 < len(items)
                    else (self._section_spans()[section][1])
                )
                # Most findings point at the item itself or a key on its dash line (`- id:`):
                # that line alone answers, without splitting the whole item.
                first_end = self._text.find("\n", offset, end)
                fast = _scan_dash_line(
                    self._text[offset : end if first_end < 0 else first_end], pointer[2:], key
                )
                if fast is None:
                    fast = _scan_entry(
                        self._text, offset, end, pointer[2:], key, self._data[section][index]
                    )
                if fast is None:
                    fast = _scan(self._text[offset:end], pointer[2:], key)
                if fast is not None:
                    return (fast[0] + line + 1, fast[1] + 1)
                root = self._item_node(offset, end)
                if isinstance(root, yaml.SequenceNode) and len(root.value) == 1:
                    mark = _walk(root.value[0], pointer[2:], key)
                    if mark is not None:
                        return (mark[0] + line + 1, mark[1] + 1)
        elif isinstance(section, str) and (len(pointer) == 1 or isinstance(pointer[1], str)):
            # A key of a top-level block mapping (a policy file's `rules:`): its lines.
            span = self._section_spans().get(section)
            if span is not None:
                start, end, line = span
                lines = self._text[start:end].split("\n")
                if _PLAIN_KEY.match(lines[0]):
                    fast = _follow(lines, (0, 0), pointer, key)
                    if fast is not None:
                        return (fast[0] + line + 1, fast[1] + 1)
        whole = self._whole_document()
        if whole is None:
            return None
        mark = _walk(whole, pointer, key)
        return None if mark is None else (mark[0] + 1, mark[1] + 1)

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one map per file, freed with it
    def _item_node(self, start: int, end: int) -> yaml.Node | None:
        """The composed text of one list item; findings cluster on items, so recent ones
        are kept."""
        try:
            return _compose(self._text[start:end])
        except yaml.YAMLError:
            return None

    def _whole_document(self) -> yaml.Node | None:
        if self._whole is False:
            try:
                self._whole = _compose(self._text)
            except yaml.YAMLError:
                self._whole = None
        return self._whole if isinstance(self._whole, yaml.Node) else None


def section_spans(text: str) -> dict[str, tuple[int, int, int]]:
    """Top-level key -> (start offset, end offset, 0-based start line) of its first
    occurrence: the text from the key to the next top-level key."""
    heads: list[tuple[int, int, str]] = []
    line, previous, after = 0, 0, 0
    for start in _line_starts(text, _TOP_CANDIDATE):
        if start < after:  # inside the previous key (a key may span lines)
            continue
        match = _TOP_KEY.match(text, start)
        if match is None:
            continue
        after = match.end()
        line += text.count("\n", previous, start)
        previous = start
        heads.append((start, line, match.group(1).strip("'\"")))
    spans: dict[str, tuple[int, int, int]] = {}
    for n, (offset, first_line, name) in enumerate(heads):
        end = heads[n + 1][0] if n + 1 < len(heads) else len(text)
        spans.setdefault(name, (offset, end, first_line))
    return spans


def _known_spans(text: str, data: Any) -> dict[str, tuple[int, int, int]] | None:
    """`section_spans` for the top-level keys the data has, each found by a plain text
    search for its line (`key:` at the start of a line), in the data's order; None when a
    key is not a plain one or is not found so (the scan over every line decides). The file
    is 9 MB at 10,000 accounts: the search runs in C, the scan tries every line."""
    if not isinstance(data, dict) or not data:
        return None
    heads: list[tuple[int, str]] = []
    at = 0
    for name in data:
        if type(name) is not str or not _PLAIN_TOP.fullmatch(name):
            return None
        if at == 0 and text.startswith(name + ":"):
            found = 0
        else:
            found = text.find("\n" + name + ":", at) + 1
            if found == 0:
                return None
        match = _TOP_KEY.match(text, found)
        if match is None:  # `name:x`, not a key
            return None
        heads.append((found, name))
        at = match.end()
    spans: dict[str, tuple[int, int, int]] = {}
    line = previous = 0
    for n, (offset, name) in enumerate(heads):
        line += text.count("\n", previous, offset)
        previous = offset
        end = heads[n + 1][0] if n + 1 < len(heads) else len(text)
        spans[name] = (offset, end, line)
    return spans


_PLAIN_TOP = re.compile(r"[A-Za-z_][\w.-]*")


def _block_items(text: str, start: int, end: int) -> list[int] | None:
    """`block_sequence`'s item offsets for the value of the top-level key at `start`, its
    section ending at `end` (the next top-level key): the lines that start with the first
    item's dash, found by a plain text search. Inside a top-level section every line of a
    valid file belongs to the sequence, so the end is not searched for; the caller checks
    the count against the data, and None (a dash followed by something else) sends it to
    `block_sequence`."""
    first = _FIRST_DASH.search(text, start, end)
    if first is None or not _BLOCK_START.fullmatch(text, start, first.start()):
        return None
    needle = "\n" + first.group(1) + "-"
    items = [first.start()]
    at = text.find(needle, first.start(), end)
    while at >= 0:
        after = at + len(needle)
        if after < len(text) and text[after] not in " \t\r\n":
            return None
        items.append(at + 1)
        at = text.find(needle, after, end)
    return items


def _line_starts(text: str, candidate: re.Pattern[str]) -> Iterator[int]:
    """0 and the start of every line whose newline and first character match `candidate`."""
    yield 0
    for match in candidate.finditer(text):
        yield match.start() + 1


def block_sequence(text: str, start: int, end: int) -> tuple[list[int], int] | None:
    """The block sequence that is the value of the key whose line starts at `start`: the
    offset of each item's first line, and where the sequence ends (the first line before
    `end` that is neither blank, a comment, an item's dash nor indented deeper than it).
    None when the value is not a block sequence (a flow sequence, a scalar, a mapping).
    Nothing is parsed: callers check the result against the data."""
    first = _FIRST_DASH.search(text, start, end)
    if first is None or not _BLOCK_START.fullmatch(text, start, first.start()):
        return None
    dash, outside = _sequence_lines(first.group(1))
    after_first = text.find("\n", first.start(), end)
    # Both patterns start with the newline before the line they look at (a literal prefix
    # the regex engine searches fast; `^` in MULTILINE mode is tried at every character).
    stop = outside.search(text, after_first, end) if after_first >= 0 else None
    seq_end = stop.start() + 1 if stop is not None else end
    items = [first.start()]
    items.extend(match.start() + 1 for match in dash.finditer(text, first.start(), seq_end))
    return items, seq_end


@functools.lru_cache(maxsize=32)
def _sequence_lines(indent: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """For items whose dash is after `indent`: (an item's first line, a line that ends
    the sequence: not blank, not a comment, not an item's, not indented deeper)."""
    at = re.escape(indent)
    return (
        re.compile(rf"\n{at}-(?:[ \t\r]|$)", re.M),
        re.compile(rf"\n(?!{at}-(?:[ \t\r]|$)|{at}[ \t]|[ \t]*(?:#|\r?$))", re.M),
    )


# --- positions without composing: plain block style only -----------------------------------
# The common case (an item of `accounts:` in block style, plain keys) is found by scanning
# lines; anything else (flow or quoted keys, anchors, tags, block scalars, tabs, a key not
# found) returns None and the caller composes the item with libyaml instead. The scanner
# agrees with `_walk` over composed nodes (tests/inventory/test_positions_scan.py).
_PLAIN_KEY = re.compile(r"([A-Za-z_][\w.-]*):(?: +|$)")
_NOT_PLAIN = frozenset("{[&!*|>'\"%@`?#")


def _dash_line(line: str) -> tuple[str, int, re.Match[str]] | None:
    """An item's first line (`- key: ...`): (the line, the key's column, the key's match);
    None when it is not a dash followed by a plain key."""
    first = line.rstrip("\r")
    stripped = first.lstrip(" ")
    if not stripped.startswith("- "):
        return None
    content = stripped[2:].lstrip(" ")
    match = _PLAIN_KEY.match(content)
    return None if match is None else (first, len(first) - len(content), match)


def _scan_dash_line(first: str, pointer: Pointer, key: bool) -> tuple[int, int] | None:
    """`_scan` for a pointer answered by the item's first line (`- key: value`): the item
    itself, or a key on that line (its plain value); None for anything else."""
    match = _ITEM_KEY.match(first) if len(pointer) <= 1 else None  # as `_dash_line` reads it
    if match is None:
        return None
    column = match.start(1)
    if not pointer:
        return (0, column)
    if match[1] != pointer[0]:
        return None
    if key:
        return (0, column)
    at = _plain_value(first.rstrip("\r"), column + len(match[1]) + 1)
    return None if at is None else (0, at)


def _plain_value(line: str, after: int) -> int | None:
    """The column of the plain scalar that follows a key's colon at `after` in `line` (no
    trailing CR); None for a nested value, a comment or a value that is not plain (the full
    scan decides)."""
    value = line[after:].lstrip(" ")
    if not value or value.startswith("#") or value[0] in _NOT_PLAIN:
        return None
    return len(line) - len(value)


def _scan_entry(
    text: str, start: int, end: int, pointer: Pointer, key: bool, item: Any
) -> tuple[int, int] | None:
    """`_scan` for an entry of a block sequence that is the value of one of the item's keys,
    or for a key of that entry (`("access", 3)`, `("access", 3, "role")`), the item being
    `text[start:end]`. Searches with literal prefixes find the key's line at the item's key
    column with the first entry's dash below it, and the item's next key; the entries are the
    lines with that dash in between, and their count is checked against the data `item`;
    None when unsure. A grant's finding is located without splitting the account into lines:
    the 1,820 findings of a five-rule pack on 10,000 accounts are grants'."""
    if not 2 <= len(pointer) <= 3:
        return None
    name, index = pointer[0], pointer[1]
    values = item.get(name) if isinstance(item, dict) and isinstance(name, str) else None
    if not isinstance(values, list) or type(index) is not int or not 0 <= index < len(values):
        return None
    head = _ITEM_KEY.match(text, start, end)
    if head is None or head[1] == name:  # the item's first key: the full scan decides
        return None
    column = head.start(1) - start
    hit = _key_block(column, name).search(text, start, end)
    if hit is None:
        return None
    needle = "\n" + hit[1] + "-"
    after = _next_key(column).search(text, hit.end(), end)
    seq_end = after.start() if after is not None else end
    offset = hit.start(1)
    if text.count(needle, offset - 1, seq_end) != len(values):
        return None
    for _ in range(index):
        offset = text.find(needle, offset, seq_end) + 1
    entry = _ITEM_KEY.match(text, offset, seq_end)
    if entry is None:
        if len(pointer) > 2:
            return None
        line_end = text.find("\n", offset, seq_end)
        first = text[offset : seq_end if line_end < 0 else line_end].rstrip("\r")
        content = first.lstrip(" ")[1:].lstrip(" ")  # the entry itself, in flow style
        if content[:1] not in ("{", "["):
            return None
        return (text.count("\n", start, offset), len(first) - len(content))
    inner = entry.start(1) - offset
    step = pointer[2] if len(pointer) == 3 else None
    if step is None or (key and entry[1] == step):
        return (text.count("\n", start, offset), inner)
    if not isinstance(step, str):
        return None
    if entry[1] != step:  # a later key of the entry, at its column, before the next entry
        entry_end = text.find(needle, offset, seq_end)
        later = _key_at(inner, step).search(text, offset, seq_end if entry_end < 0 else entry_end)
        if later is None:
            return None
        offset = later.start() + 1
        if key:
            return (text.count("\n", start, offset), inner)
    line_end = text.find("\n", offset, seq_end)
    value = _plain_value(
        text[offset : seq_end if line_end < 0 else line_end].rstrip("\r"), inner + len(step) + 1
    )
    return None if value is None else (text.count("\n", start, offset), value)


# An item's first line (`- key:`, as `_dash_line` reads it): the key is group 1.
_ITEM_KEY = re.compile(r" *- +([A-Za-z_][\w.-]*):(?: +|\r*$)", re.M)


@functools.lru_cache(maxsize=64)
def _key_block(column: int, name: str) -> re.Pattern[str]:
    """From the newline before it: a line holding only plain key `name` at `column` (and a
    comment), then blank and comment lines, then the first dash of its block sequence (the
    dash's indentation is group 1). The spaces are literal: the search skips to them."""
    return re.compile(
        "\n" + " " * column + re.escape(name) + r":[ \t]*(?:#[^\n]*)?\r?\n"
        r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*( *)-(?:[ \t\r]|$)",
        re.M,
    )


@functools.lru_cache(maxsize=64)
def _next_key(column: int) -> re.Pattern[str]:
    """From the newline before it: a line at `column` that is not blank, a comment or a
    dash (the next key of a mapping whose keys are at `column`)."""
    return re.compile("\n" + " " * column + r"[^ \t\r\n#-]")


@functools.lru_cache(maxsize=64)
def _key_at(column: int, name: str) -> re.Pattern[str]:
    """From the newline before it: plain key `name` at `column` (group 1: where it starts)."""
    return re.compile("\n" + " " * column + "(" + re.escape(name) + r"):(?: +|\r?$)", re.M)


def _scan(text: str, pointer: Pointer, key: bool) -> tuple[int, int] | None:
    """0-based (line, column) of `pointer` below the one block-sequence item `text`
    (`- key: value ...`), as `_walk` would find it; None when unsure."""
    first_end = text.find("\n")
    found = _dash_line(text if first_end < 0 else text[:first_end])
    if found is None:
        return None
    column = found[1]
    name = pointer[0] if pointer else None
    if isinstance(name, str) and name != found[2][1]:
        # A later key of the item: found by a search, and only the lines from it on are
        # split. A plain `name:` at the item's key column is the item's key: the parser
        # (`parse`) rejects continuation lines of quoted or flow values at that column.
        hit = _key_at(column, name).search(text)
        if hit is not None:
            tail = text[hit.start() + 1 :].split("\n")
            fast = _follow(tail, (0, column), pointer, key)
            return (
                None if fast is None else (fast[0] + text.count("\n", 0, hit.start() + 1), fast[1])
            )
    return _follow(text.split("\n"), (0, column), pointer, key)


def _follow(
    lines: list[str], at: tuple[int, int], pointer: Pointer, key: bool
) -> tuple[int, int] | None:
    """`_scan` from the block mapping whose first (plain) key is at `at` in `lines`."""
    kind = "map"
    for depth, step in enumerate(pointer):
        last = depth == len(pointer) - 1
        line, column = at
        if kind == "map" and isinstance(step, str):
            found = _key_line(lines, line, column, step)
            if found is None:
                return None
            if last and key:
                return (found, column)
            value_line = lines[found].rstrip("\r")
            after = value_line[column + len(step) + 1 :]
            value = after.lstrip(" ")
            if value and not value.startswith("#"):
                at = (found, len(value_line) - len(value))
                if value[0] in "{[":
                    return _flow(value_line, at, pointer[depth + 1 :], key)
                if not last or value[0] in _NOT_PLAIN:
                    return None
                return at
            nested = _next_content(lines, found)
            if nested is None:
                return None
            below, indent, text_below = nested
            if text_below == "-" or text_below.startswith("- "):
                if indent < column:
                    return None
                kind, at = "seq", (below, indent)
            elif indent > column and _PLAIN_KEY.match(text_below):
                kind, at = "map", (below, indent)
            else:
                return None
        elif kind == "seq" and isinstance(step, int):
            entry = _entry_line(lines, line, column, step)
            if entry is None:
                return None
            entry_line = lines[entry].rstrip("\r")
            value = entry_line[column + 1 :].lstrip(" ")
            if not value or value[0] in _NOT_PLAIN:
                return None
            at = (entry, len(entry_line) - len(value))
            if _PLAIN_KEY.match(value):
                kind = "map"
            elif last:
                return at
            else:
                return None
        else:
            return None
    return at


# A flow mapping or sequence of plain keys and plain scalars on one line (`{on: 2026-03-09,
# by: ann}`, `[ann, bob]`), maybe followed by a comment: group 2 is its content. A scalar
# that starts with an indicator (`&`, `*`, `!`, `-`, ...) is not read by `_FLOW_ENTRY` or
# `_FLOW_ITEM`: the full walk decides.
_FLOW = re.compile(r"([{\[])([^{}\[\]\"'#]*)[}\]][ \t]*(?:[ \t]#.*)?")
_FLOW_SCALAR = r"[\w./+][^,:]*(?::[^ ,][^,:]*)*?"
_FLOW_ENTRY = re.compile(rf" *([A-Za-z_][\w.-]*): +({_FLOW_SCALAR}) *")
_FLOW_ITEM = re.compile(rf" *()({_FLOW_SCALAR}) *")


def _flow(line: str, at: tuple[int, int], pointer: Pointer, key: bool) -> tuple[int, int] | None:
    """`_follow` into the flow collection that starts at `at` in `line`, when it is one
    line of plain keys and plain scalars; None when unsure."""
    row, column = at
    whole = _FLOW.fullmatch(line, column)
    if whole is None:  # (brackets match: `parse` read the text)
        return None
    mapping = whole[1] == "{"
    pattern = _FLOW_ENTRY if mapping else _FLOW_ITEM
    entries: dict[str | int, tuple[int, int]] = {}
    offset = whole.start(2)
    for index, part in enumerate(whole[2].split(",")):
        entry = pattern.fullmatch(part)
        name = entry[1] if entry is not None and mapping else index
        if entry is None or name in entries:
            return None
        entries[name] = (offset + entry.start(1), offset + entry.start(2))
        offset += len(part) + 1
    step = pointer[0] if pointer else None
    if step not in entries:
        return at  # the collection itself, or its deepest node on the way to a missing one
    key_column, value_column = entries[step]
    return (row, key_column if mapping and key and len(pointer) == 1 else value_column)


def _indent(line: str) -> tuple[int, str] | None:
    """(indentation, content) of a line; None for blank and comment-only lines; -1 for a
    line indented with a tab (the scan gives up)."""
    text = line.rstrip("\r")
    content = text.lstrip(" ")
    if not content or content.startswith("#"):
        return None
    if content[0] == "\t":
        return (-1, content)
    return (len(text) - len(content), content)


def _next_content(lines: list[str], after: int) -> tuple[int, int, str] | None:
    for i in range(after + 1, len(lines)):
        found = _indent(lines[i])
        if found is not None:
            return None if found[0] < 0 else (i, found[0], found[1])
    return None


def _key_line(lines: list[str], start: int, column: int, step: str) -> int | None:
    """The line of key `step` of the block mapping whose first key is at (start, column)."""
    for i in range(start, len(lines)):
        if i == start:
            text = lines[i].rstrip("\r")[column:]
        else:
            found = _indent(lines[i])
            if found is None:
                continue
            indent, text = found
            if indent < 0 or indent < column:
                return None
            if indent > column:
                continue
        match = _PLAIN_KEY.match(text)
        if match is not None and match[1] == step:
            return i
        if match is None and not (text == "-" or text.startswith("- ")):
            return None  # not a plain key: a quoted or complex one, or not a mapping
    return None


def _entry_line(lines: list[str], start: int, column: int, index: int) -> int | None:
    """The line of entry `index` of the block sequence whose first dash is at (start,
    column)."""
    seen = -1
    for i in range(start, len(lines)):
        found = _indent(lines[i])
        if found is None:
            continue
        indent, text = found
        if indent < 0 or indent < column:
            return None
        if indent > column:
            continue
        if not (text == "-" or text.startswith("- ")):
            return None
        seen += 1
        if seen == index:
            return i
    return None


def _walk(node: yaml.Node, pointer: Pointer, key: bool) -> tuple[int, int] | None:
    """0-based (line, column) of the node at `pointer` below `node`, or the deepest ancestor."""
    mark = (node.start_mark.line, node.start_mark.column)
    for depth, step in enumerate(pointer):
        last = depth == len(pointer) - 1
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            for k, v in node.value:
                if k.value == step:
                    if last and key:
                        return (k.start_mark.line, k.start_mark.column)
                    node = v
                    break
            else:
                return mark
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if not 0 <= step < len(node.value):
                return mark
            node = node.value[step]
        else:
            return mark
        mark = (node.start_mark.line, node.start_mark.column)
    return mark


_SECRET_KEYS = {"password", "passwd", "secret", "token", "api_key", "apikey", "totp", "otp_seed"}
_FRIENDLY = {
    "string_pattern_mismatch": "must be a lowercase id (letters, digits, '.', '_', '-')",
}


def validation_problems(
    exc: ValidationError,
    source: SourceMap,
    *,
    prefix: Pointer = (),
    known_fields: Callable[[Pointer], Sequence[str]] | None = None,
) -> list[Problem]:
    """Turn a pydantic error into positioned problems. Input values are never echoed: the
    field could hold a secret pasted in the wrong place."""
    out = []
    for error in exc.errors(include_input=False, include_url=False):
        loc: Pointer = prefix + tuple(error["loc"])
        kind = error["type"]
        name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "value")
        if kind == "extra_forbidden":
            where = source.locate(loc, key=True)
            hint = suggest(name, known_fields(loc[:-1])) if known_fields else None
            if name.lower() in _SECRET_KEYS:
                hint = "never put secrets in the inventory; store them with `govern creds set`"
            message = f"unknown field '{name}'"
        elif kind == "missing":
            where = source.locate(loc[:-1])
            message, hint = f"missing required field '{name}'", None
        else:
            where = source.locate(loc)
            text = _FRIENDLY.get(kind, error["msg"])
            hint = None
            if kind == "string_pattern_mismatch" and "email" in name:
                text = "must be an email address like name@example.org"
            if name == "ref" and len(loc) >= 2 and loc[-2] == "credential":
                name = "credential.ref"
                if kind in ("string_pattern_mismatch", "string_too_long"):
                    text = "not a usable credential store key"
                    hint = (
                        "letters, digits, '.', '_' or '-', at most 128, starting with a letter "
                        "or digit; no '/', '..' or '*'"
                    )
            message = f"{name}: {text}"
        out.append(Problem(where.path, where.line or 1, where.column or 1, message, hint))
    return out


def load_yaml(
    path: Path, *, display: str | None = None, ahead: tuple[str, Any] | None = None
) -> tuple[Any, SourceMap]:
    """Read and parse one YAML file: (data, source map). Raises `InputError`. `ahead`: the
    file's text and data as `govern.readahead` read and parsed them (the steps of
    `read_text` and `parse` for a document without aliases), used as they are."""
    shown = display or str(path)
    if ahead is not None:
        text, data = ahead
    else:
        text = read_text(path)
        data = parse(shown, text)
    return data, SourceMap(shown, text, data)


__all__ = [
    "SourceMap",
    "anchors_and_aliases",
    "block_sequence",
    "load_yaml",
    "parse",
    "read_text",
    "section_spans",
    "suggest",
    "validation_problems",
]
