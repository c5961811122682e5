"""The line scanner that finds positions without composing YAML agrees with libyaml.

For every node of every item (keys too, and keys that do not exist) of several inventories
in different styles, the scanner either gives up (None: the caller composes) or returns
exactly the position `_walk` finds over the composed item."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml_rs

from govern.findings import Pointer
from govern.inventory.source import (
    _ITEM_KEY,
    SourceMap,
    _block_items,
    _dash_line,
    _known_spans,
    _scan,
    _scan_dash_line,
    _scan_entry,
    _walk,
    block_sequence,
    section_spans,
)
from tests.conftest import BASE, REPO

STYLES = """\
version: 1
accounts:
  - id: a1   # a comment
    entity: "quoted"
    'platform': x
    access:
    - person: p1
      role: admin

    - {person: p2, role: editor}
    -   person: p3
        role: "owner"
        note: |
          a block scalar: with a colon
    credential: {mfa: true}
    tags: [a, b]
  - id: a2
    access:
      -
        person: p4
      - &anchor
        person: p5
    handle: plain value, colon-free text
  - id: a3
    handle: >
      folded
    url: http://example.org/x
  - id: a4
    ? complex
    : v
    reviewed: {on: 2026-01-01, by: p1}  # checked
    credential: { mfa: true , recovery_email: a@b.org }
    links: {site: http://example.org/a, label: two words}
    quoted: {n: 'q', m: -1}
    empty: {}
    handle: h4
"""


def pointers(value: Any, prefix: Pointer = ()) -> Iterator[tuple[Pointer, bool]]:
    yield prefix, False
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k), True
            yield from pointers(v, (*prefix, k))
        yield (*prefix, "missing-key"), False
        yield (*prefix, "missing-key"), True
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from pointers(v, (*prefix, i))
        yield (*prefix, len(value)), False


def check(text: str) -> int:
    data = yaml_rs.loads(text)
    source = SourceMap("f.yaml", text, data)
    agreed = 0
    for section, items in data.items():
        if not isinstance(items, list):
            continue
        starts = source._item_starts(section)
        assert starts is not None
        for index, item in enumerate(items):
            offset = starts[index][0]
            end = (
                starts[index + 1][0]
                if index + 1 < len(starts)
                else source._section_spans()[section][1]
            )
            snippet = text[offset:end]
            root = source._item_node(offset, end)
            for pointer in [(), *(p for p, _ in pointers(item))]:
                for key in (False, True):
                    # The dash line alone answers what it can, as the full scan would.
                    dash = _scan_dash_line(snippet.split("\n", 1)[0], pointer, key)
                    assert dash is None or dash == _scan(snippet, pointer, key), (index, pointer)
                    agreed += dash is not None
            for pointer, key in pointers(item):
                # An entry of a sequence below the item, found by searching the whole text.
                entry = _scan_entry(text, offset, end, pointer, key, item)
                if entry is not None:
                    assert entry == _walk(root.value[0], pointer, key), (index, pointer, key)
                    agreed += 1
                fast = _scan(snippet, pointer, key)
                if fast is None:
                    continue
                assert fast == _walk(root.value[0], pointer, key), (section, index, pointer, key)
                agreed += 1
    return agreed


@pytest.mark.parametrize("name", ["base", "repository", "styles"])
def test_scanner_agrees_with_libyaml(name: str) -> None:
    text = {"base": BASE, "repository": (REPO / "inventory.yaml").read_text(), "styles": STYLES}
    assert check(text[name]) > 10


def test_scanner_agrees_on_a_generated_inventory(tmp_path: Path) -> None:
    out = tmp_path / "inv.yaml"
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks/generate.py"), "--accounts", "150", "-o", str(out)],
        check=True,
        capture_output=True,
    )
    assert check(out.read_text()) > 1000


def test_every_grant_entry_is_found_by_a_search(tmp_path: Path) -> None:
    """A grant's findings (`("access", j)`, `("access", j, "person")`) are answered by
    `_scan_entry` in block style, and the grant itself in flow style (the repository's
    inventory), at the position libyaml gives."""
    out = tmp_path / "inv.yaml"
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks/generate.py"), "--accounts", "40", "-o", str(out)],
        check=True,
        capture_output=True,
    )
    cases = [(out.read_text(), True), ((REPO / "inventory.yaml").read_text(), False)]
    for text, block in cases:
        data = yaml_rs.loads(text)
        source = SourceMap("f.yaml", text, data)
        starts = source._item_starts("accounts")
        assert starts is not None
        spans = [*(s for s, _ in starts[1:]), source._section_spans()["accounts"][1]]
        grants = 0
        for (offset, _), end, item in zip(starts, spans, data["accounts"], strict=True):
            root = source._item_node(offset, end)
            for j in range(len(item.get("access", []))):
                wanted: list[Pointer] = [("access", j), *([("access", j, "person")] * block)]
                for pointer in wanted:
                    found = _scan_entry(text, offset, end, pointer, False, item)
                    assert found == _walk(root.value[0], pointer, False), pointer
                grants += 1
        assert grants > 40


def test_sections_found_by_search_are_those_of_the_line_scan(tmp_path: Path) -> None:
    """The top-level keys the data has, found by a plain text search, span what the scan
    over every line finds; the items of each block sequence are the ones `block_sequence`
    finds. A key the search cannot find as a plain `key:` line leaves it to the scan."""
    out = tmp_path / "inv.yaml"
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks/generate.py"), "--accounts", "50", "-o", str(out)],
        check=True,
        capture_output=True,
    )
    texts = [BASE, STYLES, (REPO / "inventory.yaml").read_text(), out.read_text()]
    for text in texts:
        data = yaml_rs.loads(text)
        spans = _known_spans(text, data)
        assert spans is not None and spans == section_spans(text)
        for start, end, _ in spans.values():
            full = block_sequence(text, start, end)
            assert _block_items(text, start, end) == (None if full is None else full[0])
    quoted = '"version": 1\naccounts: []\n'
    spaced = "version : 1\naccounts: []\n"
    hidden = "version: 1\nnote: |\n  accounts: x\n"  # `accounts` only inside a block scalar
    assert _known_spans(quoted, yaml_rs.loads(quoted)) is None
    assert _known_spans(spaced, yaml_rs.loads(spaced)) is None
    assert _known_spans(hidden, {"version": 1, "accounts": []}) is None
    odd = "accounts:\n  - id: a\n  -x: 1\n"  # a dash line that is not an item's: unsure
    assert _block_items(odd, 0, len(odd)) is None


def test_the_item_key_pattern_reads_a_dash_line_as_the_scanner_does() -> None:
    """`_ITEM_KEY` (one regex match: the dash-line fast path and `_scan_entry`) agrees with
    `_dash_line` on every line of up to six characters from the ones that matter."""
    import itertools

    chars = [" ", "-", "a", ":", "\r", "\t", "#", "1", "."]
    for size in range(1, 7):
        for letters in itertools.product(chars, repeat=size):
            line = "".join(letters)
            read, match = _dash_line(line), _ITEM_KEY.match(line)
            assert (read is None) == (match is None), repr(line)
            if read is not None and match is not None:
                assert (read[1], read[2][1]) == (match.start(1), match[1]), repr(line)


def test_a_later_key_and_one_line_flow_collections_are_found_without_composing() -> None:
    """A key after a quoted or complex key is found by a search; an entry of a one-line
    flow mapping or sequence of plain scalars is read from its line. All where libyaml puts
    them."""
    data = yaml_rs.loads(STYLES)
    source = SourceMap("f.yaml", STYLES, data)
    starts = source._item_starts("accounts")
    assert starts is not None
    ends = [*(s for s, _ in starts[1:]), source._section_spans()["accounts"][1]]
    items = {
        item["id"]: (o, e) for (o, _), e, item in zip(starts, ends, data["accounts"], strict=True)
    }
    wanted = [
        ("a1", ("access",), False),
        ("a1", ("access", 2, "note"), True),
        ("a1", ("credential", "mfa"), False),
        ("a1", ("credential", "mfa"), True),
        ("a1", ("credential", "missing"), False),
        ("a1", ("tags", 1), False),
        ("a1", ("tags", 1), True),
        ("a1", ("tags", 2), False),
        ("a1", ("tags", "x"), False),
        ("a4", ("reviewed", "on"), False),
        ("a4", ("reviewed", "by"), True),
        ("a4", ("reviewed", 0), False),
        ("a4", ("credential", "recovery_email"), False),
        ("a4", ("links", "label"), False),
        ("a4", ("links", "site", "deeper"), False),
        ("a4", ("handle",), False),
    ]
    for name, pointer, key in wanted:
        offset, end = items[name]
        root = source._item_node(offset, end)
        found = _scan(STYLES[offset:end], pointer, key)
        assert found is not None, (name, pointer)
        assert found == _walk(root.value[0], pointer, key), (name, pointer, key)
    # Not all plain scalars: the full walk over the composed item decides.
    offset, end = items["a4"]
    assert _scan(STYLES[offset:end], ("quoted", "m"), False) is None
    assert _scan(STYLES[offset:end], ("empty", "x"), False) is None
