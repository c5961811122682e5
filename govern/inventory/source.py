"""Reading YAML files: a fast path for data, and source positions computed only on demand.

The data comes from `yaml_rs` (Rust; YAML 1.2 scalars, duplicate keys rejected, alias
expansion bounded). Positions are needed only for the few nodes a finding or an error points
at, so nothing is recorded while loading: `SourceMap.locate()` finds the text of the one
top-level list item a pointer starts in, composes just that snippet with libyaml, and walks
it. If the file is not in plain block style the whole document is composed once instead.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from govern.errors import InputError, Problem
from govern.findings import Location, Pointer

try:
    _Composer: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Composer = yaml.SafeLoader

# Bounds against "billion laughs": inventories have no use for deep alias expansion.
MAX_ALIAS_EVENTS = 100_000
MAX_BYTES = 512 * 1024 * 1024

_TOP_KEY = re.compile(r"^([^\s#:'\"-][^:#]*?|'[^']*'|\"[^\"]*\")[ \t]*:(?:[ \t]|$)", re.M)
_YAMLRS_POS = re.compile(r"at line (\d+), column (\d+)")


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint, or None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def read_text(path: Path) -> str:
    """Read a UTF-8 file, turning every OS or encoding failure into an `InputError`."""
    shown = str(path)
    if path.is_dir():
        raise InputError([Problem(shown, 1, 1, "is a directory, not a YAML file")])
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError([Problem(shown, 1, 1, f"file is too large ({size} bytes)")])
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            [Problem(shown, 1, 1, "file not found", "pass the path with --inventory, or run "
                     "`govern init` to create one")]
        ) from None
    except OSError as exc:
        raise InputError([Problem(shown, 1, 1, f"cannot read file: {exc.strerror}")]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            [Problem(shown, line, column, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                     "save the file as UTF-8")]
        ) from None


def parse(path: str, text: str) -> Any:
    """Parse YAML text into plain Python data, or raise `InputError` with positions."""
    import yaml_rs

    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return yaml_rs.loads(
            text,
            alias_limits=yaml_rs.AliasLimits(max_total_replayed_events=MAX_ALIAS_EVENTS),
        )
    except yaml_rs.YAMLDecodeError as exc:
        raise InputError(_diagnose(path, text, str(exc))) from None
    except (RecursionError, OverflowError, ValueError) as exc:
        raise InputError([Problem(path, 1, 1, f"cannot parse YAML: {type(exc).__name__}")]) from None


def _diagnose(path: str, text: str, message: str) -> list[Problem]:
    """Positions for a parse failure: from yaml_rs when it has them, else from libyaml."""
    first_line = message.strip().splitlines()[-1] if message.strip() else "invalid YAML"
    match = _YAMLRS_POS.search(message)
    if match:
        return [Problem(path, int(match[1]), int(match[2]), f"YAML syntax error: {first_line}")]
    problems = list(_duplicate_keys(path, text))
    if problems:
        return problems
    if "alias" in message:
        line, column = _first_alias(text)
        return [Problem(path, line, column, "too many alias expansions (possible 'billion "
                        "laughs' document)", "remove YAML anchors and aliases (&, *)")]
    return [Problem(path, 1, 1, f"invalid YAML: {message.splitlines()[0]}")]


def _compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=_Composer)


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
                        path, key.start_mark.line + 1, key.start_mark.column + 1,
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
        for token in yaml.scan(text, Loader=_Composer):
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
        self._line_starts: list[int] | None = None
        self._sections: dict[str, tuple[int, int]] | None = None
        self._items: dict[str, list[int] | None] = {}
        self._whole: yaml.Node | None | bool = False  # False: not composed yet

    # -- public -------------------------------------------------------------------------
    def locate(self, pointer: Pointer, *, key: bool = False) -> Location:
        """Line and column of the node at `pointer` (its key with `key=True`). Missing
        nodes resolve to their deepest existing ancestor."""
        try:
            node_mark = self._locate(pointer, key)
        except (yaml.YAMLError, RecursionError):
            node_mark = None
        if node_mark is None:
            return Location(self.path, 1, 1)
        return Location(self.path, node_mark[0], node_mark[1])

    # -- internals ----------------------------------------------------------------------
    def _lines(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self._text.find
            pos = find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
            self._line_starts = starts
        return self._line_starts

    def _section_spans(self) -> dict[str, tuple[int, int]]:
        """Top-level key -> (first line, end line) as 0-based line numbers."""
        if self._sections is None:
            lines = self._lines()
            heads = [
                (bisect.bisect_right(lines, m.start()) - 1, m.group(1).strip("'\""))
                for m in _TOP_KEY.finditer(self._text)
            ]
            spans: dict[str, tuple[int, int]] = {}
            for n, (line, name) in enumerate(heads):
                end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
                spans.setdefault(name, (line, end))
            self._sections = spans
        return self._sections

    def _item_lines(self, section: str) -> list[int] | None:
        """0-based first lines of each item of a top-level block sequence, if trustworthy."""
        if section in self._items:
            return self._items[section]
        result: list[int] | None = None
        span = self._section_spans().get(section)
        values = self._data.get(section) if isinstance(self._data, dict) else None
        if span is not None and isinstance(values, list):
            lines = self._lines()
            start, end = lines[span[0]], lines[end_line] if (end_line := span[1]) < len(lines) else len(self._text)
            region = self._text[start:end]
            first = re.search(r"^([ \t]*)-(?:[ \t]|$)", region, re.M)
            if first is not None:
                dash = re.compile(rf"^{re.escape(first.group(1))}-(?:[ \t]|$)", re.M)
                found = [bisect.bisect_right(lines, start + m.start()) - 1 for m in dash.finditer(region)]
                if len(found) == len(values):
                    result = found
            elif not values:
                result = []
        self._items[section] = result
        return result

    def _locate(self, pointer: Pointer, key: bool) -> tuple[int, int] | None:
        if not pointer:
            return (1, 1)
        section = pointer[0]
        if isinstance(section, str) and len(pointer) >= 2 and isinstance(pointer[1], int):
            items = self._item_lines(section)
            span = self._section_spans().get(section)
            if items is not None and span is not None and pointer[1] < len(items):
                first = items[pointer[1]]
                last = items[pointer[1] + 1] if pointer[1] + 1 < len(items) else span[1]
                lines = self._lines()
                end = lines[last] if last < len(lines) else len(self._text)
                snippet = self._text[lines[first]:end]
                try:
                    root = _compose(snippet)
                except yaml.YAMLError:
                    root = None
                if isinstance(root, yaml.SequenceNode) and len(root.value) == 1:
                    mark = _walk(root.value[0], pointer[2:], key)
                    if mark is not None:
                        return (mark[0] + first + 1, mark[1] + 1)
        whole = self._whole_document()
        if whole is None:
            return None
        mark = _walk(whole, pointer, key)
        return None if mark is None else (mark[0] + 1, mark[1] + 1)

    def _whole_document(self) -> yaml.Node | None:
        if self._whole is False:
            try:
                self._whole = _compose(self._text)
            except yaml.YAMLError:
                self._whole = None
        return self._whole if isinstance(self._whole, yaml.Node) else None


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
            if kind == "string_pattern_mismatch" and "email" in name:
                text = "must be an email address like name@example.org"
            message, hint = f"{name}: {text}", None
        out.append(Problem(where.path, where.line or 1, where.column or 1, message, hint))
    return out


def load_yaml(path: Path, *, display: str | None = None) -> tuple[Any, SourceMap]:
    """Read and parse one YAML file: (data, source map). Raises `InputError`."""
    shown = display or str(path)
    text = read_text(path)
    data = parse(shown, text)
    return data, SourceMap(shown, text, data)


__all__ = ["SourceMap", "load_yaml", "parse", "read_text", "suggest", "validation_problems"]
