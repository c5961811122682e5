"""The JSON and SARIF writer lays out reports exactly as `json.dumps(value, indent=2)`."""

from __future__ import annotations

import datetime as dt
import enum
import json
import random
from typing import Any

import pytest

from govern.formats._jsontext import dumps_indented


class Color(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


CASES: list[Any] = [
    {},
    [],
    (),
    None,
    True,
    False,
    0,
    -7,
    10**30,
    "plain",
    {"a": [], "b": {}, "c": ()},
    [1, [2, [3, {}]], {"x": [None, True, False]}],
    {"text": 'é ü \u2028 \n \t \x1b \x00 " \\ / 😀'},
    {"float": 1.5, "nan": float("nan"), "inf": float("inf")},  # left to json.dumps
    {"enum": Color.RED, "int-enum": Level.HIGH},  # left to json.dumps
    {1: "int key", None: "null key", False: "bool key"},  # json.dumps converts these keys
    {"findings": [{"rule": "r", "location": {"path": "p", "line": 3, "column": 5}}]},
]


@pytest.mark.parametrize("value", CASES, ids=repr)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2)


def test_same_error_as_json_dumps() -> None:
    value = {"when": dt.date(2026, 1, 1)}
    with pytest.raises(TypeError) as expected:
        json.dumps(value, indent=2)
    with pytest.raises(TypeError) as got:
        dumps_indented(value)
    assert str(got.value) == str(expected.value)


def _tree(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randrange(-(10**6), 10**6)
    if kind in (2, 3, 4):
        return "".join(rng.choice('ab \n"\\é\x07\u2029') for _ in range(rng.randrange(6)))
    if kind == 5:
        return [_tree(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {f"k{i}{rng.choice('xé')}": _tree(rng, depth + 1) for i in range(rng.randrange(4))}


def test_random_trees() -> None:
    rng = random.Random(15)
    for _ in range(500):
        value = _tree(rng, 0)
        assert dumps_indented(value) == json.dumps(value, indent=2)
