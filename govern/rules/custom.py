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
  as strings do); `params`: the rule's `params`.

Expressions are compiled once, when the policy pack loads; a syntax error or an unknown
variable is reported at its position in the policy file. CEL has no I/O: an expression can
read only the variables above and call CEL's standard functions, so it can touch neither the
file system nor the network. Cost is bounded by the expression's length and by the number of
comprehension macros (`all`, `exists`, `map`, ...) it may nest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import cel

from govern.errors import UsageError
from govern.findings import Location, Pointer, Severity, Violation
from govern.inventory.model import Account, Entity, Grant, Person
from govern.platforms import Platform
from govern.rules._base import Context, RuleParams

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
    program: Any = None

    def __post_init__(self) -> None:
        self.__doc__ = self.description
        self.program = compile_expression(self.when, self.kind)
        check_template(self.message, self.kind)

    def names(self) -> set[str]:
        """Every field name the expression or the message could read (identifiers and string
        literals): the inventory maps handed to CEL keep only these keys."""
        return set(_WORD.findall(self.when)) | set(_WORD.findall(self.message))

    def check(self, ctx: Context, params: Any) -> Iterator[Violation]:
        given = {"params": self.params}
        for item in cel_values(ctx).items(self.kind):
            item.context.add_variable("params", self.params)
            try:
                result = self.program.execute(item.context)
            except Exception as exc:  # the binding's errors are plain Python exceptions
                raise EvaluationError(self, item.refs, exc) from None
            if result is True:
                message = render(self.message, {**item.variables, **given})
                refs = item.refs
                yield Violation(
                    message,
                    item.pointer,
                    account=refs.get("account"),
                    person=refs.get("person"),
                    entity=refs.get("entity"),
                )


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
        program = cel.compile(source)
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

    def value(match: re.Match[str]) -> str:
        current: Any = variables
        for step in match[1].split("."):
            current = current.get(step) if isinstance(current, dict) else None
        if isinstance(current, dict) and "id" in current:
            current = current["id"]
        return "null" if current is None else str(current)

    return _PLACEHOLDER.sub(value, template)


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
    """Plain maps of the inventory, built once per audit and shared by every custom rule."""

    ctx: Context
    _people: dict[str, dict[str, Any]] = field(default_factory=dict)
    _entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    _platforms: dict[str, dict[str, Any]] = field(default_factory=dict)
    _cache: dict[Kind, list[Item]] = field(default_factory=dict)

    def person(self, person_id: str) -> dict[str, Any] | None:
        value = self._people.get(person_id)
        if value is None:
            person = self.ctx.person(person_id)
            if person is None:
                return None
            value = self._people[person_id] = _person(person)
        return value

    def entity(self, entity_id: str) -> dict[str, Any] | None:
        value = self._entities.get(entity_id)
        if value is None:
            entity = self.ctx.entities.get(entity_id)
            if entity is None:
                return None
            value = self._entities[entity_id] = _entity(entity, self.person)
        return value

    def platform(self, key: str) -> dict[str, Any]:
        value = self._platforms.get(key)
        if value is None:
            value = self._platforms[key] = _platform(key, self.ctx.catalog.platforms[key])
        return value

    def items(self, kind: Kind) -> list[Item]:
        if kind not in self._cache:
            rules = [r for r in self.ctx.custom.values() if getattr(r, "kind", None) == kind]
            keep = {"id", "roles", "administrative"}.union(*(r.names() for r in rules))
            base = {"today": self.ctx.today.isoformat()}
            functions = {"administrative": _administrative}
            self._cache[kind] = [
                Item(cel.Context({**base, **pruned}, functions), variables, pointer, refs)
                for variables, pointer, refs in self._build(kind)
                for pruned in [{k: _prune(v, keep) for k, v in variables.items()}]
            ]
        return self._cache[kind]

    def _build(self, kind: Kind) -> Iterator[tuple[dict[str, Any], Pointer, Refs]]:
        inventory = self.ctx.inventory
        if kind == "person":
            for i, person in enumerate(inventory.people):
                yield {"person": self.person(person.id)}, ("people", i), {"person": person.id}
        elif kind == "entity":
            for i, entity in enumerate(inventory.entities):
                refs: Refs = {"entity": entity.id}
                yield {"entity": self.entity(entity.id)}, ("entities", i), refs
        else:
            for i, account in enumerate(inventory.accounts):
                value = self.account(account)
                platform = self.platform(account.platform)
                if kind == "account":
                    refs = {"account": account.id, "entity": account.entity}
                    yield {"account": value, "platform": platform}, ("accounts", i), refs
                    continue
                for j, grant in enumerate(account.access):
                    refs = {"account": account.id, "person": grant.person}
                    grant_value = value["access"][j]
                    variables = {"grant": grant_value, "account": value, "platform": platform}
                    yield variables, ("accounts", i, "access", j), refs

    def account(self, account: Account) -> dict[str, Any]:
        return {
            "id": account.id,
            "entity": self.entity(account.entity),
            "platform": account.platform,
            "handle": account.handle,
            "url": account.url,
            "platform_id": account.platform_id,
            "access": [_grant(g, self.person) for g in account.access],
            "credential": None
            if account.credential is None
            else {
                "ref": account.credential_ref,
                "mfa": account.credential.mfa,
                "recovery_email": account.credential.recovery_email,
            },
            "shared": account.credential is not None,
            "tags": list(account.tags),
        }


@dataclass(frozen=True)
class Item:
    """One item a custom rule is evaluated on: its CEL context (shared by every rule of its
    kind), the full variables (for the message), where it is and whom it concerns."""

    context: Any
    variables: dict[str, Any]
    pointer: Pointer
    refs: Refs


def _prune(value: Any, keep: set[str]) -> Any:
    """`value` with only the map keys in `keep` (lists and nested maps alike), except the
    catalog's role maps, whose keys are data (`platform.roles.owner`)."""
    if isinstance(value, dict):
        return {k: v if k == "roles" else _prune(v, keep) for k, v in value.items() if k in keep}
    if isinstance(value, list):
        return [_prune(v, keep) for v in value]
    return value


def cel_values(ctx: Context) -> CelValues:
    cached: CelValues | None = ctx.__dict__.get("_cel_values")
    if cached is None:
        cached = ctx.__dict__["_cel_values"] = CelValues(ctx)
    return cached


def _date(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def _person(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "email": person.email,
        "level": person.level,
        "status": person.status,
        "departed": person.departed,
        "left_on": _date(person.left_on),
        "trained_on": _date(person.trained_on),
        "tags": list(person.tags),
    }


def _entity(entity: Entity, person: Callable[[str], dict[str, Any] | None]) -> dict[str, Any]:
    return {
        "id": entity.id,
        "name": entity.name,
        "head": person(entity.head),
        "it": [person(p) for p in entity.it],
        "tags": list(entity.tags),
    }


def _grant(grant: Grant, person: Callable[[str], dict[str, Any] | None]) -> dict[str, Any]:
    return {
        "person": person(grant.person),
        "role": grant.role,
        "expires": _date(grant.expires),
        "note": grant.note,
    }


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
