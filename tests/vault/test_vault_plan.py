"""make_plan on hand-built states, and desired_state on a small inventory (no server)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from govern.errors import InputError
from govern.inventory.load import load_inventory
from govern.platforms import builtin_catalog
from govern.vault import (
    DesiredState,
    EntitySpec,
    GroupSpec,
    ObservedState,
    desired_state,
    make_plan,
)
from govern.vault._plan import phase
from tests.vault.conftest import INVENTORY

MANAGED = {"managed-by": "govern"}


def entity(person: str, *, disabled: bool = False, **meta: str) -> EntitySpec:
    return EntitySpec(
        name=f"govern-person-{person}",
        metadata={**MANAGED, "person": person, **meta},
        disabled=disabled,
    )


def group(account: str, *members: str) -> GroupSpec:
    name = f"govern-account-{account}"
    return GroupSpec(
        name=name,
        member_entities=frozenset(f"govern-person-{m}" for m in members),
        policies=(name,),
        metadata={**MANAGED, "account": account},
    )


def desired(
    entities: list[EntitySpec],
    groups: list[GroupSpec],
    aliases: dict[str, str] | None = None,
    auth: str | None = None,
) -> DesiredState:
    return DesiredState(
        entities={e.name: e for e in entities},
        aliases=aliases or {},
        groups={g.name: g for g in groups},
        policies={g.name: f"# managed-by: govern\n{g.name}" for g in groups},
        auth_mount=auth,
    )


def observed(entities: list[EntitySpec], groups: list[GroupSpec], **kw: object) -> ObservedState:
    d = desired(entities, groups)
    return ObservedState(
        entities=d.entities,
        aliases=kw.pop("aliases", {}),  # type: ignore[arg-type]
        groups=d.groups,
        policies=d.policies,
        **kw,
    )  # type: ignore[arg-type]


def brief(plan: object) -> list[tuple[str, str, str, str]]:
    return [
        (c.kind, c.action, c.name, c.detail.split(" ")[0])  # type: ignore[attr-defined]
        for c in plan.changes
    ]  # type: ignore[attr-defined]


def test_empty_vault_creates_everything_in_a_crash_safe_order() -> None:
    want = desired([entity("a"), entity("b")], [group("x", "a", "b")])
    plan = make_plan(want, observed([], []))
    assert brief(plan) == [
        ("policy", "create", "govern-account-x", "read"),
        ("entity", "create", "govern-person-a", "person"),
        ("entity", "create", "govern-person-b", "person"),
        ("group", "create", "govern-account-x", "readers"),
        ("membership", "add", "govern-account-x", "govern-person-a"),
        ("membership", "add", "govern-account-x", "govern-person-b"),
    ]
    assert plan.summary() == {"add": 6, "change": 0, "remove": 0}
    assert plan.removals() == 0
    assert [phase(c) for c in plan.changes] == sorted(phase(c) for c in plan.changes)


def test_matching_states_plan_nothing() -> None:
    entities, groups = [entity("a")], [group("x", "a")]
    assert make_plan(desired(entities, groups), observed(entities, groups)).changes == ()


def test_membership_diff_is_set_difference_and_people_are_named() -> None:
    plan = make_plan(
        desired([entity("a"), entity("b")], [group("x", "a", "b")]),
        observed([entity("a"), entity("b")], [group("x", "a", "intruder")]),
    )
    assert [(c.action, c.detail, c.person, c.account) for c in plan.changes] == [
        ("add", "govern-person-b", "b", "x"),
        ("remove", "govern-person-intruder", "intruder", "x"),
    ]
    assert plan.removals() == 1


def test_gone_account_removes_members_before_group_before_policy() -> None:
    plan = make_plan(desired([entity("a")], []), observed([entity("a")], [group("x", "a")]))
    assert brief(plan) == [
        ("membership", "remove", "govern-account-x", "govern-person-a"),
        ("group", "delete", "govern-account-x", "no"),
        ("policy", "delete", "govern-account-x", "no"),
    ]


def test_departure_disables_and_metadata_changes_update() -> None:
    plan = make_plan(
        desired([entity("a", disabled=True, status="departed"), entity("b", level="C")], []),
        observed([entity("a", status="active"), entity("b", level="B")], []),
    )
    assert [(c.action, c.name) for c in plan.changes] == [
        ("disable", "govern-person-a"),
        ("update", "govern-person-b"),
    ]
    assert "status: active -> departed" in plan.changes[0].detail
    assert plan.changes[0].body == {
        "metadata": {**MANAGED, "person": "a", "status": "departed"},
        "disabled": True,
    }
    assert plan.removals() == 1  # a disable takes access away


def test_blocked_objects_are_never_touched_nor_shadowed() -> None:
    got = observed(
        [],
        [],
        blocked=frozenset({("policy", "govern-account-x"), ("entity", "govern-person-a")}),
        foreign=("policy govern-account-x exists but was not created by govern",),
    )
    plan = make_plan(desired([entity("a")], [group("x", "a")]), got)
    assert plan.changes == ()  # no group may attach a policy govern does not own
    assert plan.foreign == got.foreign


def test_aliases_managed_only_with_an_auth_mount() -> None:
    entities = [entity("a"), entity("b")]
    have = observed(
        entities,
        [],
        aliases={"govern-person-a": "old-a"},
        blocked=frozenset({("alias", "b")}),
        alias_owners={"b": "entity_123"},
    )
    unmanaged = make_plan(desired(entities, []), have)
    assert unmanaged.changes == ()  # absent means "not managed", not "empty"
    want = desired(
        entities, [], aliases={"govern-person-a": "a", "govern-person-b": "b"}, auth="userpass"
    )
    plan = make_plan(want, have)
    assert [(c.kind, c.action, c.name) for c in plan.changes] == [
        ("alias", "update", "govern-person-a")
    ]
    assert any("alias b on auth/userpass belongs to entity entity_123" in f for f in plan.foreign)


def test_removed_person_entity_is_deleted_last() -> None:
    plan = make_plan(
        desired([entity("a")], [group("x", "a")]),
        observed([entity("a"), entity("gone")], [group("x", "a", "gone")]),
    )
    assert [(c.kind, c.action) for c in plan.changes] == [
        ("membership", "remove"),
        ("entity", "delete"),
    ]
    assert plan.removals() == 2
    assert '"removals": 2' in plan.to_json()


def load(tmp_path: Path, text: str = INVENTORY) -> object:
    path = tmp_path / "inventory.yaml"
    path.write_text(textwrap.dedent(text))
    return load_inventory(path, builtin_catalog()).inventory


def test_desired_state_from_the_inventory(tmp_path: Path) -> None:
    want = desired_state(
        load(tmp_path),
        builtin_catalog(),
        mount="kv",  # type: ignore[arg-type]
        auth_mount="userpass",
        alias_field="id",
    )
    assert set(want.groups) == {"govern-account-x1", "govern-account-x2", "govern-account-fb2"}
    assert want.groups["govern-account-x2"].member_entities == {
        "govern-person-head",
        "govern-person-it",
        "govern-person-bob",
    }
    policy = want.policies["govern-account-x2"]
    assert policy.startswith("# managed-by: govern\n")
    assert 'path "kv/data/accounts/x2-login"' in policy
    assert 'path "kv/metadata/accounts/x2-login"' in policy
    assert want.aliases["govern-person-alice"] == "alice"
    assert want.entities["govern-person-alice"].metadata == {
        "managed-by": "govern",
        "person": "alice",
        "email": "alice@diocese.test",
        "level": "C",
        "status": "active",
    }
    by_email = desired_state(load(tmp_path), builtin_catalog())  # type: ignore[arg-type]
    assert by_email.aliases == {} and by_email.auth_mount is None
    with_mount = desired_state(
        load(tmp_path),
        builtin_catalog(),  # type: ignore[arg-type]
        auth_mount="oidc",
    )
    assert with_mount.aliases["govern-person-alice"] == "alice@diocese.test"


def test_a_glob_in_a_credential_ref_is_refused(tmp_path: Path) -> None:
    # Refused where it enters (the inventory loader, with a position), before any plan.
    text = INVENTORY.replace("{ref: x2-login, mfa: true}", '{ref: "*", mfa: true}')
    with pytest.raises(InputError, match=r"credential\.ref: not a usable credential store key"):
        load(tmp_path, text)
