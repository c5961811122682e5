"""Property: over generated organizations, a revoke that is not blocked creates no gap (an
account with an administrator keeps one; a head holding admin is followed by a head holding
admin), and never touches another person's grants."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from govern.inventory.load import load_inventory
from govern.offboard import plan_revoke, run_revoke
from govern.platforms import builtin_catalog

CATALOG = builtin_catalog()
# Personal-login platforms only: no credential store is involved in this property.
PLATFORMS = {
    "facebook": ["admin", "editor", "analyst"],
    "youtube": ["owner", "admin", "editor"],
    "google-business": ["owner", "admin", "editor"],
    "github": ["owner", "editor"],
}
PEOPLE = [f"p{i}" for i in range(6)]


@st.composite
def organizations(draw: st.DrawFn) -> dict[str, Any]:
    levels = draw(st.lists(st.sampled_from(["B", "C"]), min_size=6, max_size=6))
    people = [
        {"id": p, "name": p, "email": f"{p}@org.test", "level": lv}
        for p, lv in zip(PEOPLE, levels, strict=True)
    ]
    entities = []
    for e in range(draw(st.integers(1, 2))):
        head = draw(st.sampled_from(PEOPLE))
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
        accounts.append(
            {
                "id": f"a{a}",
                "entity": draw(st.sampled_from(entities))["id"],
                "platform": platform,
                "handle": f"h{a}",
                "access": access,
            }
        )
    return {
        "version": 1,
        "organization": {"name": "Org", "domains": ["org.test"]},
        "people": people,
        "entities": entities,
        "accounts": accounts,
    }


def admins(account: Any) -> set[str]:
    platform = CATALOG.platforms[account.platform]
    return {g.person for g in account.access if platform.is_admin(g.role)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    org=organizations(),
    victim=st.sampled_from(PEOPLE),
    heir=st.one_of(st.none(), st.sampled_from(PEOPLE)),
)
def test_revoke_keeps_accounts_administered_and_others_untouched(
    org: dict[str, Any], victim: str, heir: str | None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inventory.yaml"
        path.write_text(yaml.safe_dump(org, sort_keys=False))
        before = load_inventory(path, CATALOG).inventory
        plan = plan_revoke(before, CATALOG, victim, successor=heir)
        event("blocked" if plan.blocked else "carried out")
        if plan.blocked:
            return
        run_revoke(
            plan,
            inventory=path,
            catalog=CATALOG,
            left_on=dt.date(2026, 11, 22),
            actor="prop",
            store=_no_store,
            vault=None,
            log_path=Path(tmp) / "audit.log.jsonl",
        )
        after = load_inventory(path, CATALOG).inventory
    assert after.person(victim).departed  # type: ignore[union-attr]
    for old, new in zip(before.accounts, after.accounts, strict=True):
        # The victim holds nothing.
        assert all(g.person != victim for g in new.access)
        # Everyone else keeps exactly their grants; the successor may only gain or rise.
        old_grants = {g.person: g.role for g in old.access if g.person != victim}
        new_grants = {g.person: g.role for g in new.access}
        for person, role in old_grants.items():
            if person != heir:
                assert new_grants.get(person) == role
        assert set(new_grants) - set(old_grants) <= ({heir} if heir else set())
        # No gap the revoke creates: an account with an administrator keeps one, and a head
        # holding admin is followed by a head holding admin.
        if admins(old):
            assert admins(new), f"{new.id} lost every administrator"
        old_head = before.entity(old.entity).head  # type: ignore[union-attr]
        new_head = after.entity(new.entity).head  # type: ignore[union-attr]
        if old_head in admins(old):
            assert new_head in admins(new), f"head {new_head} lacks admin on {new.id}"
    for entity in after.entities:
        assert entity.head != victim and victim not in entity.it


def _no_store() -> Any:
    raise AssertionError("no credential store is needed for personal-login platforms")
