"""`SourceMap.locate`: exact positions in every YAML style, with or without the fast path."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import govern.inventory.source as source_mod
from govern.findings import Pointer
from govern.inventory.source import SourceMap, parse

from .samples import BASE


def source_map(text: str) -> SourceMap:
    return SourceMap("inv.yaml", text, parse("inv.yaml", text))


def at(sm: SourceMap, pointer: Pointer, *, key: bool = False) -> tuple[int | None, int | None]:
    where = sm.locate(pointer, key=key)
    return where.line, where.column


# --- a reference: libyaml's composition of the whole document, walked exactly --------------


@functools.lru_cache(maxsize=8)
def _composed(text: str) -> yaml.Node:
    return yaml.compose(text, Loader=yaml.SafeLoader)


def reference(text: str, pointer: Pointer, *, key: bool = False) -> tuple[int, int]:
    node = _composed(text)
    mark = node.start_mark
    for n, step in enumerate(pointer):
        if isinstance(node, yaml.MappingNode):
            k, node = next((k, v) for k, v in node.value if k.value == step)
            mark = k.start_mark if key and n == len(pointer) - 1 else node.start_mark
        else:
            assert isinstance(node, yaml.SequenceNode)
            node = node.value[step]
            mark = node.start_mark
    return mark.line + 1, mark.column + 1


def pointers(data: Any, prefix: Pointer = ()) -> Iterator[tuple[Pointer, bool]]:
    """Every (pointer, is a mapping key) in `data`."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield (*prefix, k), True
            yield from pointers(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield (*prefix, i), False
            yield from pointers(v, (*prefix, i))


def assert_all_positions_right(text: str) -> int:
    sm = source_map(text)
    assert _composed(text) is not None
    checked = 0
    for pointer, is_key in pointers(sm._data):
        assert at(sm, pointer) == reference(text, pointer), (pointer, text)
        if is_key:
            assert at(sm, pointer, key=True) == reference(text, pointer, key=True), (pointer, text)
        checked += 1
    return checked


def spy_on_compose(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the texts composed with libyaml from now on (the scanner's fallback)."""
    composed: list[int] = []
    real = source_mod._compose

    def spy(text: str) -> Any:
        composed.append(len(text))
        return real(text)

    monkeypatch.setattr(source_mod, "_compose", spy)
    return composed


# --- hand-written styles --------------------------------------------------------------------


def test_block_style_values_and_keys() -> None:
    sm = source_map(BASE)
    assert at(sm, ("version",)) == (1, 10)
    assert at(sm, ("version",), key=True) == (1, 1)
    assert at(sm, ("people", 1)) == (10, 5)
    assert at(sm, ("people", 1, "email")) == (12, 12)
    assert at(sm, ("people", 1, "email"), key=True) == (12, 5)
    assert at(sm, ("entities", 0, "it", 0)) == (18, 10)
    assert at(sm, ("accounts", 0, "access", 1, "role")) == (28, 15)
    assert at(sm, ("accounts", 0, "access", 1, "role"), key=True) == (28, 9)
    assert at(sm, ("organization", "domains", 0)) == (4, 13)


def test_block_items_are_located_without_composing_the_whole_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    composed = spy_on_compose(monkeypatch)
    sm = source_map(BASE)
    assert at(sm, ("accounts", 0, "access", 0, "person")) == (25, 17)
    assert at(sm, ("people", 1, "level")) == (13, 12)
    # plain block style: the line scanner finds both without composing anything
    assert composed == []
    assert at(sm, ("entities", 0, "it", 0)) == (18, 10)  # a one-line flow sequence: read too
    assert composed == []
    quoted = source_map(BASE.replace("it: [bob]", 'it: ["bob"]'))
    assert at(quoted, ("entities", 0, "it", 0)) == (18, 10)  # a quoted scalar: item composed
    assert composed and len(BASE) + 2 not in composed


def test_missing_nodes_resolve_to_the_deepest_ancestor() -> None:
    sm = source_map(BASE)
    assert at(sm, ("people", 0, "trained_on")) == (6, 5)
    assert at(sm, ("accounts", 0, "access", 7)) == (25, 7)
    assert at(sm, ("nowhere", 3)) == (1, 1)
    assert at(sm, ()) == (1, 1)


def test_flow_style_access() -> None:
    text = BASE.split("    access:\n")[0] + (
        "    access: [{person: alice, role: admin}, {person: bob, role: editor}]\n"
    )
    line = text.splitlines()[23]
    sm = source_map(text)
    assert at(sm, ("accounts", 0, "access")) == (24, line.index("[") + 1)
    assert at(sm, ("accounts", 0, "access", 0)) == (24, line.index("{") + 1)
    assert at(sm, ("accounts", 0, "access", 0, "role")) == (24, line.index("admin") + 1)
    assert at(sm, ("accounts", 0, "access", 1, "person")) == (24, line.index("bob") + 1)
    assert at(sm, ("accounts", 0, "access", 1, "role"), key=True) == (
        24,
        line.rindex("role") + 1,
    )
    assert_all_positions_right(text)


def test_flow_style_top_level_list() -> None:
    text = "version: 1\naccounts: [{id: a, entity: e}, {id: b, entity: e}]\n"
    sm = source_map(text)
    assert at(sm, ("accounts", 1, "id")) == (2, 37)
    assert_all_positions_right(text)


def test_items_at_the_same_indent_as_their_key() -> None:
    text = "version: 1\naccounts:\n- id: a\n  handle: x\n- id: b\n  handle: y\npeople: []\n"
    sm = source_map(text)
    assert at(sm, ("accounts", 1)) == (5, 3)
    assert at(sm, ("accounts", 1, "handle")) == (6, 11)
    assert_all_positions_right(text)


def test_sections_with_different_indents() -> None:
    text = (
        "version: 1\npeople:\n    -   id: a\n        name: A\n    -   id: b\n        name: B\n"
        "accounts:\n- id: x\n  access:\n  - person: a\n    role: admin\n"
    )
    sm = source_map(text)
    assert at(sm, ("people", 1, "name")) == (6, 15)
    assert at(sm, ("accounts", 0, "access", 0, "role")) == (11, 11)
    assert_all_positions_right(text)


def test_comments_and_blank_lines_between_items() -> None:
    text = (
        "version: 1\n"
        "accounts:   # every account\n"
        "\n"
        "  # - id: commented-out\n"
        "  - id: a\n"
        "\n"
        "# a comment at column 0\n"
        "  - id: b   # trailing\n"
        "    handle: h\n"
        "\n"
    )
    sm = source_map(text)
    assert at(sm, ("accounts", 0, "id")) == (5, 9)
    assert at(sm, ("accounts", 1, "handle")) == (9, 13)
    assert_all_positions_right(text)


def test_block_scalar_with_lines_that_look_like_items() -> None:
    text = (
        "version: 1\n"
        "accounts:\n"
        "  - id: a\n"
        "    note: |\n"
        "      Handover:\n"
        "      - id: not-an-item\n"
        "      - second line\n"
        "  - id: b\n"
        "    note: >-\n"
        "\n"
        "      - folded\n"
        "  - id: c\n"
    )
    sm = source_map(text)
    assert sm._data["accounts"][0]["note"].startswith("Handover:\n- id: not-an-item")
    assert at(sm, ("accounts", 1, "id")) == (8, 9)
    assert at(sm, ("accounts", 2)) == (12, 5)
    assert at(sm, ("accounts", 0, "note")) == (4, 11)
    assert_all_positions_right(text)


def test_multiline_quoted_scalar_with_a_dash_line_falls_back_to_the_whole_document() -> None:
    # The dash on line 4 is inside a quoted scalar of a flow list: the item shortcut must not
    # be trusted here (it would point at line 4).
    text = 'version: 1\naccounts:\n  [ {id: a, note: "x\n  - id: b\n    note: c"} ]\n'
    sm = source_map(text)
    assert at(sm, ("accounts", 0, "id")) == (3, 10)
    assert at(sm, ("accounts", 0, "note")) == (3, 19)
    assert_all_positions_right(text)


def test_flow_list_on_the_key_line_with_a_dash_continuation() -> None:
    text = 'version: 1\naccounts: [{id: a, note: "x\n  - y"}]\n'
    sm = source_map(text)
    assert at(sm, ("accounts", 0)) == (2, 12)
    assert at(sm, ("accounts", 0, "note")) == (2, 26)


def test_multiline_plain_scalar_item() -> None:
    text = "version: 1\naccounts:\n  - id: a\n    note: first\n      - still the note\n  - id: b\n"
    sm = source_map(text)
    assert sm._data["accounts"][0]["note"] == "first - still the note"
    assert at(sm, ("accounts", 1, "id")) == (6, 9)
    assert_all_positions_right(text)


def test_crlf_line_endings() -> None:
    text = BASE.replace("\n", "\r\n")
    sm = source_map(text)
    assert at(sm, ("accounts", 0, "access", 1, "role")) == (28, 15)
    assert at(sm, ("people", 1, "email"), key=True) == (12, 5)


def test_base_inventory_every_pointer() -> None:
    assert assert_all_positions_right(BASE) == 36


# --- generated inventories in random styles -------------------------------------------------


class _Literal(str):
    pass


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def _inventory(rnd: random.Random) -> dict[str, Any]:
    def note() -> Any:
        kind = rnd.randrange(4)
        if kind == 0:
            return _Literal("Handover:\n- id: fake\n- role: admin\n")
        if kind == 1:
            return "a long note that the dumper folds - id: x - over several lines " * 2
        if kind == 2:
            return "- starts like an item"
        return None

    people = [
        {"id": f"p{i}", "name": f"Person {i}", "email": f"p{i}@org.example", "level": "C"}
        for i in range(rnd.randint(1, 5))
    ]
    accounts = []
    for i in range(rnd.randint(0, 6)):
        access = []
        for person in rnd.sample(people, rnd.randint(0, len(people))):
            grant: dict[str, Any] = {"person": person["id"], "role": "admin"}
            if (n := note()) is not None:
                grant["note"] = n
            access.append(grant)
        account: dict[str, Any] = {
            "id": f"a{i}",
            "entity": "e",
            "platform": "facebook",
            "handle": f"h{i}",
            "access": access,
        }
        if rnd.random() < 0.3:
            account["tags"] = ["x", "y"]
        accounts.append(account)
    return {
        "version": 1,
        "organization": {"name": "Org", "domains": ["org.example"]},
        "people": people,
        "entities": [{"id": "e", "name": "E", "head": "p0"}],
        "accounts": accounts,
    }


def _decorate(text: str, rnd: random.Random) -> str:
    """Blank lines and comments before some top-level items (outside any scalar)."""
    out = []
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if stripped.startswith("- id:") and indent <= 4 and rnd.random() < 0.5:
            out.append(rnd.choice(["\n", " " * indent + "# comment - id: no\n", "# col 0\n"]))
        out.append(line)
    return "".join(out)


@pytest.mark.parametrize("seed", range(60))
def test_generated_inventories_match_whole_document_positions(seed: int) -> None:
    rnd = random.Random(seed)
    data = _inventory(rnd)
    text = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=rnd.choice([False, None, True]) if seed % 5 else True,
        indent=rnd.choice([2, 3, 4]),
        width=rnd.choice([20, 40, 80]),
    )
    if rnd.random() < 0.5:
        text = _decorate(text, rnd)
    assert assert_all_positions_right(text) > 10


def test_crlf_file_keeps_the_fast_path_and_the_same_positions() -> None:
    from govern.inventory.source import SourceMap, parse

    text = (Path(__file__).resolve().parents[2] / "inventory.yaml").read_text()
    crlf = text.replace("\n", "\r\n")
    lf_map = SourceMap("f", text, parse("f", text))
    crlf_map = SourceMap("f", crlf, parse("f", crlf))
    assert crlf_map._item_starts("accounts") is not None
    for pointer in [("accounts", 3, "access", 1, "role"), ("people", 5, "email"), ("entities", 2)]:
        assert crlf_map.locate(pointer) == lf_map.locate(pointer)


@pytest.mark.parametrize("seed", range(6))
def test_last_item_of_a_section_with_and_without_a_final_newline(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line scanner reads an item's lines up to the next section, or to the end of a file
    that may not end with a newline: the last item's positions are right without composing
    anything."""
    composed = spy_on_compose(monkeypatch)
    rnd = random.Random(seed)
    data = _inventory(rnd)
    while not data["accounts"] or not data["accounts"][-1]["access"]:  # `access: []` is flow
        data = _inventory(rnd)
    for account in data["accounts"]:  # plain values only: notes may be block scalars
        for grant in account["access"]:
            grant.pop("note", None)
    if seed % 2:  # accounts first: its last item ends where `people` starts
        data = {"accounts": data.pop("accounts"), **data}
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
    for variant in (text, text.rstrip("\n"), text + "\n\n# trailing comment"):
        sm = source_map(variant)
        assert sm._item_starts("accounts") is not None  # the fast path is taken
        last = len(data["accounts"]) - 1
        for pointer, is_key in pointers(data["accounts"][last], ("accounts", last)):
            assert at(sm, pointer) == reference(variant, pointer), (pointer, variant)
            if is_key:
                assert at(sm, pointer, key=True) == reference(variant, pointer, key=True)
    assert composed == []


POLICY = """\
# the policy pack
rules:
  min-admins:
    severity: error
    params:
      count: 2   # two admins

  review-current:
    enabled: false
  "quoted-key":
    params: {max_age_days: 30}
platforms:
  x:
    roles:
      admin: {administrative: true}
waivers:
  - rule: min-admins
    account: a
"""


@pytest.mark.parametrize(
    "text",
    [
        POLICY,
        POLICY.rstrip("\n"),
        "rules: {min-admins: {enabled: false}}\nwaivers: []\n",
        "rules:\n    min-admins:\n        params:\n            count: 3\n",
        "rules:\n  a: 1\n  b:\n  - x\n  - y: 2\n",
        "'rules':\n  a: 1\n",
    ],
    ids=["block", "no-final-newline", "flow", "indent-4", "scalars-and-lists", "quoted-top-key"],
)
def test_top_level_mappings_match_whole_document_positions(text: str) -> None:
    assert assert_all_positions_right(text) >= 2


def test_policy_rule_keys_are_located_without_composing(monkeypatch: pytest.MonkeyPatch) -> None:
    """`rules:` keys of a block-style policy file are found by the line scanner: `govern
    validate` and `govern audit` need neither PyYAML nor a composed policy file."""
    composed = spy_on_compose(monkeypatch)
    sm = source_map(POLICY)
    assert at(sm, ("rules", "min-admins"), key=True) == (3, 3)
    assert at(sm, ("rules", "min-admins", "params", "count")) == (6, 14)
    assert at(sm, ("rules", "review-current", "enabled")) == (9, 14)
    assert at(sm, ("platforms", "x", "roles", "admin"), key=True) == (15, 7)
    assert composed == []
    assert at(sm, ("rules", "quoted-key"), key=True) == (10, 3)  # quoted: composed
    assert composed
