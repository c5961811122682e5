"""Carry out a plan, phase by phase (the plan's order), with bounded concurrency inside a
phase. Errors are collected, not raised: every change that can be made is made, and the next
plan shows exactly what remains."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from itertools import groupby
from typing import Any

from govern.errors import GovernError, StoreError
from govern.vault._plan import phase
from govern.vault._types import ApplyResult, Change, Plan
from govern.vault.client import VaultClient

# Where policies, entities and groups live by name (memberships and aliases are special).
_BY_NAME = {
    "policy": "sys/policies/acl",
    "entity": "identity/entity/name",
    "group": "identity/group/name",
}
Outcome = list[tuple[Change, str | None, int]]
Step = Callable[[], Outcome]


def _guard(changes: list[Change], work: Callable[[], None]) -> Outcome:
    try:
        work()
    except GovernError as exc:
        return [(c, exc.message, exc.exit_code) for c in changes]
    return [(c, None, 0) for c in changes]


class _Applier:
    def __init__(self, client: VaultClient) -> None:
        self.client = client
        self._accessors: dict[str, str] = {}

    def entity_ids(self) -> dict[str, str]:
        """entity name -> id, for every entity (one LIST)."""
        info = self.client.list("identity/entity/id").get("key_info") or {}
        return {str((v or {}).get("name")): str(k) for k, v in info.items()}

    def entity(self, name: str) -> dict[str, Any]:
        found = self.client.read(f"identity/entity/name/{name}")
        if not found or not found.get("id"):
            raise StoreError(f"entity {name} does not exist in Vault at {self.client.addr}")
        return found

    def accessor(self, mount: str) -> str:
        if mount not in self._accessors:
            self._accessors[mount] = self.client.auth_accessor(mount)
        return self._accessors[mount]

    def alias_id(self, entity: str, accessor: str, name: str) -> tuple[str, str | None]:
        """(entity id, id of its alias `name` on `accessor` or None)."""
        found = self.entity(entity)
        for alias in found.get("aliases") or ():
            if alias.get("mount_accessor") == accessor and alias.get("name") == name:
                return str(found["id"]), str(alias["id"])
        return str(found["id"]), None

    # -- one step per change (or per group, for memberships) ---------------------------------

    def single(self, c: Change) -> None:
        if c.kind == "alias":
            self.alias(c)
            return
        path = f"{_BY_NAME[c.kind]}/{c.name}"
        if c.action == "delete":
            self.client.delete(path)
        else:
            self.client.write(
                path, c.body, capability="create" if c.action == "create" else "update"
            )

    def alias(self, c: Change) -> None:
        accessor = self.accessor(str(c.body["mount"]))
        if c.action == "create":
            write_body = {
                "name": c.body["alias"],
                "canonical_id": self.entity(c.name)["id"],
                "mount_accessor": accessor,
            }
            self.client.write("identity/entity-alias", write_body, capability="create")
            return
        entity_id, alias_id = self.alias_id(c.name, accessor, str(c.body["old"]))
        if alias_id is None:
            if c.action == "delete":
                return
            raise StoreError(
                f"alias {c.body['old']} of {c.name} is gone from Vault at {self.client.addr}"
            )
        if c.action == "delete":
            self.client.delete(f"identity/entity-alias/id/{alias_id}")
        else:
            self.client.write(
                f"identity/entity-alias/id/{alias_id}",
                {"name": c.body["alias"], "canonical_id": entity_id, "mount_accessor": accessor},
            )

    def memberships(self, group: str, changes: list[Change], ids: dict[str, str]) -> None:
        """One read and one write of the group: its current members, plus and minus ours."""
        found = self.client.read(f"identity/group/name/{group}")
        if found is None:
            raise StoreError(f"group {group} does not exist in Vault at {self.client.addr}")
        members = {str(i) for i in found.get("member_entity_ids") or ()}
        wanted = set(members)
        for c in changes:
            entity = str(c.body["entity"])
            entity_id = ids.get(entity, entity)  # a member known only by its id
            if c.action == "add":
                if entity not in ids:
                    raise StoreError(
                        f"entity {entity} does not exist in Vault at {self.client.addr}"
                    )
                wanted.add(entity_id)
            else:
                wanted.discard(entity_id)
        if wanted != members:
            self.client.write(f"identity/group/name/{group}", {"member_entity_ids": sorted(wanted)})

    def steps(self, changes: list[Change]) -> list[Step]:
        if changes[0].kind != "membership":
            return [partial(self.one, c) for c in changes]
        ids = self.entity_ids()
        by_group: dict[str, list[Change]] = {}
        for c in changes:
            by_group.setdefault(c.name, []).append(c)
        return [partial(self.group, g, cs, ids) for g, cs in by_group.items()]

    def one(self, change: Change) -> Outcome:
        return _guard([change], partial(self.single, change))

    def group(self, group: str, changes: list[Change], ids: dict[str, str]) -> Outcome:
        return _guard(changes, partial(self.memberships, group, changes, ids))


def apply_plan(client: VaultClient, plan: Plan, *, concurrency: int = 8) -> ApplyResult:
    """Apply `plan`; a phase starts when the one before it has finished."""
    applier = _Applier(client)
    done: list[Change] = []
    failed: list[tuple[Change, str]] = []
    code = 0
    if plan.changes:
        client.resolve_token()  # once, before the threads
    for _, group in groupby(plan.changes, key=phase):
        changes = list(group)
        outcomes: list[Outcome] = []
        try:
            steps = list(applier.steps(changes))
        except GovernError as exc:  # the lookup a phase needs failed: the whole phase fails
            outcomes = [[(c, exc.message, exc.exit_code) for c in changes]]
            steps = []
        if len(steps) > 1 and concurrency > 1:
            with ThreadPoolExecutor(
                max_workers=min(concurrency, len(steps)), thread_name_prefix="govern-apply"
            ) as pool:
                outcomes += list(pool.map(lambda step: step(), steps))
        else:
            outcomes += [step() for step in steps]
        for outcome in outcomes:
            for change, error, exit_code in outcome:
                if error is None:
                    done.append(change)
                else:
                    failed.append((change, error))
                    code = max(code, exit_code)
    order = {id(c): i for i, c in enumerate(plan.changes)}
    done.sort(key=lambda c: order[id(c)])
    failed.sort(key=lambda f: order[id(f[0])])
    return ApplyResult(done=tuple(done), failed=tuple(failed), exit_code=code)
