"""The revoke plan at its edges, through its public API on small inventories: gaps that exist
before (never blocking), gaps a successor closes or cannot close, --leave-uncovered with a
successor the level rule refuses, who counts as departed, and the plan as a journal stores it
(JSON round trip, immutable)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from govern.inventory.load import load_inventory
from govern.inventory.model import Inventory
from govern.offboard import plan_revoke
from govern.offboard.plan import GrantChange, RevokePlan
from govern.platforms import builtin_catalog

CATALOG = builtin_catalog()
PEOPLE = """\
version: 1
organization: {name: Org, domains: [org.test]}
people:
  - {id: head, name: Head, email: head@org.test, level: A}
  - {id: boss, name: Boss, email: boss@org.test, level: A}
  - {id: mgr, name: Manager, email: mgr@org.test, level: C}
  - {id: vol, name: Volunteer, email: vol@org.test, level: B}
  - {id: ed, name: Editor, email: ed@org.test, level: C}
  - {id: gone, name: Gone, email: gone@org.test, level: C, status: departed, left_on: 2026-01-01}
"""


def inventory(tmp_path: Path, body: str) -> Inventory:
    path = tmp_path / "inventory.yaml"
    path.write_text(PEOPLE + body)
    return load_inventory(path, CATALOG).inventory


def test_a_gap_that_exists_before_never_blocks(tmp_path: Path) -> None:
    """fb's only administrator has departed already: revoking its editor changes nothing
    about that gap, which is reported as already uncovered."""
    inv = inventory(
        tmp_path,
        """\
entities: [{id: e, name: E, head: head}]
accounts:
  - id: fb
    entity: e
    platform: facebook
    handle: h
    access: [{person: gone, role: admin}, {person: ed, role: editor}, {person: head, role: editor}]
""",
    )
    plan = plan_revoke(inv, CATALOG, "ed")
    assert plan.blocked == () and plan.at_risk == ()
    assert plan.already_uncovered == ("fb: no active administrator",)
    assert plan.grants == (
        GrantChange("fb", "facebook", "editor", CATALOG.platforms["facebook"].label("editor")),
    )


def test_a_departed_head_is_an_existing_gap(tmp_path: Path) -> None:
    inv = inventory(
        tmp_path,
        """\
entities: [{id: e, name: E, head: gone}]
accounts:
  - id: fb
    entity: e
    platform: facebook
    handle: h
    access: [{person: mgr, role: admin}, {person: ed, role: admin}]
""",
    )
    plan = plan_revoke(inv, CATALOG, "ed")
    assert plan.blocked == ()
    assert plan.already_uncovered == ("entity e: no active head",)


def test_a_successor_who_closes_a_gap_is_noted(tmp_path: Path) -> None:
    """The head holds no administrative role on fb (a gap before); the successor, an admin
    there, takes over as head: the gap closes, and the plan says so."""
    inv = inventory(
        tmp_path,
        """\
entities: [{id: e, name: E, head: head}]
accounts:
  - id: fb
    entity: e
    platform: facebook
    handle: h
    access: [{person: head, role: editor}, {person: boss, role: admin}]
""",
    )
    plan = plan_revoke(inv, CATALOG, "head", successor="boss")
    assert plan.blocked == () and plan.at_risk == () and plan.already_uncovered == ()
    assert plan.heads == ("e",)
    assert plan.notes == (
        "closed by the successor: fb: the head 'head' holds no administrative role",
    )
    assert plan.successor_grants == ()  # boss holds admin already; the editor is not handed on


def test_a_gap_the_successor_cannot_close(tmp_path: Path) -> None:
    """vol (level B) cannot become a designated manager (admin) of fb, the only admin of which
    is mgr: blocked for the level rule, and for the gap that remains even with vol. (The head
    has departed: a gap before, which stays and never blocks.)"""
    body = """\
entities: [{id: e, name: E, head: gone}]
accounts:
  - id: fb
    entity: e
    platform: facebook
    handle: h
    access: [{person: ed, role: editor}, {person: mgr, role: admin}]
"""
    plan = plan_revoke(inventory(tmp_path, body), CATALOG, "mgr", successor="vol")
    level, gap = plan.blocked
    assert level.startswith("successor 'vol' is level B; designated managers must be level C")
    assert level.endswith(
        "cannot take over admin on fb (name another successor, or pass --leave-uncovered to "
        "cut access without handing it over)"
    )
    assert gap == (
        "the revoke would leave fb: no active administrator even with the successor (name "
        "another successor, or pass --leave-uncovered to cut access anyway; the audit will "
        "show the gap)"
    )
    assert plan.successor_grants == ()
    accepted = plan_revoke(
        inventory(tmp_path, body), CATALOG, "mgr", successor="vol", leave_uncovered=True
    )
    assert accepted.blocked == ()
    assert accepted.at_risk == ("fb: no active administrator",)
    assert accepted.already_uncovered == ("entity e: no active head",)
    assert accepted.leave_uncovered
    assert accepted.notes == (
        level.split(" (name another")[0] + "; not transferred (--leave-uncovered)",
    )


def test_without_a_successor_the_message_asks_for_one(tmp_path: Path) -> None:
    inv = inventory(
        tmp_path,
        """\
entities: [{id: e, name: E, head: head}]
accounts:
  - id: fb
    entity: e
    platform: facebook
    handle: h
    access: [{person: head, role: admin}]
""",
    )
    plan = plan_revoke(inv, CATALOG, "head")
    (blocked,) = plan.blocked
    assert blocked.startswith("the revoke would leave entity e: no active head; fb: no active")
    assert "(name who takes over with --successor PERSON, or pass --leave-uncovered" in blocked


def test_a_successor_in_the_it_position_keeps_any_level(tmp_path: Path) -> None:
    """The IT position passes to the successor, so inheriting its admin grant is no
    designated-manager appointment: the level rule does not apply."""
    inv = inventory(
        tmp_path,
        """\
entities: [{id: e, name: E, head: head, it: [mgr]}]
accounts:
  - id: fb
    entity: e
    platform: facebook
    handle: h
    access: [{person: head, role: admin}, {person: mgr, role: admin}]
""",
    )
    plan = plan_revoke(inv, CATALOG, "mgr", successor="vol")
    assert plan.blocked == ()
    assert plan.it == ("e",)
    assert [(g.account, g.role) for g in plan.successor_grants] == [("fb", "admin")]


def test_unknown_person_is_a_key_error(tmp_path: Path) -> None:
    inv = inventory(tmp_path, "entities: [{id: e, name: E, head: head}]\naccounts: []\n")
    with pytest.raises(KeyError):
        plan_revoke(inv, CATALOG, "nobody")


def test_an_already_departed_person_with_nothing_left(tmp_path: Path) -> None:
    inv = inventory(tmp_path, "entities: [{id: e, name: E, head: head}]\naccounts: []\n")
    plan = plan_revoke(inv, CATALOG, "gone")
    assert plan.already_departed and plan.nothing_to_do
    assert plan.left_on_recorded == "2026-01-01"
    active = plan_revoke(inv, CATALOG, "ed")
    assert not active.already_departed and not active.nothing_to_do
    assert active.left_on_recorded is None


@pytest.mark.parametrize("holds", ["grant", "head", "it"])
def test_an_already_departed_person_still_holding_something(tmp_path: Path, holds: str) -> None:
    head = "gone" if holds == "head" else "head"
    it = "[gone]" if holds == "it" else "[]"
    access = "{person: gone, role: editor}, " if holds == "grant" else ""
    inv = inventory(
        tmp_path,
        f"""\
entities: [{{id: e, name: E, head: {head}, it: {it}}}]
accounts:
  - id: fb
    entity: e
    platform: facebook
    handle: h
    access: [{access}{{person: boss, role: admin}}]
""",
    )
    plan = plan_revoke(inv, CATALOG, "gone", leave_uncovered=True)
    assert plan.already_departed and not plan.nothing_to_do


def test_the_plan_round_trips_through_json(tmp_path: Path) -> None:
    """The journal stores the plan as JSON and a resumed revoke reads it back: every field
    survives, including the gaps and notes."""
    body = """\
entities: [{id: e, name: E, head: head}, {id: f, name: F, head: gone}]
accounts:
  - id: fb
    entity: e
    platform: facebook
    handle: h
    access: [{person: head, role: editor}, {person: mgr, role: admin}]
  - id: xa
    entity: f
    platform: x
    handle: x
    access: [{person: mgr, role: admin}, {person: boss, role: admin}]
"""
    plan = plan_revoke(
        inventory(tmp_path, body), CATALOG, "mgr", successor="vol", leave_uncovered=True
    )
    assert plan.notes and plan.already_uncovered and plan.credentials and plan.at_risk
    data = json.loads(json.dumps(plan.to_json()))
    assert RevokePlan.from_json(data) == plan
    assert data["nothing_to_do"] is False
    assert data["grants"][0] == {
        "account": "fb",
        "platform": "facebook",
        "role": "admin",
        "label": CATALOG.platforms["facebook"].label("admin"),
    }
    assert data["credentials"] == [{"account": "xa", "ref": "xa", "platform": "x"}]
    # A journal written before these fields existed still reads.
    for key in ("already_uncovered", "left_on_recorded", "leave_uncovered", "notes"):
        del data[key]
    older = RevokePlan.from_json(data)
    assert older.already_uncovered == () and older.notes == () and not older.leave_uncovered


def test_defaults_and_immutability() -> None:
    plan = RevokePlan(person="p", successor=None)
    assert plan.to_json() == {
        "person": "p",
        "successor": None,
        "grants": [],
        "heads": [],
        "it": [],
        "credentials": [],
        "successor_grants": [],
        "at_risk": [],
        "already_uncovered": [],
        "blocked": [],
        "already_departed": False,
        "left_on_recorded": None,
        "leave_uncovered": False,
        "notes": [],
        "nothing_to_do": False,
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.blocked = ("changed after confirmation",)  # type: ignore[misc]
    change = GrantChange("a", "x", "admin", "Admin")
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.role = "editor"  # type: ignore[misc]
    assert len({change, GrantChange("a", "x", "admin", "Admin")}) == 1


def test_a_successor_already_in_the_it_position_keeps_any_level(tmp_path: Path) -> None:
    """vol (level B) already serves e as IT: taking over mgr's admin grant there is no
    designated-manager appointment, so the level rule does not block it."""
    inv = inventory(
        tmp_path,
        """\
entities: [{id: e, name: E, head: head, it: [vol]}]
accounts:
  - id: fb
    entity: e
    platform: facebook
    handle: h
    access: [{person: head, role: admin}, {person: mgr, role: admin}]
""",
    )
    plan = plan_revoke(inv, CATALOG, "mgr", successor="vol")
    assert plan.blocked == () and plan.it == ()
    assert [(g.account, g.role) for g in plan.successor_grants] == [("fb", "admin")]


def test_gaps_of_entities_the_revoke_does_not_touch_are_not_its_business(tmp_path: Path) -> None:
    """f's account has no active administrator, but ed holds nothing in f: the plan neither
    blocks on that gap nor lists it."""
    inv = inventory(
        tmp_path,
        """\
entities: [{id: e, name: E, head: head}, {id: f, name: F, head: boss}]
accounts:
  - id: fb
    entity: e
    platform: facebook
    handle: h
    access: [{person: head, role: admin}, {person: ed, role: editor}]
  - id: other
    entity: f
    platform: facebook
    handle: o
    access: [{person: gone, role: admin}, {person: boss, role: editor}]
""",
    )
    plan = plan_revoke(inv, CATALOG, "ed")
    assert plan.blocked == () and plan.at_risk == () and plan.already_uncovered == ()
