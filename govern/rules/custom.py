"""Custom rules: `custom_rules:` in the policy pack, each a CEL expression that is true for a
violation (https://cel.dev, through the `common-expression-language` package).

A custom rule is evaluated on every item of one kind (`for: account | grant | person |
entity`) with these variables, plain maps of the inventory's fields:

- `account`: its fields, `entity` resolved to the entity (with `head` resolved to the person)
  and `access` a list of grants; for `grant` rules, the account the grant is on.
- `grant`: `role`, `expires`, `note`, and `person` resolved to the person.
- `person`: its fields (`status`, `level`, `email`, `tags`, ...).
- `entity`: its fields, `head` resolved to the person, `it` a list of people.
- `platform`: the catalog entry of the account's platform (`key`, `name`, `login`,
  `roles`); `platform.administrative(role)` says whether a role is administrative there.
- `today`: the audit's day, and every date, as an ISO string `YYYY-MM-DD` (so they compare
  as strings do); `params`: the rule's `params` (dates in them are ISO strings too).

Expressions are compiled once, when the policy pack loads; a syntax error or an unknown
variable is reported at its position in the policy file. CEL has no I/O: an expression can
read only the variables above and call CEL's standard functions, so it can touch neither the
file system nor the network. Cost is bounded by the expression's length and by the number of
comprehension macros (`all`, `exists`, `map`, ...) it may nest.

Speed: an expression in CEL's common subset is translated to Python that reads the model
objects directly (govern.rules.celfast, typed by `_TYPED` below), and the pack's translated
rules run in one pass over the inventory; the CEL library evaluates every other expression,
and every item where the translation is not certain of CEL's result, on the maps above.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from govern.errors import UsageError
from govern.findings import Location, Pointer, Severity, Violation
from govern.inventory.model import Account, Grant
from govern.platforms import Platform
from govern.rules._base import Context, RuleParams
from govern.rules.celfast import _INT64, UNKNOWN, Translation, helpers, translate

Kind = Literal["account", "grant", "person", "entity"]
KINDS: tuple[Kind, ...] = ("account", "grant", "person", "entity")
# Variables by kind; `today` and `params` always.
VARIABLES: dict[Kind, frozenset[str]] = {
    "account": frozenset({"account", "platform", "today", "params"}),
    "grant": frozenset({"grant", "account", "platform", "today", "params"}),
    "person": frozenset({"person", "today", "params"}),
    "entity": frozenset({"entity", "today", "params"}),
}
MAX_LENGTH = 2000  # characters of one expression
MAX_MACROS = 4  # comprehension macros in one expression (each may nest over a list)
_MACRO = re.compile(r"\.\s*(all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}")
# CEL's standard functions (the spec's, as the Rust implementation provides them) and ours.
# Anything else is refused when the rule loads: an expression calls nothing that could read
# a file or the network.
FUNCTIONS = frozenset(
    {
        "size", "contains", "startsWith", "endsWith", "matches", "int", "uint", "double",
        "string", "bytes", "bool", "timestamp", "duration", "dyn", "type", "max", "min",
        "getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear",
        "getHours", "getMinutes", "getSeconds", "getMilliseconds", "administrative",
    }
)  # fmt: skip
_WORD = re.compile(r"[A-Za-z_]\w*")
_CEL_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*?)\n", re.S)


def _load_cel() -> ModuleType:
    """The Rust extension of `common-expression-language` alone: the package's `__init__`
    also imports its interactive CLI (prompt_toolkit, pygments), which costs more start-up
    time than evaluating five rules over 10,000 accounts. Falls back to `import cel`."""
    try:
        spec = importlib.util.find_spec("cel")
        if spec is None or spec.origin is None:
            raise ImportError("cel")
        library = next(
            p
            for p in Path(spec.origin).parent.iterdir()
            if p.name.startswith("cel.") and p.suffix in (".so", ".pyd")
        )
        ext = importlib.util.spec_from_file_location("cel.cel", library)
        if ext is None or ext.loader is None:
            raise ImportError("cel.cel")
        module = importlib.util.module_from_spec(ext)
        ext.loader.exec_module(module)
        return module
    except (ImportError, StopIteration, OSError):
        import cel

        return cel


_LIBRARY: list[ModuleType] = []


def library() -> ModuleType:
    """The CEL library, loaded on first use: a pack whose expressions are all in the subset
    that govern.rules.celfast translates, with plain `params`, never needs it (loading it
    takes 20-35 ms, a tenth of what five rules add to an audit of 10,000 accounts)."""
    if not _LIBRARY:
        _LIBRARY.append(_load_cel())
    return _LIBRARY[0]


def __getattr__(name: str) -> Any:
    if name == "cel":  # `from govern.rules.custom import cel`: the library
        return library()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class CustomParams(RuleParams):
    """A custom rule's params are free-form (its expression reads them as `params`)."""


@dataclass(frozen=True)
class CompileError(Exception):
    """An expression that does not compile: 1-based line and column within the expression."""

    line: int
    column: int
    message: str
    hint: str | None = None


@dataclass
class CustomRule:
    """A compiled custom rule; it has the shape of a rule module (`ID`, `SEVERITY`, `Params`,
    `check`), so the audit runs it like a built-in rule."""

    ID: str
    SEVERITY: Severity
    kind: Kind
    description: str
    when: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    where: Location | None = None  # of `when` in the policy file
    Params: type[RuleParams] = CustomParams

    def __post_init__(self) -> None:
        self.__doc__ = self.description
        self.params = _iso_dates(self.params)
        # An expression in the translated subset is valid CEL over the kind's variables
        # (tests/policy/test_celfast.py checks it against the library): the library compiles
        # it only when an item needs it. Any other expression is compiled now, and its
        # errors are reported when the policy loads.
        self._compiled: Any = None
        if not _in_subset(self.when, self.kind, self.params):
            self._compiled = compile_expression(self.when, self.kind)
        check_template(self.message, self.kind)

    @property
    def program(self) -> Any:
        """The library's compiled expression."""
        if self._compiled is None:
            self._compiled = compile_expression(self.when, self.kind)
        return self._compiled

    @cached_property
    def used(self) -> frozenset[str]:
        """The variables the expression reads."""
        return frozenset(self.program.variables())

    def names(self) -> set[str]:
        """Every field name the expression could read (identifiers and the words of string
        literals): the inventory maps handed to CEL keep only these keys."""
        return set(_WORD.findall(self.when))

    def check(self, ctx: Context, params: Any) -> Iterator[Violation]:
        # The binding converts every node it is given on every call, which costs far more
        # than evaluating: an expression in CEL's common subset is translated to Python that
        # reads the inventory's model objects directly (govern.rules.celfast), and the items
        # where CEL's result is not certain go to the library with maps cut to the names the
        # pack uses, once per distinct set of cut maps. Messages are built only for findings.
        base = {"today": ctx.today.isoformat(), "params": self.params}
        memo: dict[str, Any] = {}
        decided = _decided(ctx, self)
        if decided is None:
            places, envs = cel_values(ctx, _keep(ctx, self)).items(self.kind)
            outcomes: Iterator[tuple[Place, Any]] = (
                (place, self._library(ctx, place, env, base, memo))
                for place, env in zip(places, envs, strict=True)
            )
        else:
            outcomes = self._decide(ctx, decided, base, memo)
        found = _Found(ctx, _Message(self.message, self.kind), base)
        for place, result in outcomes:
            if result is True:
                yield found(place)

    def _decide(
        self, ctx: Context, decided: Decided, base: dict[str, Any], memo: dict[str, Any]
    ) -> Iterator[tuple[Place, Any]]:
        """Findings of the Python code; the items it left (fired False) go to the library."""
        values: CelValues | None = None
        for i, j, fired in decided:
            place: Place = (self.kind, i, j)
            if fired:
                yield place, True
                continue
            if values is None:
                values = cel_values(ctx, _keep(ctx, self))
            yield place, self._library(ctx, place, values.variables(*place), base, memo)

    def _library(
        self,
        ctx: Context,
        place: Place,
        found: dict[str, Any],
        base: dict[str, Any],
        memo: dict[str, Any],
    ) -> Any:
        """The CEL library's result on one item (`found`: its cut maps), memoized by value."""
        variables = {k: v for k, v in found.items() if k in self.used}
        key = repr(variables)
        result = memo.get(key, UNKNOWN)
        if result is UNKNOWN:
            try:
                cel = library()
                context = cel.Context({**base, **variables}, {"administrative": _administrative})
                result = self.program.execute(context)
            except Exception as exc:  # the binding's errors are plain Python exceptions
                raise EvaluationError(self, _refs(ctx, place), exc) from None
            memo[key] = result
        return result


class EvaluationError(UsageError):
    """An expression that failed on an item (a type mismatch, a missing field): exit 2 at
    the expression's position."""

    def __init__(self, rule: CustomRule, refs: Mapping[str, str | None], exc: Exception) -> None:
        item = ", ".join(f"{k} {v}" for k, v in refs.items() if v)
        where = f"{rule.where}: " if rule.where else ""
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        super().__init__(
            f"{where}custom rule '{rule.ID}' failed on {item}: {detail}",
            hint="guard optional fields with has() or `!= null`; CEL never converts types",
        )


def _administrative(platform: Any, role: Any) -> bool:
    roles = platform.get("roles", {}) if isinstance(platform, dict) else {}
    spec = roles.get(role)
    return bool(spec and spec.get("administrative"))


def compile_expression(source: str, kind: Kind) -> Any:
    """Compile once; raise `CompileError` for syntax errors, unknown variables, and
    expressions over the cost bounds."""
    if len(source) > MAX_LENGTH:
        raise CompileError(1, 1, f"expression longer than {MAX_LENGTH} characters")
    macros = _MACRO.findall(source)
    if len(macros) > MAX_MACROS:
        raise CompileError(
            1, 1, f"more than {MAX_MACROS} comprehension macros (all/exists/map/filter)"
        )
    try:
        program = library().compile(source)
    except ValueError as exc:
        match = _CEL_POSITION.search(str(exc) + "\n")
        if match is None:
            raise CompileError(1, 1, str(exc).splitlines()[0]) from None
        raise CompileError(int(match[1]), int(match[2]), match[3].strip()) from None
    for name in program.functions():
        if name[:1] not in ("_", "@", "!") and name not in FUNCTIONS:
            line, column = _position(source, name, rf"\b{re.escape(name)}\s*\(")
            raise CompileError(
                line,
                column,
                f"unknown function '{name}'",
                "CEL's standard functions and platform.administrative(role)",
            )
    bound = {name for _, name in macros}
    allowed = VARIABLES[kind]
    for name in program.variables():
        if name not in allowed and name not in bound:
            line, column = _position(source, name)
            raise CompileError(
                line,
                column,
                f"unknown variable '{name}' in a rule for {kind}",
                "variables: " + ", ".join(sorted(allowed)),
            )
    return program


def check_template(template: str, kind: Kind) -> None:
    allowed = VARIABLES[kind]
    for match in _PLACEHOLDER.finditer(template):
        root = match[1].split(".")[0]
        if root not in allowed:
            raise CompileError(
                1,
                match.start() + 1,
                f"unknown variable '{root}' in the message",
                "variables: " + ", ".join(sorted(allowed)),
            )


def render(template: str, variables: Mapping[str, Any]) -> str:
    """`{account.id}`-style placeholders, read from the rule's variables."""
    return _PLACEHOLDER.sub(lambda match: _shown(_lookup(variables, match[1])), template)


def _lookup(variables: Mapping[str, Any], path: str) -> Any:
    current: Any = variables
    for step in path.split("."):
        current = current.get(step) if isinstance(current, dict) else None
    return current


def _shown(value: Any) -> str:
    """A value in a message: a map prints its `id`, null prints `null`."""
    if isinstance(value, dict) and "id" in value:
        value = value["id"]
    return "null" if value is None else str(value)


def _position(source: str, name: str, pattern: str | None = None) -> tuple[int, int]:
    match = re.search(pattern or rf"(?<![\w.]){re.escape(name)}\b", source)
    if match is None:
        return 1, 1
    before = source[: match.start()]
    return before.count("\n") + 1, match.start() - (before.rfind("\n") + 1) + 1


# --- the inventory as CEL values ------------------------------------------------------------

Refs = dict[str, str | None]


@dataclass
class CelValues:
    """Plain maps of the inventory, built once per audit and shared by every custom rule.
    With `keep`, maps hold only those keys (the names the pack's expressions use): CEL
    converts every node of every value it is given, so less is faster. Each map is built
    once (a grant's or an account's too) and only with the fields kept."""

    ctx: Context
    keep: frozenset[str] | None = None
    _people: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    _entities: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    _platforms: dict[str, dict[str, Any]] = field(default_factory=dict)
    _accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    _grants: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    _items: dict[Kind, tuple[list[Place], list[dict[str, Any]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._builders = {kind: _builder(fields, self.keep) for kind, fields in _FIELDS.items()}

    def _map(self, kind: str, item: Any) -> dict[str, Any]:
        return self._builders[kind](self, item)

    def person(self, person_id: str) -> dict[str, Any] | None:
        found = self._people.get(person_id, _MISSING)
        if found is _MISSING:
            person = self.ctx.people.get(person_id)
            found = self._people[person_id] = (
                None if person is None else self._map("person", person)
            )
        return found

    def entity(self, entity_id: str) -> dict[str, Any] | None:
        found = self._entities.get(entity_id, _MISSING)
        if found is _MISSING:
            entity = self.ctx.entities.get(entity_id)
            found = self._entities[entity_id] = (
                None if entity is None else self._map("entity", entity)
            )
        return found

    def platform(self, key: str) -> dict[str, Any]:
        value = self._platforms.get(key)
        if value is None:
            value = self._platforms[key] = _platform(key, self.ctx.catalog.platforms[key])
        return value

    def grant(self, grant: Grant) -> dict[str, Any]:
        return self._map("grant", grant)

    def account(self, account: Account) -> dict[str, Any]:
        return self._map("account", account)

    def items(self, kind: Kind) -> tuple[list[Place], list[dict[str, Any]]]:
        """Every item of `kind` and its variables (without `today` and `params`), built once
        per audit and shared by the rules for that kind."""
        found = self._items.get(kind)
        if found is not None:
            return found
        inventory = self.ctx.inventory
        places: list[Place] = []
        envs: list[dict[str, Any]] = []
        if kind == "person":
            person = self.person
            for i, item in enumerate(inventory.people):
                places.append((kind, i, None))
                envs.append({"person": person(item.id)})
        elif kind == "entity":
            entity = self.entity
            for i, unit in enumerate(inventory.entities):
                places.append((kind, i, None))
                envs.append({"entity": entity(unit.id)})
        else:
            grant_map = self._builders["grant"]
            for i, account in enumerate(inventory.accounts):
                value = self._accounts.get(i)
                if value is None:
                    value = self._accounts[i] = self.account(account)
                platform = self.platform(account.platform)
                if kind == "account":
                    places.append((kind, i, None))
                    envs.append({"account": value, "platform": platform})
                    continue
                for j, grant in enumerate(account.access):
                    places.append((kind, i, j))
                    envs.append(
                        {"account": value, "platform": platform, "grant": grant_map(self, grant)}
                    )
        found = self._items[kind] = (places, envs)
        return found

    def variables(self, kind: Kind, index: int, sub: int | None) -> dict[str, Any]:
        """The variables of one item (full maps when `keep` is None: for messages)."""
        inventory = self.ctx.inventory
        if kind == "person":
            return {"person": self.person(inventory.people[index].id)}
        if kind == "entity":
            return {"entity": self.entity(inventory.entities[index].id)}
        account = inventory.accounts[index]
        value = self._accounts.get(index)
        if value is None:
            value = self._accounts[index] = self.account(account)
        found = {"account": value, "platform": self.platform(account.platform)}
        if kind == "grant" and sub is not None:
            grant = self._grants.get((index, sub))
            if grant is None:
                grant = self._grants[index, sub] = self.grant(account.access[sub])
            found["grant"] = grant
        return found


Place = tuple[Kind, int, int | None]
_MISSING: dict[str, Any] = {}  # a marker: "not built yet" (never stored)


def _refs(ctx: Context, place: Place) -> Refs:
    """Whom an evaluation error on `place` is about."""
    found = _Found(ctx, None, {})(place)
    return {"account": found.account, "person": found.person, "entity": found.entity}


class _Found:
    """The violations of one rule: for an item, its message, pointer and whom it is about.
    What every finding shares is looked up once, and the violation's fields are set
    directly, as `findings.located` does: a pack may find thousands."""

    def __init__(self, ctx: Context, message: _Message | None, base: dict[str, Any]) -> None:
        inventory = ctx.inventory
        self.ctx, self.message, self.base = ctx, message, base
        self.accounts, self.people, self.entities = (
            inventory.accounts,
            inventory.people,
            inventory.entities,
        )
        self.lookups = (ctx.people.get, ctx.entities.get)
        self.platform = (
            cel_values(ctx, None).platform if message is not None and message.platform else None
        )

    def __call__(self, place: Place) -> Violation:
        kind, i, j = place
        account = grant = platform = person = entity = None
        refs: tuple[str | None, str | None, str | None]
        if kind == "person":
            pointer: Pointer = ("people", i)
            person = self.people[i]
            refs = (None, person.id, None)
        elif kind == "entity":
            pointer = ("entities", i)
            entity = self.entities[i]
            refs = (None, None, entity.id)
        else:
            account = self.accounts[i]
            if self.platform is not None:
                platform = self.platform(account.platform)
            if j is None:
                pointer = ("accounts", i)
                refs = (account.id, None, account.entity)
            else:
                pointer = ("accounts", i, "access", j)
                grant = account.access[j]
                refs = (account.id, grant.person, None)
        text = ""
        if self.message is not None:
            args = (*self.lookups, account, grant, platform, person, entity)
            text = self.message.render(self.ctx, place, self.base, args)
        found = _new(Violation)
        found.__dict__.update(
            message=text,
            pointer=pointer,
            account=refs[0],
            person=refs[1],
            entity=refs[2],
            severity=None,
            location=None,
        )
        return found


_new = object.__new__


def cel_values(ctx: Context, keep: frozenset[str] | None) -> CelValues:
    """The audit's values cut to `keep` (None: full maps, for messages), built once."""
    cache: dict[frozenset[str] | None, CelValues] = ctx.__dict__.setdefault("_cel_values", {})
    found = cache.get(keep)
    if found is None:
        found = cache[keep] = CelValues(ctx, keep)
    return found


def release_values(ctx: Context) -> None:
    """Drop the maps `cel_values` built for this audit. They refer back to `ctx` (a cycle), so
    without this some 200,000 dicts would wait for, and slow down, the cyclic collector."""
    ctx.__dict__.pop("_cel_values", None)
    ctx.__dict__.pop("_cel_decided", None)


def _iso_dates(value: Any) -> Any:
    """`params` as the expression sees them: a date written unquoted in YAML (`since:
    2026-01-01`) becomes its ISO string, like every other date the expression reads."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _iso_dates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso_dates(item) for item in value]
    return value


def _date(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def _credential(account: Account) -> dict[str, Any] | None:
    credential = account.credential
    if credential is None:
        return None
    return {
        "ref": account.credential_ref,
        "mfa": credential.mfa,
        "recovery_email": credential.recovery_email,
    }


# Each map's fields, in order: key -> a Python expression reading it from the model `x`
# (`v` is the CelValues). Fixed text: the expressions' own words only choose which keys.
_FIELDS: dict[str, dict[str, str]] = {
    "person": {
        "id": "x.id",
        "name": "x.name",
        "email": "x.email",
        "level": "x.level",
        "status": "x.status",
        "departed": "x.departed",
        "left_on": "_date(x.left_on)",
        "trained_on": "_date(x.trained_on)",
        "tags": "list(x.tags)",
    },
    "entity": {
        "id": "x.id",
        "name": "x.name",
        "head": "v.person(x.head)",
        "it": "[v.person(p) for p in x.it]",
        "tags": "list(x.tags)",
    },
    "grant": {
        "person": "v.person(x.person)",
        "role": "x.role",
        "expires": "_date(x.expires)",
        "note": "x.note",
    },
    "account": {
        "id": "x.id",
        "entity": "v.entity(x.entity)",
        "platform": "x.platform",
        "handle": "x.handle",
        "url": "x.url",
        "platform_id": "x.platform_id",
        "credential": "_credential(x)",
        "shared": "x.credential is not None",
        "tags": "list(x.tags)",
        "access": "[v.grant(g) for g in x.access]",
    },
}


def _builder(
    fields: dict[str, str], keep: frozenset[str] | None
) -> Callable[[CelValues, Any], dict[str, Any]]:
    """One function building a map with the kept fields: a single dict display, about five
    times faster than a loop over per-field getters on 100,000 items."""
    body = ", ".join(
        f"{key!r}: {code}" for key, code in fields.items() if keep is None or key in keep
    )
    scope = {"_date": _date, "_credential": _credential}
    built: Callable[[CelValues, Any], dict[str, Any]] = eval(f"lambda v, x: {{{body}}}", scope)
    return built


def _platform(key: str, platform: Platform) -> dict[str, Any]:
    return {
        "key": key,
        "name": platform.name,
        "login": platform.login,
        "roles": {
            role: {"label": spec.label, "administrative": spec.administrative}
            for role, spec in platform.roles.items()
        },
    }


def _keep(ctx: Context, rule: CustomRule) -> frozenset[str]:
    """One cut for the whole pack (every map is built once per audit): the names its
    expressions use."""
    names = (name for other in (rule, *ctx.custom.values()) for name in other.names())
    return frozenset({"roles", "administrative", *names})


# --- the inventory's model objects, read directly -------------------------------------------

# The same fields as the maps above (`_FIELDS`), read from the model objects without building
# maps: name -> (Python code reading the field of `{x}`, its type; see govern.rules.celfast).
# A record type's value is the model object (a `Credential` is its account, whose
# `credential_ref` is the map's `ref`; a `Platform` is the platform's map). `_person` and
# `_entity` look ids up as the maps do (null for an unknown id).
_STR = "{x}.%s"
_TYPED: dict[str, dict[str, tuple[str, str]]] = {
    "Person": {
        **{key: (_STR % key, "str") for key in ("id", "name", "email", "level", "status")},
        "departed": ("{x}.departed", "bool"),
        "left_on": ("_date({x}.left_on)", "str?"),
        "trained_on": ("_date({x}.trained_on)", "str?"),
        "tags": ("{x}.tags", "strs"),
    },
    "Entity": {
        "id": ("{x}.id", "str"),
        "name": ("{x}.name", "str"),
        "head": ("_person({x}.head)", "Person?"),
        "it": ("[_person(p) for p in {x}.it]", "list"),
        "tags": ("{x}.tags", "strs"),
    },
    "Grant": {
        "person": ("_person({x}.person)", "Person?"),
        "role": ("{x}.role", "str"),
        "expires": ("_date({x}.expires)", "str?"),
        "note": ("{x}.note", "str?"),
    },
    "Account": {
        **{key: (_STR % key, "str") for key in ("id", "platform", "handle")},
        "entity": ("_entity({x}.entity)", "Entity?"),
        "url": ("{x}.url", "str?"),
        "platform_id": ("{x}.platform_id", "str?"),
        "credential": ("_login({x})", "Credential?"),
        "shared": ("({x}.credential is not None)", "bool"),
        "tags": ("{x}.tags", "strs"),
        "access": ("{x}.access", "list"),
    },
    "Credential": {
        "ref": ("{x}.credential_ref", "str"),
        "mfa": ("{x}.credential.mfa", "bool"),
        "recovery_email": ("{x}.credential.recovery_email", "str?"),
    },
    "Platform": {key: (f"{{x}}[{key!r}]", "str") for key in ("key", "name", "login")}
    | {"roles": ("{x}['roles']", "dyn")},
}
# A grant rule that reads nothing of the grant but its person (`grant.person.email ...`) is
# decided once per person, and each grant looks its person's outcome up: a grant's person is
# otherwise reached through a lookup and a model object scattered in memory, for each of the
# inventory's 58,800 grants, by every such rule. Any other field of the grant, and the grant
# itself as a value, translate to `_GRANT_FIELD`, which marks the rule as not one of these.
_GRANT_FIELD = "_grant_field_"
_PERSON_GRANT: dict[str, tuple[str, str]] = {
    **{name: (_GRANT_FIELD, kind) for name, (_, kind) in _TYPED["Grant"].items()},
    "person": ("person", "Person?"),
}
_TYPED["PersonGrant"] = _PERSON_GRANT
_ROOTS: dict[str, str] = {
    "account": "Account",
    "grant": "Grant",
    "person": "Person",
    "entity": "Entity",
    "platform": "Platform",
}


def _model_variables(kind: Kind) -> dict[str, tuple[str, str]]:
    """The variables of a rule for `kind` that translated code reads from model objects:
    name -> (its Python name, its type in `_TYPED`)."""
    return {name: (name, _ROOTS[name]) for name in VARIABLES[kind] if name in _ROOTS}


def _login(account: Account) -> Account | None:
    """`account.credential`: the account itself stands for its shared login, or null."""
    return account if account.credential is not None else None


# All the pack's translated rules run in one pass over the inventory (one loop over the
# accounts and their grants, one over people, one over entities): the rules of a kind share
# the memory they touch. `{n}` numbers the rules; where a rule's code is true the item is a
# finding, where it raises CEL's result is not certain and the library decides.
_BLOCK = """\
try:
    if {test}:
        _add{n}(({place}, True))
except Exception:
    _add{n}(({place}, False))
"""
# A grant rule decided per person (see `_PERSON_GRANT`): the outcomes of the people with one
# (True: a finding, False: the library decides; the last person of an id counts), then each
# grant's. Only those people are kept: a grant looks its person up in a map of the few that
# matter, not of every person (a lookup there is a string comparison in memory far away, for
# each of 58,800 grants). A grant whose person is not in the inventory is left to the
# library, unless the context says every reference resolves (`Context.references_checked`).
_PER_PERSON = """\
try:
    if {test}:
        _per{n}[person.id] = True
    elif _per{n} and person.id in _per{n}:
        del _per{n}[person.id]
except Exception:
    _per{n}[person.id] = False
"""
_FROM_PERSON = """\
if _per{n}:
    _r = _per{n}.get(grant.person)
    if _r is not None:
        _add{n}((_i, _j, _r))
"""
_FROM_PERSON_UNCHECKED = """\
_r = _per{n}.get(grant.person)
if _r is not None:
    _add{n}((_i, _j, _r))
elif grant.person not in _known:
    _add{n}((_i, _j, False))
"""
_LOOPS: dict[str, tuple[str, str]] = {  # kind -> (loop header, place)
    "account": (
        "for _i, account in enumerate(ctx.inventory.accounts):\n",
        "_i, None",
    ),
    "grant": ("for _j, grant in enumerate(account.access):\n", "_i, _j"),
    "person": ("for _i, person in enumerate(ctx.inventory.people):\n", "_i, None"),
    "entity": ("for _i, entity in enumerate(ctx.inventory.entities):\n", "_i, None"),
}
Decided = list[tuple[int, int | None, bool]]


def _decided(ctx: Context, rule: CustomRule) -> Decided | None:
    """What the Python translation of `rule` decided on every item of its kind: (index,
    sub-index, True) for a finding, (..., False) for an item the library must decide. None
    when the rule is outside the subset, or when the library cannot take its `today` and
    `params` (then every item goes to it, and fails as it would have). The whole pack runs
    once per audit, at its first rule."""
    cache: dict[int, Decided | None] | None = ctx.__dict__.get("_cel_decided")
    if cache is None or id(rule) not in cache:
        rules = [r for r in {**ctx.custom, rule.ID: rule}.values() if isinstance(r, CustomRule)]
        cache = ctx.__dict__["_cel_decided"] = _run_pack(ctx, rules)
    return cache[id(rule)]


def _run_pack(ctx: Context, rules: list[CustomRule]) -> dict[int, Decided | None]:
    """Translate and run every rule of `rules` that can be: by `id()` of the rule (they
    live as long as the policy), what it decided, or None."""
    results: dict[int, Decided | None] = {id(rule): None for rule in rules}
    today = ctx.today.isoformat()
    blocks: dict[str, list[str]] = {kind: [] for kind in _LOOPS}
    per_person: list[str] = []
    scope: dict[str, Any] = {**helpers(_administrative), "_date": _date, "_login": _login}
    scope["_true"] = lambda value: value is True
    ids: list[int] = []
    platform = False  # whether a rule reads `platform`
    for rule in rules:
        base = {"today": today, "params": rule.params}
        variables = _model_variables(rule.kind)
        found = translate(rule.when, variables, base, _TYPED, prefix=f"_k{len(ids)}_")
        if found is None or not _library_takes(base):
            continue
        person = _per_person(rule, base, prefix=f"_k{len(ids)}_")
        if person is not None:
            found = person
        test = found.code if found.type == "bool" else f"_true({found.code})"
        if person is not None:
            per_person.append(_PER_PERSON.format(test=test, n=len(ids)))
            grants = _FROM_PERSON if ctx.references_checked else _FROM_PERSON_UNCHECKED
            blocks["grant"].append(grants.format(n=len(ids)))
        else:
            code = _BLOCK.format(test=test, n=len(ids), place=_LOOPS[rule.kind][1])
            blocks[rule.kind].append(code)
        scope.update(found.scope)
        ids.append(id(rule))
        platform = platform or "platform" in rule.names()  # a word of it: bound if read
    if not ids:
        return results
    lines = [
        "def run(ctx):",
        "    _person = ctx.people.get",
        "    _entity = ctx.entities.get",
        "    _known = ctx.people",
        "    _platforms = _platform_maps(ctx)",
        *(f"    _out{n} = []; _add{n} = _out{n}.append" for n in range(len(ids))),
    ]

    def loop(kind: str, indent: str, inner: str = "") -> str:
        body = "".join(blocks[kind]) + inner
        header = _LOOPS[kind][0]
        if kind == "account" and platform:
            header += "    platform = _platforms.get(account.platform)\n"
        return textwrap.indent(header + textwrap.indent(body, "    "), indent) if body else ""

    if per_person:  # before the grants; in the loop over people (the last of an id counts)
        lines.append("    " + "; ".join(f"_per{n} = {{}}" for n in range(len(ids))))
        blocks["person"][:0] = per_person
    lines.append(loop("person", "    "))
    lines.append(loop("account", "    ", loop("grant", "")))
    lines.append(loop("entity", "    "))
    lines.append("    return [" + ", ".join(f"_out{n}" for n in range(len(ids))) + "]")
    scope["_platform_maps"] = _platform_maps
    exec(compile("\n".join(lines), "<custom rules>", "exec"), scope)
    results.update(zip(ids, scope["run"](ctx), strict=True))
    return results


def _per_person(rule: CustomRule, base: dict[str, Any], prefix: str) -> Translation | None:
    """The translation of a grant rule that reads only the grant's person, over `person`
    (a person of the inventory); None for any other rule."""
    if rule.kind != "grant":
        return None
    variables = {"grant": (_GRANT_FIELD, "PersonGrant")}
    found = translate(rule.when, variables, base, _TYPED, prefix=prefix)
    return None if found is None or _GRANT_FIELD in found.code else found


def _library_takes(base: dict[str, Any]) -> bool:
    """Whether the library can take `today` and `params` (else every item goes to it, and
    fails as it would have). Plain values it always takes, without being loaded."""
    if _plain(base):
        return True
    cel = library()
    try:
        cel.compile("true").execute(cel.Context(base, {"administrative": _administrative}))
    except Exception:
        return False
    return True


def _plain(value: Any) -> bool:
    """A string, boolean, null, 64-bit integer, or a list or string-keyed map of those."""
    kind = type(value)
    if kind in (str, bool) or value is None:
        return True
    if kind is int:
        return bool(-_INT64 <= value < _INT64)
    if kind is list:
        return all(_plain(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _plain(item) for key, item in value.items())
    return False


def _in_subset(source: str, kind: Kind, params: dict[str, Any]) -> bool:
    """Whether `source` is in the subset govern.rules.celfast translates, over the variables
    of `kind` (any `today`), within the length and macro bounds, with plain `params`."""
    if len(source) > MAX_LENGTH or _MACRO.search(source) or not _plain(params):
        return False
    variables = _model_variables(kind)
    constants = {"today": "2000-01-01", "params": params}
    return translate(source, variables, constants, _TYPED) is not None


def _platform_maps(ctx: Context) -> dict[str, dict[str, Any]]:
    return {key: _platform(key, platform) for key, platform in ctx.catalog.platforms.items()}


_ARGS = "_person, _entity, account, grant, platform, person, entity"


class _Message:
    """A rule's message for one finding. A placeholder whose value is a string, a boolean or
    a record with an `id` is read from the model objects by translated code; any other (a
    list, a map without `id`, a null on the way, a missing field) from the full maps, as it
    always was."""

    def __init__(self, template: str, kind: Kind) -> None:
        variables = _model_variables(kind)
        scope = {**helpers(_administrative), "_date": _date, "_login": _login}
        # (text before, placeholder path, its getter or None)
        self.parts: list[tuple[str, str | None, Callable[..., str] | None]] = []
        codes: list[str] | None = []  # the whole message in one expression, while it can be
        at = 0
        for match in _PLACEHOLDER.finditer(template):
            path = match[1]
            found = translate(path, variables, {}, _TYPED)
            getter = None
            if found is not None and found.type in ("str", "bool", "Person", "Entity", "Account"):
                code = f"{found.code}.id" if found.type[0].isupper() else f"str({found.code})"
                getter = eval(f"lambda {_ARGS}: {code}", scope)
                if codes is not None:
                    codes += [repr(template[at : match.start()]), code]
            else:
                codes = None
            self.parts.append((template[at : match.start()], path, getter))
            at = match.end()
        self.parts.append((template[at:], None, None))
        # Whether a placeholder the models answer reads the platform (else it is not passed).
        self.platform = any(
            path.split(".")[0] == "platform" for _, path, getter in self.parts if path and getter
        )
        # Every placeholder read from the model objects: one call joins them (a pack may
        # find thousands); where it raises (a null on the way) the parts decide, one by one.
        self.whole: Callable[..., str] | None = None
        if codes is not None:
            joined = ", ".join([*codes, repr(template[at:])])
            self.whole = eval(f"lambda {_ARGS}: ''.join(({joined},))", scope)

    def render(
        self,
        ctx: Context,
        place: Place,
        base: dict[str, Any],
        args: tuple[Any, ...] | None = None,
    ) -> str:
        """The message on `place`; `args`: its model objects (`_arguments`), if known."""
        if args is None:
            args = _arguments(ctx, *place)
        if self.whole is not None:
            try:
                return self.whole(*args)
            except Exception:
                pass  # the parts show what the maps show
        full: dict[str, Any] = {}
        out: list[str] = []
        for text, path, getter in self.parts:
            out.append(text)
            if path is None:
                continue
            if getter is not None:
                try:
                    out.append(getter(*args))
                    continue
                except Exception:
                    pass  # a null on the way: as the maps show it
            if path.split(".")[0] in base:
                out.append(_shown(_lookup(base, path)))
                continue
            if not full:
                full.update(cel_values(ctx, None).variables(*place))
            out.append(_shown(_lookup(full, path)))
        return "".join(out)


def _arguments(ctx: Context, kind: Kind, i: int, j: int | None) -> tuple[Any, ...]:
    """The model objects of one item, in the order of `_ARGS`."""
    inventory = ctx.inventory
    people, entities = ctx.people.get, ctx.entities.get
    if kind == "person":
        return people, entities, None, None, None, inventory.people[i], None
    if kind == "entity":
        return people, entities, None, None, None, None, inventory.entities[i]
    account = inventory.accounts[i]
    grant = None if j is None else account.access[j]
    platform = cel_values(ctx, None).platform(account.platform)
    return people, entities, account, grant, platform, None, None
