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

import importlib.util
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

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


cel = _load_cel()


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

    @property
    def used(self) -> frozenset[str]:
        """The variables the expression reads."""
        return frozenset(self.program.variables())

    def names(self) -> set[str]:
        """Every field name the expression could read (identifiers and the words of string
        literals): the inventory maps handed to CEL keep only these keys."""
        return set(_WORD.findall(self.when))

    def check(self, ctx: Context, params: Any) -> Iterator[Violation]:
        # Each rule sees maps cut to the names it uses, and items whose maps are equal
        # (the same platform and tags, the same head's level) are evaluated once: CEL
        # converts every node it is given, which costs more than evaluating.
        keep = frozenset({"roles", "administrative", *self.names()})
        values = cel_values(ctx, keep)
        base = {"today": ctx.today.isoformat(), "params": self.params}
        functions = {"administrative": _administrative}
        memo: dict[str, Any] = {}
        used = self.used
        for place, refs in _places(ctx, self.kind):
            variables = {k: v for k, v in values.variables(*place).items() if k in used}
            key = repr(variables)
            result = memo.get(key)
            if result is None:
                try:
                    result = self.program.execute(cel.Context({**base, **variables}, functions))
                except Exception as exc:  # the binding's errors are plain Python exceptions
                    raise EvaluationError(self, refs, exc) from None
                memo[key] = result
            if result is True:
                full = cel_values(ctx, None).variables(*place)
                yield Violation(
                    render(self.message, {**full, **base}),
                    _pointer(place),
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
    """Plain maps of the inventory, built once per audit and shared by every custom rule.
    With `keep`, maps hold only those keys (the names the pack's expressions use): CEL
    converts every node of every value it is given, so less is faster."""

    ctx: Context
    keep: frozenset[str] | None = None
    _people: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    _entities: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    _platforms: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _cut(self, value: dict[str, Any]) -> dict[str, Any]:
        keep = self.keep
        return value if keep is None else {k: v for k, v in value.items() if k in keep}

    def person(self, person_id: str) -> dict[str, Any] | None:
        if person_id not in self._people:
            person = self.ctx.person(person_id)
            self._people[person_id] = None if person is None else self._cut(_person(person))
        return self._people[person_id]

    def entity(self, entity_id: str) -> dict[str, Any] | None:
        if entity_id not in self._entities:
            entity = self.ctx.entities.get(entity_id)
            self._entities[entity_id] = (
                None if entity is None else self._cut(_entity(entity, self.person))
            )
        return self._entities[entity_id]

    def platform(self, key: str) -> dict[str, Any]:
        value = self._platforms.get(key)
        if value is None:
            value = self._platforms[key] = _platform(key, self.ctx.catalog.platforms[key])
        return value

    def grant(self, grant: Grant) -> dict[str, Any]:
        return self._cut(
            {
                "person": self.person(grant.person),
                "role": grant.role,
                "expires": _date(grant.expires),
                "note": grant.note,
            }
        )

    def account(self, account: Account) -> dict[str, Any]:
        keep = self.keep
        credential = account.credential
        value: dict[str, Any] = {
            "id": account.id,
            "entity": self.entity(account.entity),
            "platform": account.platform,
            "handle": account.handle,
            "url": account.url,
            "platform_id": account.platform_id,
            "credential": None
            if credential is None
            else {
                "ref": account.credential_ref,
                "mfa": credential.mfa,
                "recovery_email": credential.recovery_email,
            },
            "shared": credential is not None,
            "tags": list(account.tags),
        }
        if keep is None or "access" in keep:
            value["access"] = [self.grant(g) for g in account.access]
        return self._cut(value)

    def variables(self, kind: Kind, index: int, sub: int | None) -> dict[str, Any]:
        """The variables of one item (full maps when `keep` is None: for messages)."""
        inventory = self.ctx.inventory
        if kind == "person":
            return {"person": self.person(inventory.people[index].id)}
        if kind == "entity":
            return {"entity": self.entity(inventory.entities[index].id)}
        account = inventory.accounts[index]
        found = {"account": self.account(account), "platform": self.platform(account.platform)}
        if kind == "grant" and sub is not None:
            found["grant"] = self.grant(account.access[sub])
        return found


Place = tuple[Kind, int, int | None]


def _places(ctx: Context, kind: Kind) -> Iterator[tuple[Place, Refs]]:
    inventory = ctx.inventory
    if kind == "person":
        for i, person in enumerate(inventory.people):
            yield (kind, i, None), {"person": person.id}
    elif kind == "entity":
        for i, entity in enumerate(inventory.entities):
            yield (kind, i, None), {"entity": entity.id}
    else:
        for i, account in enumerate(inventory.accounts):
            if kind == "account":
                yield (kind, i, None), {"account": account.id, "entity": account.entity}
                continue
            for j, grant in enumerate(account.access):
                yield (kind, i, j), {"account": account.id, "person": grant.person}


def _pointer(place: Place) -> Pointer:
    kind, i, j = place
    if kind == "person":
        return ("people", i)
    if kind == "entity":
        return ("entities", i)
    return ("accounts", i) if j is None else ("accounts", i, "access", j)


def cel_values(ctx: Context, keep: frozenset[str] | None) -> CelValues:
    """The audit's values cut to `keep` (None: full maps, for messages), built once."""
    cache: dict[frozenset[str] | None, CelValues] = ctx.__dict__.setdefault("_cel_values", {})
    found = cache.get(keep)
    if found is None:
        found = cache[keep] = CelValues(ctx, keep)
    return found


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
