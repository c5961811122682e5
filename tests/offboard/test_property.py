"""Property: over generated organizations (with departed people, departed heads, shared logins,
and successors that are unknown, departed or the person themselves), a revoke with a refused
successor is blocked; a revoke that is not blocked creates no gap (an account with an active
administrator keeps one; an active head holding admin is followed by an active head holding
admin), never touches another person's grants, and rotates exactly the shared logins the
person could read."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from govern.credentials import Secret
from govern.credentials.filestore import FileStore, ScryptParams
from govern.inventory.load import load_inventory
from govern.inventory.model import Account, Inventory
from govern.offboard import plan_revoke, run_revoke
from govern.offboard.plan import RevokePlan
from govern.platforms import builtin_catalog

CATALOG = builtin_catalog()
PLATFORMS = {
    "facebook": ["admin", "editor", "analyst"],
    "youtube": ["owner", "admin", "editor"],
    "google-business": ["owner", "admin", "editor"],
    "github": ["owner", "editor"],
    "x": ["admin"],  # shared logins: rotated when the person could read them
    "threads": ["admin"],
}
PEOPLE = [f"p{i}" for i in range(6)]
UNKNOWN = "ghost"  # never in the inventory
REFS = ["login-a", "login-b"]  # shared logins; two accounts may use one
PASSPHRASE = "property test passphrase"


@st.composite
def organizations(draw: st.DrawFn) -> dict[str, Any]:
    levels = draw(st.lists(st.sampled_from(["B", "C"]), min_size=6, max_size=6))
    gone = draw(st.lists(st.sampled_from([False, False, False, True]), min_size=6, max_size=6))
    people = []
    for p, level, departed in zip(PEOPLE, levels, gone, strict=True):
        person: dict[str, Any] = {"id": p, "name": p, "email": f"{p}@org.test", "level": level}
        if departed:
            person.update(status="departed", left_on=dt.date(2026, 1, 15))
        people.append(person)
    entities = []
    for e in range(draw(st.integers(1, 2))):
        head = draw(st.sampled_from(PEOPLE))  # may have departed
        it = draw(st.lists(st.sampled_from(PEOPLE), max_size=2, unique=True))
        entities.append(
            {"id": f"e{e}", "name": f"E{e}", "head": head, "it": [p for p in it if p != head]}
        )
    accounts = []
    for a in range(draw(st.integers(1, 4))):
        platform = draw(st.sampled_from(sorted(PLATFORMS)))
        holders = draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4, unique=True))
        access = [
            {"person": p, "role": draw(st.sampled_from(PLATFORMS[platform]))} for p in holders
        ]
        account: dict[str, Any] = {
            "id": f"a{a}",
            "entity": draw(st.sampled_from(entities))["id"],
            "platform": platform,
            "handle": f"h{a}",
            "access": access,
        }
        if CATALOG.platforms[platform].shared:
            # A shared login, under one of two store keys or (no credential block) its id.
            ref = draw(st.sampled_from([*REFS, None]))
            if ref is not None:
                account["credential"] = {"ref": ref, "mfa": True}
        accounts.append(account)
    return {
        "version": 1,
        "organization": {"name": "Org", "domains": ["org.test"]},
        "people": people,
        "entities": entities,
        "accounts": accounts,
    }


def active_admins(inventory: Inventory, account: Account) -> set[str]:
    platform = CATALOG.platforms[account.platform]
    return {
        g.person
        for g in account.access
        if platform.is_admin(g.role) and not inventory.person(g.person).departed  # type: ignore[union-attr]
    }


def readable_refs(inventory: Inventory, victim: str) -> set[str]:
    """The shared logins the person could read: on an account they hold a grant on, or of an
    entity they head or serve as IT for."""
    positions = {e.id for e in inventory.entities if e.head == victim or victim in e.it}
    return {
        a.credential_ref
        for a in inventory.accounts
        if CATALOG.platforms[a.platform].shared
        and (any(g.person == victim for g in a.access) or a.entity in positions)
    }


@pytest.fixture(scope="module")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file store with every shared login at version 1, copied for each example."""
    path = tmp_path_factory.mktemp("store") / "credentials.enc"
    store = FileStore.create(
        path, env={}, passphrase=PASSPHRASE, use_keyring=False, kdf=ScryptParams(n=2**14)
    )
    for ref in REFS:
        store.put(ref, Secret(password=f"old-{ref}"), meta={}, rotated_by="setup", reason="set")
    return path


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    org=organizations(),
    victim=st.sampled_from(PEOPLE),
    heir=st.one_of(st.none(), st.sampled_from(PEOPLE), st.just(UNKNOWN)),
)
def test_revoke_keeps_accounts_administered_and_others_untouched(
    template_store: Path, org: dict[str, Any], victim: str, heir: str | None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inventory.yaml"
        path.write_text(yaml.safe_dump(org, sort_keys=False))
        store_path = Path(tmp) / "credentials.enc"
        shutil.copyfile(template_store, store_path)
        before = load_inventory(path, CATALOG).inventory
        plan = plan_revoke(before, CATALOG, victim, successor=heir)
        heir_person = before.person(heir) if heir else None

        # A successor who is unknown, departed or the person themselves is refused, and
        # takes over nothing.
        refusal = None
        if heir == UNKNOWN:
            refusal = f"successor '{heir}' is not in the inventory"
        elif heir == victim:
            refusal = "the successor cannot be the person being revoked"
        elif heir_person is not None and heir_person.departed:
            refusal = f"successor '{heir}' has departed"
        successor_refusals = [b for b in plan.blocked if "successor" in b and "level" not in b]
        successor_refusals = [b for b in successor_refusals if not b.startswith("the revoke")]
        if refusal:
            event(f"successor refused: {refusal.split()[-1]}")
            assert successor_refusals and successor_refusals[0].startswith(refusal)
            assert plan.successor_grants == ()
        else:
            assert successor_refusals == []
        assert plan.already_departed == before.person(victim).departed  # type: ignore[union-attr]
        if plan.already_departed:
            event("the person had already departed")

        # The plan as the journal keeps it reads back the same.
        assert RevokePlan.from_json(json.loads(json.dumps(plan.to_json()))) == plan
        # Nothing to do: departed already, holding no grant and no position.
        holds = any(g.person == victim for a in before.accounts for g in a.access) or any(
            e.head == victim or victim in e.it for e in before.entities
        )
        assert plan.nothing_to_do == (plan.already_departed and not holds)
        # Every shared login the person could read is planned for rotation, no other.
        assert {ref for _, ref, _ in plan.credentials} == readable_refs(before, victim)
        # The successor is handed an administrative grant only where they hold none.
        for gain in plan.successor_grants:
            account = before.accounts[before.account_index[gain.account]]
            held = {g.person: g.role for g in account.access}.get(heir or "")
            assert held is None or not CATALOG.platforms[account.platform].is_admin(held)

        event("blocked" if plan.blocked else "carried out")
        if plan.blocked or plan.nothing_to_do:
            return
        run_revoke(
            plan,
            inventory=path,
            catalog=CATALOG,
            left_on=dt.date(2026, 11, 22),
            actor="prop",
            store=lambda: FileStore(store_path, env={"GOVERN_PASSPHRASE": PASSPHRASE}, prompt=None),
            vault=None,
            log_path=Path(tmp) / "audit.log.jsonl",
        )
        after = load_inventory(path, CATALOG).inventory
        store = FileStore(store_path, env={"GOVERN_PASSPHRASE": PASSPHRASE}, prompt=None)
        versions = {m.ref: m.current_version for m in store.list()}
    # Exactly the shared logins the person could read got a new version (those in the store).
    rotated = {ref for ref, version in versions.items() if version > 1}
    assert rotated == readable_refs(before, victim) & set(REFS)
    if rotated:
        event("shared login rotated")
    assert after.person(victim).departed  # type: ignore[union-attr]
    for person in before.people:
        if person.id != victim:
            assert after.person(person.id) == person  # nobody else's status or dates change
    for old, new in zip(before.accounts, after.accounts, strict=True):
        # The victim holds nothing.
        assert all(g.person != victim for g in new.access)
        # Everyone else keeps exactly their grants; the successor may only gain or rise.
        old_grants = {g.person: g.role for g in old.access if g.person != victim}
        new_grants = {g.person: g.role for g in new.access}
        for person, role in old_grants.items():
            if person != heir or CATALOG.platforms[old.platform].is_admin(role):
                assert new_grants.get(person) == role  # the successor's admin roles stay
        assert set(new_grants) - set(old_grants) <= ({heir} if heir else set())
        # No gap the revoke creates: an account with an active administrator keeps one, and
        # an active head holding admin is followed by an active head holding admin.
        if active_admins(before, old):
            assert active_admins(after, new), f"{new.id} lost every active administrator"
        old_head = before.entity(old.entity).head  # type: ignore[union-attr]
        new_head = after.entity(new.entity).head  # type: ignore[union-attr]
        if old_head in active_admins(before, old):
            event("active head holding admin")
            assert new_head in active_admins(after, new), f"head {new_head} lacks admin on {new.id}"
    for entity in after.entities:
        assert victim not in entity.it
        if entity.head == victim:
            # Only a head who had already departed stays without a successor: that gap
            # existed before and is not the revoke's to close.
            event("departed head kept without successor")
            assert heir is None and before.person(victim).departed  # type: ignore[union-attr]
