"""Want vs have, as sets: the changes that make Vault match the inventory, ordered so that an
apply interrupted anywhere leaves a state the next plan finishes (policies and entities before
the groups that use them; memberships removed before groups and policies are deleted)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from govern.vault._desired import account_of, person_of
from govern.vault._types import Action, Change, DesiredState, Kind, ObservedState, Plan

_PHASES: dict[tuple[str, str], int] = {
    ("policy", "create"): 0,
    ("policy", "update"): 0,
    ("entity", "create"): 1,
    ("entity", "update"): 1,
    ("entity", "disable"): 1,
    ("entity", "enable"): 1,
    ("alias", "delete"): 2,
    ("alias", "update"): 2,
    ("alias", "create"): 3,
    ("group", "create"): 4,
    ("group", "update"): 4,
    ("membership", "add"): 5,
    ("membership", "remove"): 5,
    ("group", "delete"): 6,
    ("policy", "delete"): 7,
    ("entity", "delete"): 8,
}


def phase(change: Change) -> int:
    return _PHASES[(change.kind, change.action)]


def _diff(want: Mapping[str, str], have: Mapping[str, str]) -> str:
    keys = sorted(set(want) | set(have))
    return ", ".join(
        f"{k}: {have.get(k, '(none)')} -> {want.get(k, '(none)')}"
        for k in keys
        if want.get(k) != have.get(k)
    )


def _text_diff(have: str, want: str) -> tuple[str, ...]:
    """The changed lines of a policy text, unified diff style without headers."""
    lines = difflib.unified_diff(have.splitlines(), want.splitlines(), lineterm="", n=1)
    return tuple(line for line in lines if not line.startswith(("---", "+++")))


class _Builder:
    def __init__(self) -> None:
        self.changes: list[Change] = []

    def add(
        self,
        kind: Kind,
        action: Action,
        name: str,
        detail: str,
        body: Mapping[str, Any] | None = None,
        *,
        person: str | None = None,
        account: str | None = None,
        text_diff: tuple[str, ...] = (),
    ) -> None:
        if person is None and kind in ("entity", "alias"):
            person = person_of(name)
        if account is None and kind in ("group", "policy", "membership"):
            account = account_of(name)
        self.changes.append(
            Change(
                kind=kind,
                action=action,
                name=name,
                detail=detail,
                account=account,
                person=person,
                body=body or {},
                text_diff=text_diff,
            )
        )


def make_plan(desired: DesiredState, observed: ObservedState) -> Plan:
    """Pure: the same two states always give the same plan. Objects named in
    `observed.blocked` (not created by govern) are never changed, deleted or shadowed."""
    out = _Builder()
    foreign = list(observed.foreign)
    blocked = observed.blocked

    for name, text in desired.policies.items():
        have = observed.policies.get(name)
        if ("policy", name) in blocked or have == text:
            continue
        detail = "read on the shared login of account " + (account_of(name) or name)
        out.add(
            "policy",
            "create" if have is None else "update",
            name,
            detail if have is None else "policy text differs from the inventory's",
            {"policy": text},
            text_diff=() if have is None else _text_diff(have, text),
        )
    for name in observed.policies.keys() - desired.policies.keys():
        out.add("policy", "delete", name, "no account in the inventory needs it")

    for name, want in desired.entities.items():
        if ("entity", name) in blocked:
            continue
        got = observed.entities.get(name)
        body = {"metadata": dict(want.metadata), "disabled": want.disabled}
        if got is None:
            meta = want.metadata
            detail = (
                f"person {meta.get('person')} <{meta.get('email')}>, level "
                f"{meta.get('level')}, {meta.get('status')}"
                + (" (disabled)" if want.disabled else "")
            )
            out.add("entity", "create", name, detail, body)
        elif got.disabled != want.disabled:
            action: Action = "disable" if want.disabled else "enable"
            why = "departed" if want.disabled else "active again"
            changed = _diff(want.metadata, got.metadata)
            out.add("entity", action, name, why + (f"; {changed}" if changed else ""), body)
        elif dict(got.metadata) != dict(want.metadata):
            out.add("entity", "update", name, _diff(want.metadata, got.metadata), body)
    for name in observed.entities.keys() - desired.entities.keys():
        out.add("entity", "delete", name, "person is no longer in the inventory")

    mount = desired.auth_mount
    if mount is not None:
        for entity, alias in desired.aliases.items():
            have_alias = observed.aliases.get(entity)
            if ("entity", entity) in blocked or have_alias == alias:
                continue
            if ("alias", alias) in blocked:
                owner = observed.alias_owners.get(alias, "another entity")
                foreign.append(
                    f"alias {alias} on auth/{mount} belongs to entity {owner}, which "
                    f"govern did not create; {entity} gets no login until it is "
                    "removed or merged; left untouched"
                )
                continue
            body = {"alias": alias, "mount": mount, "entity": entity, "old": have_alias}
            if have_alias is None:
                out.add("alias", "create", entity, f"login {alias} on auth/{mount}", body)
            else:
                out.add(
                    "alias",
                    "update",
                    entity,
                    f"login {have_alias} -> {alias} on auth/{mount}",
                    body,
                )
        for entity, alias in observed.aliases.items():
            if entity not in desired.aliases and entity in desired.entities:
                out.add(
                    "alias",
                    "delete",
                    entity,
                    f"login {alias} on auth/{mount}",
                    {"alias": alias, "mount": mount, "entity": entity, "old": alias},
                )

    for name, want_group in desired.groups.items():
        if ("group", name) in blocked or any(("policy", p) in blocked for p in want_group.policies):
            continue  # never attach a policy govern does not own
        got_group = observed.groups.get(name)
        body = {
            "type": "internal",
            "metadata": dict(want_group.metadata),
            "policies": list(want_group.policies),
        }
        have_members: frozenset[str] = frozenset()
        if got_group is None:
            out.add(
                "group",
                "create",
                name,
                "readers of account "
                + str(want_group.metadata.get("account", name))
                + ", policies "
                + ", ".join(want_group.policies),
                body,
            )
        else:
            have_members = got_group.member_entities
            if sorted(got_group.policies) != sorted(want_group.policies) or dict(
                got_group.metadata
            ) != dict(want_group.metadata):
                what = _diff(want_group.metadata, got_group.metadata)
                if sorted(got_group.policies) != sorted(want_group.policies):
                    what = ", ".join(
                        filter(
                            None,
                            [
                                what,
                                "policies: "
                                + ",".join(got_group.policies)
                                + " -> "
                                + ",".join(want_group.policies),
                            ],
                        )
                    )
                out.add("group", "update", name, what, body)
        for entity in sorted(want_group.member_entities - have_members):
            out.add("membership", "add", name, entity, {"entity": entity}, person=person_of(entity))
        for entity in sorted(have_members - want_group.member_entities):
            out.add(
                "membership", "remove", name, entity, {"entity": entity}, person=person_of(entity)
            )
    for name in observed.groups.keys() - desired.groups.keys():
        for entity in sorted(observed.groups[name].member_entities):
            out.add(
                "membership", "remove", name, entity, {"entity": entity}, person=person_of(entity)
            )
        out.add("group", "delete", name, "no account in the inventory needs it")

    changes = sorted(out.changes, key=lambda c: (phase(c), c.name, c.action, c.detail))
    return Plan(changes=tuple(changes), foreign=tuple(sorted(set(foreign))))
