"""The JSON and SARIF writer lays out reports exactly as `json.dumps(value, indent=2)`, and
refuses what it refuses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import random
from typing import Any

import pytest

from govern.formats._jsontext import dumps_indented


class Color(enum.StrEnum):
    RED = "red"


CASES: list[Any] = [
    {},
    [],
    (),
    None,
    True,
    False,
    0,
    -7,
    2**63 - 1,
    -(2**63),
    "plain",
    {"a": [], "b": {}, "c": ()},
    [1, [2, [3, {}]], {"x": [None, True, False]}],
    {"text": 'é ü \u2028 \n \t \x1b \x00 \x7f " \\ / 😀'},
    {"enum": Color.RED},
    {"findings": [{"rule": "r", "location": {"path": "p", "line": 3, "column": 5}}]},
]


@pytest.mark.parametrize("value", CASES, ids=repr)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2)


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize(
    "value",
    [
        {"when": dt.date(2026, 1, 1)},
        {"at": dt.datetime(2026, 1, 1, 12)},
        [Point(1)],
        {1: "an integer key"},
        {"big": 10**30},
    ],
    ids=repr,
)
def test_refuses_what_is_not_plain_json(value: Any) -> None:
    """A report holding anything but plain values is a bug: it is refused, never written in
    a shape of the writer's own choosing."""
    with pytest.raises(TypeError):
        dumps_indented(value)


def test_non_ascii_is_escaped_and_reads_back_the_same() -> None:
    value = {"name": "Paróquia São José", "note": "😀 \u202e", "é-key": ["\u2028"]}
    text = dumps_indented(value)
    assert text.isascii() and "\\u00e3" in text and "\\ud83d\\ude00" in text
    assert json.loads(text) == value


def _tree(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randrange(-(10**6), 10**6)
    if kind in (2, 3, 4):
        return "".join(rng.choice('ab \n"\\é\x07\u2029\x1f') for _ in range(rng.randrange(6)))
    if kind == 5:
        return [_tree(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {f"k{i}{rng.choice('xé')}": _tree(rng, depth + 1) for i in range(rng.randrange(4))}


def test_random_trees() -> None:
    rng = random.Random(15)
    for _ in range(500):
        value = _tree(rng, 0)
        assert dumps_indented(value) == json.dumps(value, indent=2)
