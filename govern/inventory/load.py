"""Load an inventory: parse, validate the schema, check references, all problems in one run."""

from __future__ import annotations

import contextlib
import gc
import operator
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from govern import readahead
from govern.errors import InputError, Problem
from govern.findings import Location, Pointer
from govern.inventory.model import Account, Entity, Grant, Inventory, Organization, Person
from govern.inventory.source import SourceMap, load_yaml, suggest, validation_problems
from govern.platforms import Catalog


@dataclass(frozen=True)
class LoadedInventory:
    """An inventory with where it came from: the thing every command works on."""

    path: str
    inventory: Inventory
    source: SourceMap

    def locate(self, pointer: Pointer, *, key: bool = False) -> Location:
        return self.source.locate(pointer, key=key)


def load_inventory(path: Path, catalog: Catalog, *, display: str | None = None) -> LoadedInventory:
    """Load and fully validate `path`. Raises `InputError` listing every problem."""
    shown = display or str(path)
    # Loading builds hundreds of thousands of objects that all survive: the cyclic garbage
    # collector would scan them again and again for nothing (about a fifth of load time).
    with gc_paused():
        data, source = load_yaml(path, display=shown, ahead=readahead.take(path))
        return validate_data(data, source, catalog)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def validate_data(data: Any, source: SourceMap, catalog: Catalog) -> LoadedInventory:
    path = source.path
    if data is None:
        raise InputError(
            [
                Problem(
                    path,
                    1,
                    1,
                    "the file is empty",
                    "an inventory starts with 'version: 1'; see `govern init`",
                )
            ]
        )
    if not isinstance(data, dict):
        raise InputError(
            [
                Problem(
                    path,
                    1,
                    1,
                    "expected a mapping with keys version, "
                    "organization, people, entities, accounts",
                )
            ]
        )
    problems: list[Problem] = []
    try:
        inventory = Inventory.model_validate(data)
    except ValidationError as exc:
        problems.extend(validation_problems(exc, source, known_fields=_fields_at))
        problems.extend(
            _reference_problems(*_salvage(data), source, catalog, declared=_declared_ids(data))
        )
        raise InputError(problems) from None
    if not references_hold(inventory, catalog):
        problems.extend(
            _reference_problems(
                inventory.people,
                inventory.entities,
                inventory.accounts,
                source,
                catalog,
                organization=inventory.organization,
            )
        )
        if problems:
            raise InputError(problems)
    return LoadedInventory(path, inventory, source)


# --- schema errors --------------------------------------------------------------------------


def _fields_at(loc: Sequence[str | int]) -> list[str]:
    """Field names of the model found at `loc` in the inventory schema."""
    model: Any = Inventory
    for step in loc:
        if isinstance(step, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        info = model.model_fields.get(step)
        if info is None:
            return []
        model = _model_in(info.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or args:
        for arg in args:
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _salvage(
    data: dict[str, Any],
) -> tuple[list[Person | None], list[Entity | None], list[Account | None]]:
    """The usable parts of an invalid inventory, so reference checks still run in the same
    pass: valid items as they are; invalid entities and accounts as partial objects that keep
    only the fields that passed the schema (None elsewhere: the checks skip them, so nothing
    is reported twice); other invalid items as None, to keep indexes."""
    return (
        _items(Person, data.get("people"), _partial_person),
        _items(Entity, data.get("entities"), _partial_entity),
        _items(Account, data.get("accounts"), _partial_account),
    )


M = TypeVar("M", bound=BaseModel)
Partial = Callable[[dict[str, Any], Callable[..., bool]], Any]


def _items(kind: type[M], items: Any, partial: Partial | None) -> list[M | None]:
    if not isinstance(items, list):
        return []
    out: list[M | None] = []
    for item in items:
        try:
            out.append(kind.model_validate(item))
        except ValidationError as exc:
            if partial is None or not isinstance(item, dict):
                out.append(None)
                continue
            bad = [tuple(error["loc"]) for error in exc.errors()]

            def ok(*path: str | int, bad: list[tuple[Any, ...]] = bad) -> bool:
                """True when no schema error lies on, above or below `path`."""
                return not any(loc[: len(path)] == path or path[: len(loc)] == loc for loc in bad)

            out.append(partial(item, ok))
    return out


def _text(item: dict[str, Any], ok: Callable[..., bool], *path: str | int) -> str | None:
    value: Any = item
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value if isinstance(value, str) and ok(*path) else None


def _partial_person(item: dict[str, Any], ok: Callable[..., bool]) -> Person:
    status = _text(item, ok, "status")
    # A `left_on` that failed the schema is reported as such, not also as missing.
    left_on = item.get("left_on") if ok("left_on") else "(invalid)"
    fields: dict[str, Any] = {"id": _text(item, ok, "id"), "status": status, "left_on": left_on}
    return Person.model_construct(**fields)


def _partial_entity(item: dict[str, Any], ok: Callable[..., bool]) -> Entity:
    it = item.get("it")
    members = [
        member if isinstance(member, str) and ok("it", j) else None
        for j, member in enumerate(it if isinstance(it, list) else [])
    ]
    # Deliberately partial (None where the schema failed): built from a plain dict.
    fields: dict[str, Any] = {
        "id": _text(item, ok, "id"),
        "head": _text(item, ok, "head"),
        "it": tuple(members),
    }
    return Entity.model_construct(**fields)


def _partial_account(item: dict[str, Any], ok: Callable[..., bool]) -> Account:
    access = item.get("access")
    grants = []
    for j, grant in enumerate(access if isinstance(access, list) else []):
        usable = isinstance(grant, dict)
        grant_fields: dict[str, Any] = {
            "person": _text(item, ok, "access", j, "person") if usable else None,
            "role": _text(item, ok, "access", j, "role") if usable else None,
        }
        grants.append(Grant.model_construct(**grant_fields))
    fields: dict[str, Any] = {
        "id": _text(item, ok, "id"),
        "entity": _text(item, ok, "entity"),
        "platform": _text(item, ok, "platform"),
        "access": tuple(grants),
    }
    return Account.model_construct(**fields)


def _declared_ids(data: dict[str, Any]) -> dict[str, set[str] | None]:
    """Ids written in the raw people and entities lists, valid items or not: a reference to an
    invalid item is not also "unknown". None when a section is unusable (not a list)."""
    out: dict[str, set[str] | None] = {}
    for kind in ("people", "entities"):
        items = data.get(kind, [])
        out[kind] = (
            None
            if not isinstance(items, list)
            else {i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)}
        )
    return out


# --- reference errors -----------------------------------------------------------------------


def references_hold(inventory: Inventory, catalog: Catalog) -> bool:
    """True when `_reference_problems` would find nothing: the same checks as set operations
    over the whole inventory, with no positions or messages. Only when this says no does the
    full check run, to tell what is wrong and where. (Reading a pydantic field costs some
    100 ns, so fields are read once each, through `attrgetter`, not bytecode.)"""
    people = inventory.people
    person_ids = set(map(_ID, people))
    if len(person_ids) != len(people):
        return False
    for status, left_on in map(_STATUS, people):
        if left_on is None and status == "departed":
            return False
    entities = inventory.entities
    if len(set(map(_ID, entities))) != len(entities):
        return False
    named = set(map(_HEAD, entities))  # every person id the file refers to
    for entity in entities:
        named.update(entity.it)
        if entity.incident is not None:
            named.update(entity.incident.people)
    if inventory.organization.incident is not None:
        named.update(inventory.organization.incident.people)
    accounts = inventory.accounts
    if len(set(map(_ID, accounts))) != len(accounts):
        return False
    roles = {key: frozenset(platform.roles) for key, platform in catalog.platforms.items()}
    owners: set[str] = set()
    for entity, platform, access, reviewed in map(_ACCOUNT, accounts):
        owners.add(entity)
        holders = set(map(_PERSON, access))
        if len(holders) != len(access):
            return False  # a person with two grants on the account
        named |= holders
        known = roles.get(platform)
        if known is None or not known.issuperset(map(_ROLE, access)):
            return False
        if reviewed is not None:
            named.add(reviewed.by)
    return named <= person_ids and owners <= {entity.id for entity in entities}


_ID = operator.attrgetter("id")
_STATUS = operator.attrgetter("status", "left_on")
_HEAD = operator.attrgetter("head")
_ACCOUNT = operator.attrgetter("entity", "platform", "access", "reviewed")
_PERSON = operator.attrgetter("person")
_ROLE = operator.attrgetter("role")


def _reference_problems(
    people_list: Sequence[Person | None],
    entity_list: Sequence[Entity | None],
    account_list: Sequence[Account | None],
    source: SourceMap,
    catalog: Catalog,
    *,
    declared: dict[str, set[str] | None] | None = None,
    organization: Organization | None = None,
) -> Iterator[Problem]:
    declared = declared or {"people": set(), "entities": set()}
    declared_people, declared_entities = declared["people"], declared["entities"]

    def at(pointer: Pointer, message: str, hint: str | None = None) -> Problem:
        where = source.locate(pointer)
        return Problem(where.path, where.line or 1, where.column or 1, message, hint)

    def first_use(
        section: str, kind: str, seen: dict[str, int], i: int, ident: str
    ) -> Iterator[Problem]:
        """Record the first item with `ident`; a later one is a duplicate."""
        if ident not in seen:
            seen[ident] = i
            return
        first = source.locate((section, seen[ident], "id"))
        yield at(
            (section, i, "id"),
            f"duplicate {kind} id '{ident}'",
            f"first defined at line {first.line}",
        )

    people: dict[str, int] = {}
    for i, person in enumerate(people_list):
        if person is None:
            continue
        if person.id is not None:
            yield from first_use("people", "person", people, i, person.id)
        if person.departed and person.left_on is None:
            yield at(
                ("people", i, "status"),
                f"person '{person.id}' is departed but has no 'left_on' date",
                "add left_on: YYYY-MM-DD",
            )

    def person_ref(pointer: Pointer, person_id: str | None) -> Iterator[Problem]:
        if person_id is None or declared_people is None or person_id in declared_people:
            return
        if person_id not in people:
            yield at(pointer, f"unknown person '{person_id}'", suggest(person_id, people))

    entities: dict[str, int] = {}
    for i, entity in enumerate(entity_list):
        if entity is None:
            continue
        if entity.id is not None:
            yield from first_use("entities", "entity", entities, i, entity.id)
        yield from person_ref(("entities", i, "head"), entity.head)
        for j, it in enumerate(entity.it):
            yield from person_ref(("entities", i, "it", j), it)
        if entity.incident is not None:
            for j, contact in enumerate(entity.incident.people):
                yield from person_ref(("entities", i, "incident", "people", j), contact)
    if organization is not None and organization.incident is not None:
        for j, contact in enumerate(organization.incident.people):
            yield from person_ref(("organization", "incident", "people", j), contact)

    accounts: dict[str, int] = {}
    for i, account in enumerate(account_list):
        if account is None:
            continue
        if account.id is not None:
            yield from first_use("accounts", "account", accounts, i, account.id)
        if (
            account.entity is not None
            and declared_entities is not None
            and account.entity not in entities
            and account.entity not in declared_entities
        ):
            yield at(
                ("accounts", i, "entity"),
                f"unknown entity '{account.entity}'",
                suggest(account.entity, entities),
            )
        platform = catalog.get(account.platform) if account.platform is not None else None
        if platform is None and account.platform is not None:
            yield at(
                ("accounts", i, "platform"),
                f"unknown platform '{account.platform}'",
                suggest(account.platform, catalog.platforms)
                or "known: " + ", ".join(sorted(catalog.platforms)),
            )
        if account.reviewed is not None:
            yield from person_ref(("accounts", i, "reviewed", "by"), account.reviewed.by)
        holders: dict[str, int] = {}
        roles = platform.roles if platform is not None else None
        for j, grant in enumerate(account.access):
            if grant.person not in people:  # (a known person is never a problem)
                yield from person_ref(("accounts", i, "access", j, "person"), grant.person)
            if roles is not None and grant.role is not None and grant.role not in roles:
                yield at(
                    ("accounts", i, "access", j, "role"),
                    f"role '{grant.role}' does not exist on {account.platform}",
                    "roles there: " + ", ".join(f"{r} ({s.label})" for r, s in roles.items()),
                )
            if grant.person is None:
                continue
            if grant.person in holders:
                yield at(
                    ("accounts", i, "access", j, "person"),
                    f"'{grant.person}' has two grants on account '{account.id}'",
                    "keep one grant per person and account",
                )
            holders[grant.person] = j
