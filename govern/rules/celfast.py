"""A fast path for simple custom-rule expressions: decide what is certain in Python, leave the
rest to the CEL library.

The `common-expression-language` binding converts every Python value it is handed into a CEL
value on every call (about 3 us per string on the benchmark machine, 10-20 us for a small
map), while evaluating a simple expression takes well under a microsecond. A pack of five
simple rules over 10,000 accounts and 58,800 grants spent seconds converting.

This module compiles the common subset of CEL (identifiers, field selection, string, integer,
boolean and null literals, parentheses, `!`, `&&`, `||`, `==`, `!=`, `<`, `<=`, `>`, `>=`,
`in`, and the methods `endsWith`, `startsWith`, `contains` and `administrative`) into Python
closures over the same plain maps. Each closure returns a value only when CEL's result is
certain for these operand types:

- `==`/`!=` between strings, integers, booleans and null (CEL's heterogeneous equality: values
  of different types are unequal, `"a" == null` is false), and of a list or map with null;
- `<`, `<=`, `>`, `>=` between two strings or two integers;
- `!` of a boolean; `false && x` is false and `true || x` is true whatever `x` is (CEL
  absorbs errors there); otherwise both sides must be booleans;
- `x in list` over a list of such scalars, `key in map` for a string key;
- a field that the map has; the string methods on strings.

Anything else (a missing field, null where a map is expected, a double, a type mismatch that
CEL reports as an error, any other function or macro) yields `UNKNOWN`, and that item is
evaluated by the CEL library exactly as before, errors and all. An expression outside the
subset is not compiled here at all. tests/policy/test_celfast.py checks the agreement with
the library on generated expressions and data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Env = Mapping[str, Any]
Fast = Callable[[Env], Any]


class _Unknown:
    """CEL's result is not certain here: evaluate the item with the CEL library."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
_SCALARS = (str, int, bool, type(None))
_INT64 = 2**63
_TOKEN = re.compile(
    r"""\s*(?:(?P<num>\d+)(?![\w.])|(?P<str>"[^"\\\n\r]*"|'[^'\\\n\r]*')"""
    r"""|(?P<id>[A-Za-z_]\w*)|(?P<op>==|!=|<=|>=|&&|\|\||[<>!().,]))"""
)
_KEYWORDS = frozenset({"true", "false", "null", "in"})
# CEL reserved words that are not identifiers: an expression using them goes to the library.
_RESERVED = frozenset(
    {
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
        "loop", "package", "namespace", "return", "var", "void", "while",
    }
)  # fmt: skip
_METHODS = frozenset({"endsWith", "startsWith", "contains", "administrative"})


class _Unsupported(Exception):
    """The expression is outside the subset."""


def compile_fast(
    source: str, administrative: Callable[[Any, Any], bool], constants: Env
) -> Fast | None:
    """A closure deciding `source` where CEL's result is certain, or None when the expression
    is outside the subset. `administrative` is the rule's `platform.administrative`;
    `constants` are variables with the same value for every item (`today`, `params`)."""
    tokens: list[tuple[str, str]] = []
    position = 0
    stripped = source.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None or match.end() == position:
            return None
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match[kind]))
        position = match.end()
    try:
        parser = _Parser(tokens, administrative, constants)
        fast = parser.expression()
        if parser.at < len(tokens):
            return None
    except (_Unsupported, IndexError, RecursionError):
        return None
    return fast


class _Parser:
    def __init__(
        self, tokens: list[tuple[str, str]], administrative: Callable[..., bool], constants: Env
    ):
        self.tokens = tokens
        self.constants = constants
        self.at = 0
        self.administrative = administrative

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token[1] == text and token[0] in ("op", "id"):
            self.at += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.take(text):
            raise _Unsupported

    # expression := or ; `?:` is not in the subset
    def expression(self) -> Fast:
        return self.disjunction()

    def disjunction(self) -> Fast:
        left = self.conjunction()
        while self.take("||"):
            left = _or(left, self.conjunction())
        return left

    def conjunction(self) -> Fast:
        left = self.relation()
        while self.take("&&"):
            left = _and(left, self.relation())
        return left

    def relation(self) -> Fast:
        left = self.unary()
        while True:
            token = self.peek()
            if token is None or token[1] not in ("==", "!=", "<", "<=", ">", ">=", "in"):
                return left
            if token[0] == "str":
                return left
            self.at += 1
            left = _RELATIONS[token[1]](left, self.unary())

    def unary(self) -> Fast:
        if self.take("!"):
            return _not(self.unary())
        return self.member()

    def member(self) -> Fast:
        value = self.primary()
        while self.take("."):
            kind, name = self.tokens[self.at]
            if kind != "id" or name in _KEYWORDS or name in _RESERVED:
                raise _Unsupported
            self.at += 1
            if self.take("("):
                if name not in _METHODS:
                    raise _Unsupported
                argument = self.expression()
                self.expect(")")
                value = _method(name, value, argument, self.administrative)
            else:
                value = _select(value, name)
        return value

    def primary(self) -> Fast:
        kind, text = self.tokens[self.at]
        self.at += 1
        if kind == "num":
            number = int(text)
            if number >= _INT64 or (len(text) > 1 and text.startswith("0")):
                raise _Unsupported
            return _constant(number)
        if kind == "str":
            return _constant(text[1:-1])
        if kind == "id":
            if text == "true":
                return _constant(True)
            if text == "false":
                return _constant(False)
            if text == "null":
                return _constant(None)
            if text in _KEYWORDS or text in _RESERVED or self.take("("):
                raise _Unsupported  # `in` misplaced, reserved word, or a global function
            if text in self.constants:
                return _constant(self.constants[text])
            return _variable(text)
        if text == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        raise _Unsupported


# --- the operations -----------------------------------------------------------------------


def _constant(value: Any) -> Fast:
    return lambda env: value


def _variable(name: str) -> Fast:
    return lambda env: env.get(name, UNKNOWN)


def _select(operand: Fast, name: str) -> Fast:
    def select(env: Env) -> Any:
        value = operand(env)
        if type(value) is dict and name in value:
            return value[name]
        return UNKNOWN  # missing field, null, not a map: the library reports it

    return select


def _scalar(value: Any) -> bool:
    return type(value) in _SCALARS and not (type(value) is int and not -_INT64 <= value < _INT64)


def _equal(a: Any, b: Any) -> Any:
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if a is None or b is None:  # null equals only null; a map or a list is never null
        other = b if a is None else a
        return other is None if _scalar(other) or type(other) in (list, dict) else UNKNOWN
    if not _scalar(a) or not _scalar(b):
        return UNKNOWN
    return type(a) is type(b) and a == b


def _eq(left: Fast, right: Fast) -> Fast:
    return lambda env: _equal(left(env), right(env))


def _ne(left: Fast, right: Fast) -> Fast:
    def ne(env: Env) -> Any:
        same = _equal(left(env), right(env))
        return UNKNOWN if same is UNKNOWN else not same

    return ne


def _ordering(compare: Callable[[Any, Any], bool]) -> Callable[[Fast, Fast], Fast]:
    def build(left: Fast, right: Fast) -> Fast:
        def order(env: Env) -> Any:
            a, b = left(env), right(env)
            kind = type(a)
            if kind is not type(b) or kind not in (str, int) or not (_scalar(a) and _scalar(b)):
                return UNKNOWN
            return compare(a, b)

        return order

    return build


def _in(left: Fast, right: Fast) -> Fast:
    def contains(env: Env) -> Any:
        needle, haystack = left(env), right(env)
        if needle is UNKNOWN or not _scalar(needle):
            return UNKNOWN
        if type(haystack) is list:
            found = False
            for item in haystack:
                same = _equal(needle, item)
                if same is UNKNOWN:
                    return UNKNOWN
                found = found or same
            return found
        if type(haystack) is dict and type(needle) is str:
            return needle in haystack
        return UNKNOWN

    return contains


_RELATIONS: dict[str, Callable[[Fast, Fast], Fast]] = {
    "==": _eq,
    "!=": _ne,
    "<": _ordering(lambda a, b: a < b),
    "<=": _ordering(lambda a, b: a <= b),
    ">": _ordering(lambda a, b: a > b),
    ">=": _ordering(lambda a, b: a >= b),
    "in": _in,
}


def _not(operand: Fast) -> Fast:
    def negate(env: Env) -> Any:
        value = operand(env)
        return (not value) if type(value) is bool else UNKNOWN

    return negate


def _logical(decisive: bool) -> Callable[[Fast, Fast], Fast]:
    """`&&` (decisive: false) and `||` (decisive: true): a decisive left side is the result
    whatever the right side is (CEL absorbs its errors too); else both must be booleans."""

    def build(left: Fast, right: Fast) -> Fast:
        def logical(env: Env) -> Any:
            a = left(env)
            if a is decisive:
                return decisive
            if a is not (not decisive):
                return UNKNOWN
            b = right(env)
            return b if type(b) is bool else UNKNOWN

        return logical

    return build


_and = _logical(False)
_or = _logical(True)


def _method(name: str, receiver: Fast, argument: Fast, administrative: Callable[..., bool]) -> Fast:
    # (the receiver's type, the function): `platform.administrative(role)` on the platform
    # map, the string methods on strings; the argument is a string in every case.
    kind, method = {
        "administrative": (dict, administrative),
        "endsWith": (str, str.endswith),
        "startsWith": (str, str.startswith),
        "contains": (str, str.__contains__),
    }[name]

    def call(env: Env) -> Any:
        target, text = receiver(env), argument(env)
        if type(target) is not kind or type(text) is not str:
            return UNKNOWN
        return method(target, text)

    return call
