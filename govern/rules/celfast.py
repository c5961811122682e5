"""A fast path for simple custom-rule expressions: translate them to Python that is exact
wherever it returns, and leave every other item to the CEL library.

The `common-expression-language` binding converts every Python value it is handed into a CEL
value on every call (about 3 us per string on the benchmark machine, 10-20 us for a small
map), while evaluating a simple expression takes well under a microsecond. A pack of five
simple rules over 10,000 accounts and 58,800 grants spent seconds converting.

This module translates the common subset of CEL (identifiers, field selection, string,
integer, boolean and null literals, parentheses, `!`, `&&`, `||`, `==`, `!=`, `<`, `<=`, `>`,
`>=`, `in`, and the methods `endsWith`, `startsWith`, `contains` and `administrative`) into
one Python expression. Each operation is typed: where the types of its operands are known
when the expression is translated (the inventory's fields, literals, `today`, `params`), it
becomes the plain Python operation whose result is CEL's for those types; elsewhere a helper
checks the values at run time. Whenever CEL's result is not certain, the Python code raises
(a helper raises `Defer`; Python itself raises on `None.field` or `None < "a"`), and the
caller hands that item to the CEL library, which decides it exactly as before, errors and
all. What is certain:

- `==`/`!=` between strings, integers, booleans and null (CEL's heterogeneous equality: values
  of different types are unequal, `"a" == null` is false), and of a list or map with null;
- `<`, `<=`, `>`, `>=` between two strings or two integers;
- `!` of a boolean; `false && x` is false and `true || x` is true whatever `x` is (CEL
  absorbs errors there; Python does not evaluate `x`); otherwise both sides must be booleans;
- `x in list` over a list of such scalars, `key in map` for a string key;
- a field the value has; the string methods on strings.

Anything else (a missing field, null where a map is expected, a double, a type mismatch that
CEL reports as an error) raises, and an expression outside the subset is not translated at
all. Two sources of values: `compile_fast` reads plain maps (the values handed to the
library), `translate` with a schema reads any objects whose fields the schema describes
(govern.rules.custom reads the inventory's model objects directly, without building maps).
tests/policy/test_celfast.py checks the agreement with the library on generated expressions
and data, for both.

The Python text is made only of this module's fixed fragments, the schema's, the
identifiers of the variables the caller names, and literals written with `repr()`: nothing
of an expression's text reaches Python otherwise, so a rule can read only what CEL could.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Env = Mapping[str, Any]
Fast = Callable[[Env], Any]
# A record type's fields: name -> (Python code reading it from `{x}`, its type). Types: "str",
# "int", "bool", "null", "strs" (a list of strings), "list", "dyn" (checked at run time), or
# a record type of the schema; a trailing "?" means "or null". Every code reads `{x}` first,
# so a null record raises.
Schema = Mapping[str, Mapping[str, tuple[str, str]]]


class _Unknown:
    """CEL's result is not certain here: evaluate the item with the CEL library."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


class Defer(Exception):
    """Raised by the translated code where CEL's result is not certain."""


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
_SCALAR_TYPES = frozenset({"str", "int", "bool", "null"})
_NO_VALUE: Any = object()


class _Unsupported(Exception):
    """The expression is outside the subset."""


@dataclass(frozen=True)
class _Node:
    code: str  # a Python expression
    type: str
    value: Any = _NO_VALUE  # known when translating (literals, `today`, `params`)


def _base(kind: str) -> str:
    return kind.rstrip("?")


# --- run-time checks: each returns CEL's result or raises Defer -----------------------------


def _scalar(value: Any) -> bool:
    kind = type(value)
    return (
        kind is str or kind is bool or value is None or (kind is int and -_INT64 <= value < _INT64)
    )


def _defer() -> Any:
    raise Defer


def _eq(a: Any, b: Any) -> bool:
    if a is None or b is None:  # null equals only null; a map or a list is never null
        other = b if a is None else a
        if _scalar(other) or type(other) in (list, tuple, dict):
            return other is None
        raise Defer
    if _scalar(a) and _scalar(b):
        return type(a) is type(b) and a == b
    raise Defer


def _ordered(a: Any, b: Any) -> None:
    kind = type(a)
    if kind is not type(b) or kind not in (str, int) or not (_scalar(a) and _scalar(b)):
        raise Defer


def _lt(a: Any, b: Any) -> bool:
    _ordered(a, b)
    return bool(a < b)


def _le(a: Any, b: Any) -> bool:
    _ordered(a, b)
    return bool(a <= b)


def _gt(a: Any, b: Any) -> bool:
    _ordered(a, b)
    return bool(a > b)


def _ge(a: Any, b: Any) -> bool:
    _ordered(a, b)
    return bool(a >= b)


def _in(needle: Any, haystack: Any) -> bool:
    if not _scalar(needle):
        raise Defer
    kind = type(haystack)
    if kind is list or kind is tuple:
        found = False
        for item in haystack:
            found = _eq(needle, item) or found  # every item: one uncertain item defers
        return found
    if kind is dict and type(needle) is str:
        return needle in haystack
    raise Defer


def _bool(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise Defer


def _not(value: Any) -> bool:
    if type(value) is bool:
        return not value
    raise Defer


def _sel(value: Any, name: str) -> Any:
    if type(value) is dict and name in value:
        return value[name]
    raise Defer  # missing field, null, not a map: the library reports it


def _strings(a: Any, b: Any) -> None:
    if type(a) is not str or type(b) is not str:
        raise Defer


def _ends(a: Any, b: Any) -> bool:
    _strings(a, b)
    return bool(a.endswith(b))


def _starts(a: Any, b: Any) -> bool:
    _strings(a, b)
    return bool(a.startswith(b))


def _contains(a: Any, b: Any) -> bool:
    _strings(a, b)
    return b in a


def helpers(administrative: Callable[[Any, Any], bool]) -> dict[str, Any]:
    """The names the translated code uses; `administrative` is `platform.administrative`
    (called with the platform map and a string)."""

    def admin(platform: Any, role: Any) -> bool:
        if type(platform) is not dict or type(role) is not str:
            raise Defer
        return administrative(platform, role)

    return {
        "_defer": _defer, "_eq": _eq, "_lt": _lt, "_le": _le, "_gt": _gt, "_ge": _ge,
        "_in": _in, "_bool": _bool, "_not": _not, "_sel": _sel, "_ends": _ends,
        "_starts": _starts, "_contains": _contains, "_admin": admin,
    }  # fmt: skip


# --- translation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Translation:
    code: str  # one Python expression; it raises where CEL's result is not certain
    scope: dict[str, Any]  # the constants it refers to by name (besides `helpers()`)
    type: str  # the type of its value


def translate(
    source: str,
    variables: Mapping[str, tuple[str, str]],
    constants: Env,
    schema: Schema | None = None,
    prefix: str = "_k",
) -> Translation | None:
    """`source` as Python, or None when the expression is outside the subset. `variables`:
    name -> (Python code, type); `constants`: variables with the same value for every item
    (`today`, `params`), referred to by names starting with `prefix`."""
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
        parser = _Parser(tokens, variables, constants, schema or {}, prefix)
        node = parser.expression()
        if parser.at < len(tokens):
            return None
        compile(node.code, "<cel>", "eval")  # Python's own limits (nesting depth)
    except (_Unsupported, IndexError, RecursionError, SyntaxError, MemoryError):
        return None
    return Translation(node.code, parser.scope, node.type)


def compile_fast(
    source: str, administrative: Callable[[Any, Any], bool], constants: Env
) -> Fast | None:
    """A function of the plain maps (`env`: variable -> value) returning CEL's result of
    `source`, or UNKNOWN where it is not certain; None when the expression is outside the
    subset. `administrative` is the rule's `platform.administrative`; `constants` are
    variables with the same value for every item (`today`, `params`)."""
    names = set(re.findall(r"[A-Za-z_]\w*", source)) - set(constants)
    variables = {name: (f"env[{name!r}]", "dyn") for name in names}
    translated = translate(source, variables, constants)
    if translated is None:
        return None
    scope = {**helpers(administrative), **translated.scope}
    function: Fast = eval(f"lambda env: {translated.code}", scope)

    def fast(env: Env) -> Any:
        try:
            return function(env)
        except Exception:  # Defer, or Python's own error on an uncertain case
            return UNKNOWN

    return fast


def _typed(value: Any) -> str:
    """The type of a constant."""
    if value is None:
        return "null"
    if type(value) in (str, bool):
        return type(value).__name__
    if type(value) is int and -_INT64 <= value < _INT64:
        return "int"
    if type(value) is list and all(type(item) is str for item in value):
        return "strs"
    return "dyn"


class _Parser:
    def __init__(
        self,
        tokens: list[tuple[str, str]],
        variables: Mapping[str, tuple[str, str]],
        constants: Env,
        schema: Schema,
        prefix: str,
    ):
        self.prefix = prefix
        self.tokens = tokens
        self.variables = variables
        self.constants = constants
        self.schema = schema
        self.scope: dict[str, Any] = {}
        self.at = 0

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

    def constant(self, value: Any) -> _Node:
        if _typed(value) in _SCALAR_TYPES:
            return _Node(repr(value), _typed(value), value)
        name = f"{self.prefix}{len(self.scope)}"
        self.scope[name] = value
        return _Node(name, _typed(value), value)

    # expression := or ; `?:` is not in the subset
    def expression(self) -> _Node:
        return self.disjunction()

    def disjunction(self) -> _Node:
        left = self.conjunction()
        while self.take("||"):
            left = _logical("or", left, self.conjunction())
        return left

    def conjunction(self) -> _Node:
        left = self.relation()
        while self.take("&&"):
            left = _logical("and", left, self.relation())
        return left

    def relation(self) -> _Node:
        left = self.unary()
        while True:
            token = self.peek()
            if token is None or token[1] not in ("==", "!=", "<", "<=", ">", ">=", "in"):
                return left
            if token[0] == "str":
                return left
            self.at += 1
            left = _relation(token[1], left, self.unary())

    def unary(self) -> _Node:
        if self.take("!"):
            operand = self.unary()
            if operand.type == "bool":
                return _Node(f"(not {operand.code})", "bool")
            return _Node(f"_not({operand.code})", "bool")
        return self.member()

    def member(self) -> _Node:
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
                value = _method(name, value, argument)
            else:
                value = self.select(value, name)
        return value

    def select(self, value: _Node, name: str) -> _Node:
        if value.value is not _NO_VALUE:  # a field of a constant: known now
            if type(value.value) is dict and name in value.value:
                return self.constant(value.value[name])
            return _Node("_defer()", "dyn")
        fields = self.schema.get(_base(value.type))
        if fields is not None:
            found = fields.get(name)
            if found is None:
                return _Node("_defer()", "dyn")  # no such field
            code, kind = found
            return _Node(code.format(x=value.code), kind)
        if value.type == "dyn":
            return _Node(f"_sel({value.code}, {name!r})", "dyn")
        return _Node("_defer()", "dyn")  # a field of a string, a list, null

    def primary(self) -> _Node:
        kind, text = self.tokens[self.at]
        self.at += 1
        if kind == "num":
            number = int(text)
            if number >= _INT64 or (len(text) > 1 and text.startswith("0")):
                raise _Unsupported
            return self.constant(number)
        if kind == "str":
            return self.constant(text[1:-1])
        if kind == "id":
            if text in ("true", "false", "null"):
                return self.constant({"true": True, "false": False, "null": None}[text])
            if text in _KEYWORDS or text in _RESERVED or self.take("("):
                raise _Unsupported  # `in` misplaced, reserved word, or a global function
            if text in self.constants:
                return self.constant(self.constants[text])
            if text not in self.variables:
                raise _Unsupported
            code, type_ = self.variables[text]
            return _Node(code, type_)
        if text == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        raise _Unsupported


# --- the operations -----------------------------------------------------------------------

_ORDER = {"<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}


def _relation(op: str, left: _Node, right: _Node) -> _Node:
    a, b = left.code, right.code
    ta, tb = _base(left.type), _base(right.type)
    if op in ("==", "!="):
        if (ta == "null" and tb != "dyn") or (tb == "null" and ta != "dyn"):
            # null equals only null; a string, a record or a list of a known type never is
            other = right if ta == "null" else left
            if other.value is not _NO_VALUE:  # a literal: decided now
                return _Node(repr((other.value is None) is (op == "==")), "bool")
            return _Node(f"({other.code} is {'' if op == '==' else 'not '}None)", "bool")
        if ta == tb and ta in ("str", "int", "bool"):  # None (a nullable one) is unequal too
            return _Node(f"({a} {op} {b})", "bool")
        return _Node(f"({'' if op == '==' else 'not '}_eq({a}, {b}))", "bool")
    if op in _ORDER:
        # Python raises on None < "a", as CEL does on null: the library then decides.
        if ta == tb and ta in ("str", "int"):
            return _Node(f"({a} {op} {b})", "bool")
        return _Node(f"{_ORDER[op]}({a}, {b})", "bool")
    # in: Python's `in` over strings compares as CEL does (heterogeneous values unequal)
    if right.type == "strs" and ta in _SCALAR_TYPES:
        return _Node(f"({a} in {b})", "bool")
    return _Node(f"_in({a}, {b})", "bool")


def _logical(op: str, left: _Node, right: _Node) -> _Node:
    """`&&` and `||`: Python's `and`/`or` over booleans; a decisive left side is the result
    and the right side is not evaluated (CEL absorbs its errors there)."""
    a = left.code if left.type == "bool" else f"_bool({left.code})"
    b = right.code if right.type == "bool" else f"_bool({right.code})"
    return _Node(f"({a} {op} {b})", "bool")


def _method(name: str, receiver: _Node, argument: _Node) -> _Node:
    a, b = receiver.code, argument.code
    if name == "administrative":
        return _Node(f"_admin({a}, {b})", "bool")
    if _base(receiver.type) == "str" and _base(argument.type) == "str":
        # None.endswith(...) and "a".endswith(None) raise, as CEL errors on null
        if name == "contains":
            return _Node(f"({b} in {a})", "bool")
        return _Node(f"{a}.{name[:-4].lower()}with({b})", "bool")
    helper = {"endsWith": "_ends", "startsWith": "_starts", "contains": "_contains"}[name]
    return _Node(f"{helper}({a}, {b})", "bool")
