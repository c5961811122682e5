"""Every detail a plan promises, on hand-built states (no server): the crash-safe order of every
kind of change whatever the names, the exact text of each change, the objects a plan must
leave alone, and the desired state of accounts with and without a shared login."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from govern.inventory.model import Inventory
from govern.platforms import builtin_catalog
from govern.vault import (
    DesiredState,
    EntitySpec,
    GroupSpec,
    ObservedState,
    desired_state,
    make_plan,
    policy_hcl,
)
from tests.vault.conftest import INVENTORY
from tests.vault.test_vault_plan import MANAGED, desired, entity, group, load, observed


def spec(name: str, *, disabled: bool = False, **meta: str) -> EntitySpec:
    return EntitySpec(name=name, metadata={**MANAGED, **meta}, disabled=disabled)


def team(name: str, *members: str, policies: tuple[str, ...] = ("p",)) -> GroupSpec:
    return GroupSpec(
        name=name, member_entities=frozenset(members), policies=policies, metadata=MANAGED
    )


def steps(plan: object) -> list[tuple[str, str, str]]:
    return [(c.kind, c.action, c.name) for c in plan.changes]  # type: ignore[attr-defined]


def test_every_kind_of_change_in_phase_order_whatever_the_names() -> None:
    # Names run against the phase order (a later phase has an earlier name, and each phase
    # interleaves its actions), so that two phases merged, or one action moved out of its
    # phase, would show as another order.
    want = DesiredState(
        entities={
            n: spec(n, disabled=n == "e2-disable")
            for n in ("e2-create", "e2-update", "e2-disable", "e2-enable", "e2-alias-delete")
        }
        | {n: spec(n) for n in ("e1-alias-update", "e0-alias-create", "e0-alias-up2", "e0-keep")},
        aliases={"e1-alias-update": "new", "e0-alias-create": "made", "e0-alias-up2": "new2"},
        groups={
            "d-group-create": team("d-group-create"),
            "d-group-update": team("d-group-update", "e0-keep"),
            "c-members": team("c-members", "e0-keep"),
        },
        policies={"f-policy-a-upd": "# v2", "f-policy-create": "# v1", "f-policy-z-upd": "# v2"},
        auth_mount="userpass",
    )
    have = ObservedState(
        entities={
            "e2-update": spec("e2-update", level="B"),
            "e2-disable": spec("e2-disable"),
            "e2-enable": spec("e2-enable", disabled=True),
            "e2-alias-delete": spec("e2-alias-delete"),
            "e1-alias-update": spec("e1-alias-update"),
            "e0-alias-create": spec("e0-alias-create"),
            "e0-alias-up2": spec("e0-alias-up2"),
            "e0-keep": spec("e0-keep"),
            "a-entity-delete": spec("a-entity-delete"),
        },
        aliases={"e2-alias-delete": "gone", "e1-alias-update": "old", "e0-alias-up2": "old2"},
        groups={
            "d-group-update": team("d-group-update", "e0-keep", policies=("p", "extra")),
            "c-members": team("c-members", "a-entity-delete"),
            "b-group-delete": team("b-group-delete", "a-entity-delete"),
        },
        policies={"f-policy-a-upd": "# v1", "f-policy-z-upd": "# v1", "a-policy-delete": "#"},
        auth_mount="userpass",
    )
    assert steps(make_plan(want, have)) == [
        ("policy", "update", "f-policy-a-upd"),
        ("policy", "create", "f-policy-create"),
        ("policy", "update", "f-policy-z-upd"),
        ("entity", "create", "e2-create"),
        ("entity", "disable", "e2-disable"),
        ("entity", "enable", "e2-enable"),
        ("entity", "update", "e2-update"),
        ("alias", "update", "e0-alias-up2"),
        ("alias", "update", "e1-alias-update"),
        ("alias", "delete", "e2-alias-delete"),
        ("alias", "create", "e0-alias-create"),
        ("group", "create", "d-group-create"),
        ("group", "update", "d-group-update"),
        ("membership", "remove", "b-group-delete"),
        ("membership", "add", "c-members"),
        ("membership", "remove", "c-members"),
        ("group", "delete", "b-group-delete"),
        ("policy", "delete", "a-policy-delete"),
        ("entity", "delete", "a-entity-delete"),
    ]


def test_the_text_of_each_change() -> None:
    want = desired(
        [
            entity("new", email="n@x.test", level="C", status="active"),
            entity("gone-now", disabled=True, email="g@x.test", level="B", status="departed"),
            entity("back", level="C", status="active"),
            entity("left", disabled=True, status="departed"),
            entity("moved", level="A", email="m@x.test"),
        ],
        [group("x", "new")],
    )
    have = observed(
        [
            entity("back", disabled=True, level="C", status="departed"),
            entity("left", disabled=False, status="departed"),
            entity("moved", level="B", phone="1"),
        ],
        [],
    )
    plan = make_plan(want, dataclasses.replace(have, policies={}))
    assert [(c.kind, c.action, c.name, c.detail) for c in plan.changes] == [
        ("policy", "create", "govern-account-x", "read on the shared login of account x"),
        ("entity", "enable", "govern-person-back", "active again; status: departed -> active"),
        (
            "entity",
            "create",
            "govern-person-gone-now",
            "person gone-now <g@x.test>, level B, departed (disabled)",
        ),
        ("entity", "disable", "govern-person-left", "departed"),
        (
            "entity",
            "update",
            "govern-person-moved",
            "email: (none) -> m@x.test, level: B -> A, phone: 1 -> (none)",
        ),
        ("entity", "create", "govern-person-new", "person new <n@x.test>, level C, active"),
        ("group", "create", "govern-account-x", "readers of account x, policies govern-account-x"),
        ("membership", "add", "govern-account-x", "govern-person-new"),
    ]
    group_create = next(c for c in plan.changes if c.kind == "group")
    assert group_create.body == {
        "type": "internal",
        "metadata": {**MANAGED, "account": "x"},
        "policies": ["govern-account-x"],
    }
    assert {c.name: (c.person, c.account) for c in plan.changes if c.kind == "entity"} == {
        f"govern-person-{p}": (p, None) for p in ("new", "gone-now", "back", "left", "moved")
    }
    assert [c.body for c in plan.changes if c.action == "enable"] == [
        {
            "metadata": {**MANAGED, "person": "back", "level": "C", "status": "active"},
            "disabled": False,
        }
    ]
    assert plan.summary() == {"add": 5, "change": 3, "remove": 0}
    assert plan.removals() == 1  # the disable


def test_a_policy_or_group_outside_the_naming_is_described_by_its_name() -> None:
    name = "team-comms"
    want = DesiredState(
        entities={},
        aliases={},
        groups={name: GroupSpec(name, frozenset(), (name, "base"), {})},
        policies={name: "# managed-by: govern\n"},
    )
    plan = make_plan(want, observed([], []))
    assert [(c.kind, c.detail, c.account, c.person) for c in plan.changes] == [
        ("policy", "read on the shared login of account team-comms", None, None),
        ("group", f"readers of account {name}, policies {name}, base", None, None),
    ]


def test_a_policy_update_shows_the_changed_lines_with_one_line_of_context() -> None:
    old = "# managed-by: govern\na\nb\nc\nd\ne\nf\n"
    new = "# managed-by: govern\na\nb\nc\nD\ne\nf\n"
    want = DesiredState(entities={}, aliases={}, groups={}, policies={"p": new})
    plan = make_plan(want, ObservedState(entities={}, aliases={}, groups={}, policies={"p": old}))
    (change,) = plan.changes
    assert (change.action, change.detail) == ("update", "policy text differs from the inventory's")
    assert change.text_diff == ("@@ -4,3 +4,3 @@", " c", "-d", "+D", " e")
    assert change.to_dict()["diff"] == list(change.text_diff)
    assert change.body == {"policy": new}
    created = make_plan(want, ObservedState(entities={}, aliases={}, groups={}, policies={}))
    assert created.changes[0].text_diff == () and "diff" not in created.changes[0].to_dict()


def test_group_updates_name_what_differs() -> None:
    names = ("govern-account-x",)
    want = group("x", "a")
    only_policies = dataclasses.replace(want, policies=("govern-account-x", "hand-admin"))
    only_metadata = dataclasses.replace(want, metadata={**MANAGED, "account": "y"})
    both = dataclasses.replace(only_metadata, policies=("default",))
    reordered = dataclasses.replace(want, policies=names)
    for have, detail in (
        (only_policies, "policies: govern-account-x,hand-admin -> govern-account-x"),
        (only_metadata, "account: y -> x"),
        (both, "account: y -> x, policies: default -> govern-account-x"),
    ):
        plan = make_plan(desired([entity("a")], [want]), observed([entity("a")], [have]))
        assert [(c.kind, c.action, c.detail, c.account) for c in plan.changes] == [
            ("group", "update", detail, "x")
        ], have
        assert plan.changes[0].body["policies"] == ["govern-account-x"]
    unchanged = make_plan(desired([entity("a")], [want]), observed([entity("a")], [reordered]))
    assert unchanged.changes == ()


def test_group_policies_in_another_order_are_no_change() -> None:
    want = dataclasses.replace(group("x", "a"), policies=("b-pol", "a-pol"))
    have = dataclasses.replace(want, policies=("a-pol", "b-pol"))
    got = observed([entity("a")], [have])
    plan = make_plan(desired([entity("a")], [want]), got)
    assert [c.kind for c in plan.changes] == []


def test_a_blocked_group_keeps_its_members_and_gets_no_update() -> None:
    want = desired([entity("a"), entity("b")], [group("x", "a", "b")])
    have = observed(
        [entity("a"), entity("b")], [], blocked=frozenset({("group", "govern-account-x")})
    )
    plan = make_plan(want, dataclasses.replace(have, policies=want.policies))
    assert steps(plan) == []  # the policy is there, the group is not govern's


def test_blocked_entities_and_policies_of_their_own_are_left_alone() -> None:
    want = desired([entity("a", level="C")], [group("x")])
    have = observed(
        [],
        [group("x")],
        blocked=frozenset({("entity", "govern-person-a"), ("policy", "govern-account-x")}),
    )
    have = dataclasses.replace(have, policies={})
    plan = make_plan(want, have)
    # the group already holds the policy by name: nothing to change on it, nothing created
    assert plan.changes == ()


def test_departed_and_returning_with_unchanged_metadata() -> None:
    want = desired([entity("a", disabled=True), entity("b")], [])
    have = observed([entity("a"), entity("b", disabled=True)], [])
    plan = make_plan(want, have)
    assert [(c.action, c.detail) for c in plan.changes] == [
        ("disable", "departed"),
        ("enable", "active again"),
    ]
    assert plan.changes[0].body == {"metadata": {**MANAGED, "person": "a"}, "disabled": True}


def test_aliases_of_blocked_and_departing_entities_and_foreign_logins() -> None:
    entities = [entity("a"), entity("b"), entity("c")]
    want = desired(
        entities,
        [],
        aliases={"govern-person-a": "a", "govern-person-b": "b", "govern-person-c": "c"},
        auth="oidc",
    )
    have = observed(
        [*entities, entity("gone")],
        [],
        aliases={"govern-person-a": "old-a", "govern-person-gone": "gone"},
        blocked=frozenset({("entity", "govern-person-a"), ("alias", "b"), ("alias", "c")}),
        alias_owners={"c": "entity_9"},
        foreign=("entity govern-person-a exists but was not created by govern",),
    )
    plan = make_plan(want, have)
    # a blocked entity's login is not changed; an entity being deleted takes its alias along
    assert steps(plan) == [("entity", "delete", "govern-person-gone")]
    assert plan.foreign == (
        "alias b on auth/oidc belongs to entity another entity, which govern did not create; "
        "govern-person-b gets no login until it is removed or merged; left untouched",
        "alias c on auth/oidc belongs to entity entity_9, which govern did not create; "
        "govern-person-c gets no login until it is removed or merged; left untouched",
        "entity govern-person-a exists but was not created by govern",
    )


def test_alias_changes_carry_what_apply_sends() -> None:
    entities = [entity("a"), entity("b"), entity("c")]
    want = desired(
        entities,
        [],
        aliases={"govern-person-a": "a", "govern-person-b": "b"},
        auth="userpass",
    )
    have = observed(
        entities,
        [],
        aliases={"govern-person-a": "old-a", "govern-person-c": "c"},
    )
    plan = make_plan(want, have)
    assert [(c.action, c.name, c.detail, c.person, dict(c.body)) for c in plan.changes] == [
        (
            "update",
            "govern-person-a",
            "login old-a -> a on auth/userpass",
            "a",
            {"alias": "a", "mount": "userpass", "entity": "govern-person-a", "old": "old-a"},
        ),
        (
            "delete",
            "govern-person-c",
            "login c on auth/userpass",
            "c",
            {"alias": "c", "mount": "userpass", "entity": "govern-person-c", "old": "c"},
        ),
        (
            "create",
            "govern-person-b",
            "login b on auth/userpass",
            "b",
            {"alias": "b", "mount": "userpass", "entity": "govern-person-b", "old": None},
        ),
    ]
    assert plan.summary() == {"add": 1, "change": 1, "remove": 1}


def test_foreign_notes_are_sorted_once() -> None:
    have = observed([], [], foreign=("z note", "a note", "z note"))
    assert make_plan(desired([], []), have).foreign == ("a note", "z note")


def test_a_gone_group_loses_its_members_in_order_then_itself() -> None:
    have = observed([], [group("x", "c", "a", "b")])
    plan = make_plan(desired([], []), dataclasses.replace(have, policies={}))
    assert [(c.action, c.detail, c.person, c.account) for c in plan.changes] == [
        ("remove", "govern-person-a", "a", "x"),
        ("remove", "govern-person-b", "b", "x"),
        ("remove", "govern-person-c", "c", "x"),
        ("delete", "no account in the inventory needs it", None, "x"),
    ]


SHARED_WITHOUT_CREDENTIAL = (
    INVENTORY
    + """\
  - id: x3
    entity: parish
    platform: x
    handle: "@three"
    access:
      - {person: carol, role: admin}
"""
)


def test_which_accounts_get_a_policy_and_a_group(tmp_path: Path) -> None:
    inventory: Inventory = load(tmp_path, SHARED_WITHOUT_CREDENTIAL)  # type: ignore[assignment]
    want = desired_state(inventory, builtin_catalog())
    # x: shared login, with or without a credential block; fb2: a credential declared on a
    # personal-login platform; fb: personal logins and nothing declared, nothing to guard
    assert (
        set(want.groups)
        == set(want.policies)
        == {
            "govern-account-x1",
            "govern-account-x2",
            "govern-account-x3",
            "govern-account-fb2",
        }
    )
    x3 = want.groups["govern-account-x3"]
    assert x3.member_entities == {
        "govern-person-carol",
        "govern-person-head",
        "govern-person-it",
    }
    assert x3.policies == ("govern-account-x3",)
    assert x3.metadata == {
        "managed-by": "govern",
        "account": "x3",
        "entity": "parish",
        "platform": "x",
        "credential": "x3",
    }
    account = next(a for a in inventory.accounts if a.id == "x3")
    assert want.policies["govern-account-x3"] == policy_hcl(account, "govern")
    assert want.policies["govern-account-x3"] == (
        "# managed-by: govern\n"
        "# Readers of the shared login of account x3; written by govern apply.\n"
        'path "govern/data/accounts/x3" {\n  capabilities = ["read"]\n}\n\n'
        'path "govern/metadata/accounts/x3" {\n  capabilities = ["read"]\n}\n'
    )


def test_departed_people_are_disabled_and_keep_their_memberships(tmp_path: Path) -> None:
    text = INVENTORY.replace(
        "{id: bob, name: Bob, email: bob@diocese.test, level: C}",
        "{id: bob, name: Bob, email: bob@diocese.test, level: C, status: departed, "
        "left_on: 2026-11-01}",
    )
    want = desired_state(load(tmp_path, text), builtin_catalog(), auth_mount="/userpass/")  # type: ignore[arg-type]
    bob = want.entities["govern-person-bob"]
    assert bob.disabled and bob.metadata["status"] == "departed"
    assert not want.entities["govern-person-alice"].disabled
    assert "govern-person-bob" in want.groups["govern-account-x2"].member_entities
    assert want.auth_mount == "userpass"
    assert want.aliases["govern-person-bob"] == "bob@diocese.test"


def test_objects_named_like_the_other_kind_are_not_misattributed() -> None:
    # Hand-made govern objects named like another kind's objects: a policy and a group
    # called govern-person-..., an entity called govern-account-... The plan names no person
    # for a policy or group, and no account for an entity.
    marker = "# managed-by: govern\n"
    have = ObservedState(
        entities={"govern-account-x": spec("govern-account-x")},
        aliases={},
        groups={"govern-person-team": team("govern-person-team")},
        policies={"govern-person-alice": marker},
    )
    plan = make_plan(DesiredState(entities={}, aliases={}, groups={}, policies={}), have)
    assert [(c.kind, c.action, c.name, c.person, c.account) for c in plan.changes] == [
        ("group", "delete", "govern-person-team", None, None),
        ("policy", "delete", "govern-person-alice", None, None),
        ("entity", "delete", "govern-account-x", None, None),
    ]
