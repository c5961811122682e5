"""The Python fast path of custom rules (govern.rules.celfast) decides only what CEL decides:
on generated expressions and data, wherever it gives a result, the CEL library gives the
same result (and no error); everywhere else it defers to the library."""

from __future__ import annotations

import random
from typing import Any

import pytest

from govern.rules.celfast import UNKNOWN, compile_fast
from govern.rules.custom import _administrative, cel

PLATFORM = {"roles": {"admin": {"administrative": True}, "editor": {"administrative": False}}}


def _value(rng: random.Random, depth: int = 0) -> Any:
    choices: list[Any] = [
        "a", "b", "", "abc", "A", "2026-11-30", 0, 1, 7, -3, 2**63, True, False, None, 1.0,
        ["a", "b"], ["a", 1], [], [None], {"x": "a"},
    ]  # fmt: skip
    if depth < 2:
        choices.append({"x": _value(rng, depth + 1), "y": _value(rng, depth + 1)})
    return rng.choice(choices)


ATOMS = [
    "s", "n", "t", "z", "l", "m", "m.x", "m.y", "m.x.x", "m.y.y", "m.w", "z.x", "s.x",
    '"a"', "'b'", '""', "0", "1", "7", "true", "false", "null", "today", "params.p",
    "platform", "role",
]  # fmt: skip
BINARY = ["==", "!=", "<", "<=", ">", ">=", "in", "&&", "||"]
METHODS = ["endsWith", "startsWith", "contains"]


def _expression(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice(ATOMS)
    if roll < 0.6:
        op = rng.choice(BINARY)
        return f"{_expression(rng, depth + 1)} {op} {_expression(rng, depth + 1)}"
    if roll < 0.7:
        return f"!{_expression(rng, depth + 1)}"
    if roll < 0.8:
        return f"({_expression(rng, depth + 1)})"
    if roll < 0.9:
        return f"{rng.choice(ATOMS)}.{rng.choice(METHODS)}({rng.choice(ATOMS)})"
    return f"platform.administrative({rng.choice(ATOMS)})"


def _library(source: str, env: dict[str, Any]) -> tuple[str, Any]:
    try:
        program = cel.compile(source)
    except ValueError:
        return "compile-error", None
    try:
        context = cel.Context(env, {"administrative": _administrative})
        return "value", program.execute(context)
    except Exception as exc:
        return "error", type(exc).__name__


def test_agrees_with_the_library_wherever_it_decides() -> None:
    rng = random.Random(15)
    decided = 0
    for _ in range(3000):
        source = _expression(rng)
        env = {
            "s": _value(rng), "n": _value(rng), "t": _value(rng), "z": _value(rng),
            "l": _value(rng), "m": _value(rng), "role": rng.choice(["admin", "editor", "x", 1]),
            "platform": PLATFORM,
        }  # fmt: skip
        constants = {"today": "2026-11-30", "params": {"p": _value(rng)}}
        kind, expected = _library(source, {**env, **constants})
        fast = compile_fast(source, _administrative, constants)
        if fast is None:
            continue
        assert kind != "compile-error", source
        got = fast(env)
        if got is UNKNOWN:
            continue
        decided += 1
        assert kind == "value", (source, env, got, expected)
        assert type(got) is type(expected) and got == expected, (source, env, got, expected)
    assert decided > 800  # the generator exercises the fast path, not only the fallback


@pytest.mark.parametrize(
    "source",
    [
        "account.tags.exists(t, t == 'x')",  # macros
        "size(account.tags) > 1",  # global functions
        "has(account.url)",
        "account.id.matches('^a')",  # other methods
        "1.5 < 2.0",  # doubles
        "-1 < 0",
        "1u == 1u",
        "0x10 == 16",
        "account.id == 'a' ? true : false",  # the conditional
        "account.tags[0] == 'x'",  # indexing
        "[1, 2] == [1, 2]",  # list literals
        "'a\\nb' == 'x'",  # escapes
        'r"a" == "a"',
        "account.id == 'a' // a comment",
        "account.id ==",  # incomplete
        "account.if == 'a'",  # a reserved word
    ],
)
def test_outside_the_subset_goes_to_the_library(source: str) -> None:
    assert compile_fast(source, _administrative, {}) is None


def test_decides_the_common_cases() -> None:
    grant = {"role": "owner", "person": {"id": "p1", "email": "p1@gmail.com"}}
    account = {"platform": "tiktok", "tags": ["youth"], "entity": {"head": {"id": "h1"}}}
    env = {"grant": grant, "account": account, "platform": PLATFORM}
    cases = {
        'account.platform == "tiktok" && "youth" in account.tags': True,
        'grant.person.email.endsWith("@gmail.com")': True,
        'grant.role == "owner" && grant.person.id != account.entity.head.id': True,
        "platform.administrative(grant.role)": False,
        'grant.role != "owner" || account.tags == null': False,
    }
    for source, expected in cases.items():
        fast = compile_fast(source, _administrative, {})
        assert fast is not None, source
        assert fast(env) is expected, source
        assert _library(source, env) == ("value", expected)
    # A missing field: the library decides (here: an error, reported as such by the audit).
    missing = compile_fast("grant.expires == null", _administrative, {})
    assert missing is not None and missing(env) is UNKNOWN
    assert _library("grant.expires == null", env)[0] == "error"
