"""The Python fast path of custom rules (govern.rules.celfast) decides only what CEL decides:
on generated expressions and data, wherever it gives a result, the CEL library gives the
same result (and no error); everywhere else it defers to the library."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from govern.findings import Severity
from govern.inventory.model import (
    Account,
    Credential,
    Entity,
    Grant,
    Inventory,
    Organization,
    Person,
)
from govern.platforms import builtin_catalog
from govern.rules._base import Context
from govern.rules.celfast import UNKNOWN, compile_fast, helpers, translate
from govern.rules.custom import (
    _ARGS,
    _TYPED,
    CompileError,
    CustomRule,
    _administrative,
    _arguments,
    _date,
    _decided,
    _in_subset,
    _keep,
    _login,
    _Message,
    _model_variables,
    _per_person,
    _plain,
    cel,
    cel_values,
    compile_expression,
    release_values,
    render,
)

TODAY = dt.date(2026, 11, 30)

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


def _expression(
    rng: random.Random, atom: Callable[[], str], depth: int = 0, comparisons: float = 0.0
) -> str:
    """A random expression of the subset (and around it) over `atom()`; `comparisons`: the
    share of comparisons of two atoms (mostly decided by Python)."""
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return atom()
    if roll < 0.3 + comparisons:
        return f"{atom()} {rng.choice(BINARY[:7])} {atom()}"
    if roll < 0.6 + comparisons:
        op = rng.choice(BINARY)
        left = _expression(rng, atom, depth + 1, comparisons)
        return f"{left} {op} {_expression(rng, atom, depth + 1, comparisons)}"
    if roll < 0.7 + comparisons:
        return f"!{_expression(rng, atom, depth + 1, comparisons)}"
    if roll < 0.8 + comparisons:
        return f"({_expression(rng, atom, depth + 1, comparisons)})"
    if roll < 0.9 + comparisons / 2:
        return f"{atom()}.{rng.choice(METHODS)}({atom()})"
    return f"platform.administrative({atom()})"


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
        source = _expression(rng, lambda: rng.choice(ATOMS))
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
        "!" * 300 + "true",  # deeper than Python nests (the library decides)
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


# --- the translation over the inventory's model objects (govern.rules.custom) ---------------

PEOPLE = ["p0", "p1", "p2", "p3", "ghost"]  # "ghost" is no one: `grant.person` is null
ENTITIES = ["e0", "e1", "nowhere"]


def _inventory(rng: random.Random, *, ghosts: bool = True, twin: bool = False) -> Inventory:
    """A small random inventory. `ghosts`: some grants name no one (else every reference to a
    person from a grant resolves); `twin`: a second person "p1" (the last of an id counts)."""

    def date() -> dt.date | None:
        return rng.choice([None, dt.date(2026, 1, 5), dt.date(2026, 11, 30), dt.date(2027, 3, 1)])

    def tags() -> list[str]:
        return rng.sample(["youth", "a", "owner", "A"], rng.randint(0, 2))

    people = [
        Person(
            id=pid,
            name=rng.choice(["Ann", "a", "A"]),
            email=rng.choice(["x@gmail.com", "a@diocese.org", "b@a.org"]),
            level=rng.choice(["A", "B", "a"]),
            status=rng.choice(["active", "departed"]),
            left_on=date(),
            trained_on=date(),
            tags=tags(),
        )
        for pid in PEOPLE[:-1] + (["p1"] if twin else [])
    ]
    entities = [
        Entity(
            id=eid,
            name=rng.choice(["e0", "Parish"]),
            head=rng.choice(PEOPLE),
            it=rng.sample(PEOPLE, rng.randint(0, 2)),
            tags=tags(),
        )
        for eid in ENTITIES[:-1]
    ]
    accounts = []
    for k in range(4):
        credential = rng.choice(
            [
                None,
                Credential(ref=None, mfa=rng.random() < 0.5, recovery_email=None),
                Credential(ref="vault.a", mfa=True, recovery_email="r@a.org"),
            ]
        )
        grants = [
            Grant(
                person=rng.choice(PEOPLE if ghosts else PEOPLE[:-1]),
                role=rng.choice(["owner", "admin", "editor"]),
                expires=date(),
                note=rng.choice([None, "a", ""]),
            )
            for _ in range(rng.randint(0, 3))
        ]
        accounts.append(
            Account(
                id=f"a{k}",
                entity=rng.choice(ENTITIES),
                platform=rng.choice(["facebook", "tiktok", "youtube"]),
                handle=rng.choice(["a", "youth"]),
                url=rng.choice([None, "https://a.org"]),
                credential=credential,
                access=grants,
                tags=tags(),
            )
        )
    return Inventory.model_construct(
        version=1,
        organization=Organization(name="o"),
        people=tuple(people),
        entities=tuple(entities),
        accounts=tuple(accounts),
    )


RECORD_ATOMS = {
    "person": [
        "person", "person.id", "person.name", "person.email", "person.level", "person.status",
        "person.departed", "person.left_on", "person.trained_on", "person.tags", "person.x",
    ],
    "entity": [
        "entity", "entity.id", "entity.name", "entity.head", "entity.head.id",
        "entity.head.level", "entity.head.tags", "entity.it", "entity.tags", "entity.head.x",
    ],
    "account": [
        "account", "account.id", "account.platform", "account.handle", "account.url",
        "account.platform_id", "account.entity", "account.entity.id", "account.entity.head.id",
        "account.entity.head.level", "account.credential", "account.credential.mfa",
        "account.credential.ref", "account.credential.recovery_email", "account.shared",
        "account.tags", "account.access", "account.reviewed", "platform", "platform.key",
        "platform.name", "platform.login", "platform.roles", "platform.roles.owner",
    ],
}  # fmt: skip
RECORD_ATOMS["grant"] = [
    *RECORD_ATOMS["account"],
    "grant", "grant.role", "grant.expires", "grant.note", "grant.person", "grant.person.id",
    "grant.person.email", "grant.person.level", "grant.person.left_on", "grant.x",
]  # fmt: skip
LITERALS = [
    '"a"', "'A'", "'owner'", '"youth"', "''", "'@gmail.com'", "'2026-11-30'", "0", "1",
    "true", "false", "null", "today", "params.s", "params.n", "params.l", "params.m",
    "params.m.s", "params.x",
]  # fmt: skip


def _scalar_or_list(value: Any) -> bool:
    """A value the library returns as is (records are maps there, model objects here)."""
    if type(value) in (tuple, list):
        return all(_scalar_or_list(item) for item in value)
    return value is None or type(value) in (str, int, bool)


def test_the_model_translation_agrees_with_the_library_on_every_item() -> None:
    """Each generated expression runs as a custom rule: the Python code reading the model
    objects, against the library on the maps the rule would hand it (cut to the names the
    expression uses). Wherever the code gives a value, the library gives that value; a
    finding is one only where the library says true; an item the code leaves is left."""
    rng = random.Random(1515)
    totals = [0, 0, 0]
    for n in range(1500):
        kind = rng.choice(["person", "entity", "account", "grant"])
        atoms = RECORD_ATOMS[kind] * 2 + LITERALS  # two fields for one literal
        source = _expression(rng, partial(rng.choice, atoms), 1, 0.15)
        counts = _agrees(rng, source, kind, n)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    decided, fired, left = totals
    assert decided > 2000 and fired > 300 and left > 1000, (decided, fired, left)


# Grant rules that read only the grant's person are decided once per person (a grant of a
# person who is not in the inventory, "ghost", is left to the library); "grant" and
# "grant.role" make some expressions read more than the person.
PERSON_GRANT_ATOMS = [
    "grant.person", "grant.person.id", "grant.person.email", "grant.person.level",
    "grant.person.status", "grant.person.departed", "grant.person.left_on",
    "grant.person.tags", "grant.person.x", "grant", "grant.role",
]  # fmt: skip


@pytest.mark.parametrize("checked", [False, True], ids=["ghosts", "references-checked"])
def test_grant_rules_on_the_person_alone_agree_with_the_library(checked: bool) -> None:
    """With ghosts, and (as in every audit) with `references_checked` on an inventory whose
    grants all name a person; both with two people of one id."""
    rng = random.Random(1516)
    totals = [0, 0, 0]
    per_person = 0
    for n in range(600):
        atoms = PERSON_GRANT_ATOMS * 2 + LITERALS
        source = _expression(rng, partial(rng.choice, atoms), 1, 0.15)
        counts = _agrees(rng, source, "grant", n, checked=checked, twin=True)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        try:
            rule = CustomRule(
                ID="r", SEVERITY=Severity.INFO, kind="grant", description="", when=source,
                message="m",
            )  # fmt: skip
        except CompileError:
            continue
        per_person += _per_person(rule, _base(rule), "_k") is not None
    decided, fired, left = totals
    assert decided > 500 and fired > 100 and left > 100 and per_person > 200, (
        decided, fired, left, per_person,
    )  # fmt: skip


@pytest.mark.parametrize("checked", [False, True], ids=["unchecked", "references-checked"])
def test_a_grant_rule_on_the_person_reads_the_last_person_of_an_id(checked: bool) -> None:
    """Two people of one id: like `ctx.people` (and the library's maps), the last one counts,
    whether the first fired (then the last clears it) or not."""

    def person(pid: str, email: str) -> Person:
        return Person(id=pid, name="n", email=email, level="A", status="active")

    inventory = Inventory.model_construct(
        version=1,
        organization=Organization(name="o"),
        people=(
            person("p1", "x@gmail.com"), person("p2", "a@diocese.org"),
            person("p1", "a@diocese.org"), person("p2", "y@gmail.com"),
        ),
        entities=(Entity(id="e0", name="e", head="p1"),),
        accounts=(
            Account(
                id="a0", entity="e0", platform="facebook", handle="h",
                access=[Grant(person="p1", role="admin"), Grant(person="p2", role="admin")],
            ),
        ),
    )  # fmt: skip
    rule = CustomRule(
        ID="r", SEVERITY=Severity.INFO, kind="grant", description="",
        when='grant.person.email.endsWith("@gmail.com")', message="{grant.person.email}",
    )  # fmt: skip
    ctx = Context(
        inventory=inventory, catalog=builtin_catalog(), today=TODAY, custom={"r": rule},
        references_checked=checked,
    )  # fmt: skip
    found = [(v.pointer, v.person, v.message) for v in rule.check(ctx, None)]
    assert found == [(("accounts", 0, "access", 1), "p2", "y@gmail.com")]


def _agrees(
    rng: random.Random, source: str, kind: str, n: int, *, checked: bool = False, twin: bool = False
) -> tuple[int, int, int]:
    """Run `source` as a custom rule of `kind` on a generated inventory and check it against
    the library on every item: (items decided by Python, of which findings, items left).
    `checked`: no grant names a ghost, and the context says so (`references_checked`)."""
    decided = fired = left = 0
    params = {"s": rng.choice(["a", "A", "owner"]), "n": rng.choice([0, 1, 2**63]),
              "l": rng.choice([["a", "youth"], ["a", 1], []]), "m": {"s": "a"}}  # fmt: skip
    try:
        rule = CustomRule(
            ID="r", SEVERITY=Severity.INFO, kind=kind, description="", when=source,
            message="m", params=params,
        )  # fmt: skip
    except CompileError:
        return 0, 0, 0
    inventory = _inventory(random.Random(n), ghosts=not checked, twin=twin)
    ctx = Context(
        inventory=inventory, catalog=builtin_catalog(), today=TODAY, custom={"r": rule},
        references_checked=checked,
    )  # fmt: skip
    results = _decided(ctx, rule)
    if results is None:
        return 0, 0, 0
    verdicts = {(i, j): found for i, j, found in results}
    translated = translate(source, _variables(kind), _base(rule), _TYPED)
    assert translated is not None
    scope = {**helpers(_administrative), **translated.scope, "_date": _date, "_login": _login}
    function = eval(f"lambda {_ARGS}: {translated.code}", scope)
    values = cel_values(ctx, _keep(ctx, rule))
    for place in _places(inventory, kind):
        outcome, expected = _library_on(rule, values.variables(*place))
        verdict = verdicts.get(place[1:])
        assert verdict is not True or (outcome, expected) == ("value", True), (
            source, place, outcome, expected,
        )  # fmt: skip
        if verdict is None:  # decided by Python: not a finding, and no error either
            assert outcome == "value" and expected is not True, (source, place, expected)
        try:
            got = function(*_arguments(ctx, *place))
        except Exception:
            assert verdict is not None, (source, place)
            left += 1
            continue
        decided += 1
        fired += got is True
        assert outcome == "value", (source, place, got, expected)
        if _scalar_or_list(got):
            got = list(got) if type(got) is tuple else got
            assert type(got) is type(expected) and got == expected, (source, place, got)
    release_values(ctx)
    return decided, fired, left


def _variables(kind: str) -> dict[str, tuple[str, str]]:
    return _model_variables(kind)  # type: ignore[arg-type]


def _base(rule: CustomRule) -> dict[str, Any]:
    return {"today": TODAY.isoformat(), "params": rule.params}


def _places(inventory: Inventory, kind: str) -> list[Any]:
    if kind == "person":
        return [(kind, i, None) for i in range(len(inventory.people))]
    if kind == "entity":
        return [(kind, i, None) for i in range(len(inventory.entities))]
    if kind == "account":
        return [(kind, i, None) for i in range(len(inventory.accounts))]
    return [(kind, i, j) for i, a in enumerate(inventory.accounts) for j in range(len(a.access))]


def _library_on(rule: CustomRule, found: dict[str, Any]) -> tuple[str, Any]:
    variables = {k: v for k, v in found.items() if k in rule.used}
    try:
        context = cel.Context({**_base(rule), **variables}, {"administrative": _administrative})
        return "value", rule.program.execute(context)
    except Exception as exc:
        return "error", type(exc).__name__


def test_messages_read_from_the_models_are_those_of_the_full_maps() -> None:
    """A message reads the model objects where it can (a string, a boolean, a record's
    `id`) and the full maps elsewhere: either way it is what the full maps print."""
    catalog = builtin_catalog()
    base = {"today": TODAY.isoformat(), "params": {"s": "a", "m": {"s": "b"}, "l": [1]}}
    extra = ["today", "params.s", "params.m", "params.m.s", "params.l", "params.x.y"]
    shown = 0
    for seed in range(40):
        inventory = _inventory(random.Random(seed))
        ctx = Context(inventory=inventory, catalog=catalog, today=TODAY)
        for kind, atoms in RECORD_ATOMS.items():
            paths = [*atoms, *extra, *(f"{atom}.id.x" for atom in atoms[:4])]
            template = "<" + "|".join(f"{{{path}}}" for path in paths) + ">"
            message = _Message(template, kind)  # type: ignore[arg-type]
            for place in _places(inventory, kind):
                full = cel_values(ctx, None).variables(*place)
                assert message.render(ctx, place, base) == render(template, {**full, **base})
                shown += 1
        release_values(ctx)
    assert shown > 500


def test_a_message_read_whole_from_the_models_is_that_of_the_full_maps() -> None:
    """Short messages (the usual ones) whose placeholders the models answer are built by one
    call; where it meets a null (a grant of a person who is no one) the parts decide."""
    catalog = builtin_catalog()
    base = {"today": TODAY.isoformat(), "params": {}}
    rng = random.Random(418)
    whole = shown = 0
    for seed in range(60):
        inventory = _inventory(random.Random(seed))
        ctx = Context(inventory=inventory, catalog=catalog, today=TODAY)
        for kind, atoms in RECORD_ATOMS.items():
            paths = rng.sample(atoms, rng.randint(1, 3))
            template = " and ".join(f"{{{path}}}" for path in paths) + rng.choice(["", "!"])
            message = _Message(template, kind)  # type: ignore[arg-type]
            whole += message.whole is not None
            for place in _places(inventory, kind):
                full = cel_values(ctx, None).variables(*place)
                assert message.render(ctx, place, base) == render(template, {**full, **base})
                shown += 1
        release_values(ctx)
    assert whole > 60 and shown > 500, (whole, shown)


def test_the_model_fields_are_the_maps_fields() -> None:
    """The translation reads the same fields the maps hold: a field added to one and not
    the other would make the two paths disagree on `no_such_field`."""
    from govern.rules.custom import _FIELDS, _credential, _platform

    for record, kind in (("Person", "person"), ("Entity", "entity"), ("Grant", "grant")):
        assert set(_TYPED[record]) == set(_FIELDS[kind]), record
    assert set(_TYPED["Account"]) == set(_FIELDS["account"])
    shared = Account(id="a", entity="e", platform="x", handle="h", credential=Credential())
    assert set(_TYPED["Credential"]) == set(_credential(shared) or {})
    catalog = builtin_catalog()
    for key, platform in catalog.platforms.items():
        assert set(_TYPED["Platform"]) == set(_platform(key, platform))


# --- the subset needs no library to be checked ----------------------------------------------

SOUP = [
    *RECORD_ATOMS["grant"], *LITERALS, "==", "!=", "<", ">=", "&&", "||", "!", "in", "(", ")",
    ".", ",", "endsWith(", "contains(", "size(", "has(", "exists(", "x", "07", "1.5", "-1",
    "9223372036854775808", "'a\\\\b'", '"\\u00e9"', "r'x'", "true", "null", "[", "]", "{",
    "}", ":", "?", "+", "let", "var", "account.access.all(g,", "g.role", "matches(",
]  # fmt: skip


def test_an_expression_the_translator_accepts_is_one_the_library_compiles() -> None:
    """A rule whose `when` is in the translated subset is not compiled by the library when
    its policy loads (govern.rules.custom._in_subset): every such expression must compile,
    with known functions and the kind's variables only, exactly as the library checks it.
    Generated expressions (mostly valid) and token soup (mostly not)."""
    rng = random.Random(4242)
    accepted = {"expressions": 0, "soup": 0}
    params = {"s": "a", "n": 1, "l": ["a"], "m": {"s": "b"}}
    for n in range(4000):
        kind = rng.choice(["person", "entity", "account", "grant"])
        if n % 2:
            source, family = " ".join(rng.choices(SOUP, k=rng.randint(1, 7))), "soup"
        else:
            atoms = RECORD_ATOMS[kind] * 2 + LITERALS
            source = _expression(rng, partial(rng.choice, atoms), 1, 0.15)
            family = "expressions"
        if not _in_subset(source, kind, params):  # type: ignore[arg-type]
            continue
        accepted[family] += 1
        program = compile_expression(source, kind)  # type: ignore[arg-type]
        assert program is not None, source
    assert accepted["expressions"] > 1500 and accepted["soup"] > 100, accepted


def test_plain_params_are_what_the_library_takes() -> None:
    """`_plain` (no library needed) never says yes where the library would refuse."""
    rng = random.Random(7)
    leaves: list[Any] = ["a", "", True, None, 0, -(2**63), 2**63 - 1, 2**63, 1.5, b"x"]
    checked = 0
    for _ in range(400):
        value: Any = rng.choice(leaves)
        for _ in range(rng.randint(0, 3)):
            value = rng.choice([[value, rng.choice(leaves)], {"k": value}, {1: value}])
        if _plain(value):
            checked += 1
            context = cel.Context({"params": value}, {"administrative": _administrative})
            cel.compile("true").execute(context)
    assert checked > 100
