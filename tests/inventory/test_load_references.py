"""Reference checks: the quick set-based check (`references_hold`) says yes exactly when the
positioned check finds nothing, so a valid inventory skips the slow pass and an invalid one
still gets every problem at its line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml_rs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.errors import InputError
from govern.inventory.load import _reference_problems, references_hold
from govern.inventory.model import Inventory
from govern.inventory.source import SourceMap
from govern.platforms import builtin_catalog

from .samples import BASE, insert, load, only_problem, problems_of, write

CATALOG = builtin_catalog()


@st.composite
def inventories(draw: st.DrawFn) -> dict[str, Any]:
    """Small inventories that are mostly consistent: each reference, id and role is right
    with high probability, so that many examples hold exactly one problem (or none)."""

    def rarely() -> bool:
        return draw(st.integers(0, 11)) == 0

    def pick(good: list[str], bad: list[str]) -> str:
        return draw(st.sampled_from(bad if not good or rarely() else good))

    person_ids = [f"p{n}" for n in range(draw(st.integers(0, 4)))]
    if person_ids and rarely():
        person_ids.append(person_ids[0])  # a duplicate id

    def person() -> str:
        return pick(person_ids, ["ghost", "p9"])

    def incident() -> dict[str, Any] | None:
        return {"people": [person() for _ in range(draw(st.integers(0, 2)))]} if rarely() else None

    people = []
    for person_id in person_ids:
        departed = draw(st.booleans())
        people.append(
            {"id": person_id, "name": "N", "email": "n@org.example", "level": "C"}
            | ({"status": "departed"} if departed else {})
            | ({"left_on": "2026-01-31"} if departed != rarely() else {})
        )
    entity_ids = [f"e{n}" for n in range(draw(st.integers(0, 3)))]
    if entity_ids and rarely():
        entity_ids.append(entity_ids[-1])
    entities = [
        {"id": entity_id, "name": "E", "head": person(), "it": [person() for _ in range(n)]}
        | ({"incident": found} if (found := incident()) is not None else {})
        for entity_id, n in zip(entity_ids, draw(st.lists(st.integers(0, 2))), strict=False)
    ]
    accounts = []
    for n in range(draw(st.integers(0, 4))):
        platform = pick(list(CATALOG.platforms), ["myspace"])
        known = CATALOG.platforms.get(platform)
        roles = list(known.roles) if known is not None else []
        holders = draw(st.lists(st.sampled_from(person_ids), unique=True)) if person_ids else []
        if holders and rarely():
            holders.append(holders[0])  # two grants for one person
        account: dict[str, Any] = {
            "id": "a0" if rarely() else f"a{n}",
            "entity": pick(entity_ids, ["nowhere"]),
            "platform": platform,
            "handle": "h",
            "access": [
                {"person": person() if rarely() else holder, "role": pick(roles, ["owner"])}
                for holder in holders
            ],
        }
        if draw(st.booleans()):
            account["reviewed"] = {"on": "2026-01-31", "by": person()}
        accounts.append(account)
    organization: dict[str, Any] = {"name": "Org"}
    if (found := incident()) is not None:
        organization["incident"] = found
    return {
        "version": 1,
        "organization": organization,
        "people": people,
        "entities": entities,
        "accounts": accounts,
    }


@settings(max_examples=1000, deadline=None)
@given(inventories())
def test_quick_check_agrees_with_the_positioned_check(data: dict[str, Any]) -> None:
    inventory = Inventory.model_validate(data)
    source = SourceMap("inventory.yaml", "", data)
    found = list(
        _reference_problems(
            inventory.people,
            inventory.entities,
            inventory.accounts,
            source,
            CATALOG,
            organization=inventory.organization,
        )
    )
    assert references_hold(inventory, CATALOG) == (not found), [p.render() for p in found]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(inventories())
def test_load_refuses_exactly_what_the_positioned_check_finds(
    tmp_path: Path, data: dict[str, Any]
) -> None:
    """Through `load_inventory`: an inventory loads iff it has no reference problem, and the
    problems are the positioned check's, in its order."""
    text = yaml_rs.dumps(data)
    path = write(tmp_path, text)
    inventory = Inventory.model_validate(data)
    expected = _reference_problems(
        inventory.people,
        inventory.entities,
        inventory.accounts,
        SourceMap(str(path), text, data),
        CATALOG,
        organization=inventory.organization,
    )
    problems = list(expected)
    if not problems:
        load(path)
        return
    assert problems_of(tmp_path, text) == InputError(problems).problems


def test_unknown_reviewer_is_located(tmp_path: Path) -> None:
    text = insert(BASE, 28, "    reviewed: {on: 2026-01-31, by: carl}")
    problem = only_problem(tmp_path, text)
    assert (problem.line, problem.column) == (29, 36)
    assert problem.message == "unknown person 'carl'"


def test_unknown_incident_contacts_are_located(tmp_path: Path) -> None:
    text = insert(
        insert(BASE, 18, "    incident: {people: [bob, eve]}"),
        4,
        "  incident:\n    people: [mallory]",
    )
    found = problems_of(tmp_path, text)
    assert [(p.line, p.column, p.message) for p in found] == [
        (6, 14, "unknown person 'mallory'"),
        (21, 30, "unknown person 'eve'"),
    ]


def test_one_dangling_grant_among_many_accounts_is_located(tmp_path: Path) -> None:
    accounts = "".join(
        f"  - id: acct-{n}\n    entity: parish\n    platform: youtube\n    handle: h{n}\n"
        "    access:\n      - person: alice\n        role: owner\n"
        f"      - person: {'bobby' if n == 250 else 'bob'}\n        role: editor\n"
        for n in range(300)
    )
    text = BASE + accounts
    problem = only_problem(tmp_path, text)
    first_line = BASE.count("\n") + 1 + 250 * 9
    assert (problem.line, problem.column) == (first_line + 7, 17)
    assert problem.message == "unknown person 'bobby'"
    assert problem.hint == "did you mean 'bob'?"


def test_people_without_identities_share_one_empty_value(tmp_path: Path) -> None:
    people = load(write(tmp_path, BASE)).inventory.people
    assert people[0].identities == people[1].identities
    assert people[0].identities.model_dump() == dict.fromkeys(
        ("github", "meta", "google", "linkedin", "tiktok")
    )
    assert "identities" not in people[0].model_fields_set
